"""What a documented figure depends on, and how a user's run compares with it.

A run on a CPU repeats bit for bit only with the same packages and the same CPU kernels: torch picks its
kernels by the CPU's instruction set (``torch.backends.cpu.get_cpu_capability()``: AVX2, AVX512, ...), and
numpy, OpenCV, SciPy and TrackEval enter the figures too. So every documented figure is stated with the
environment that produced it (:func:`environment`) and the spread over seeds, in a committed JSON file
(docs/figures/*.json: ``{"environment": {...}, "runs": {seed: {figure: value}}}``), and a user's run is
compared with it (:func:`compare_with_reference`), saying plainly when it falls outside.
"""
import json
import os.path as osp
import platform
from importlib import metadata
from typing import Dict, List, Mapping, Optional, Sequence

from .table import markdown_table

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LOCK_FILE = osp.join(REPO_ROOT, 'requirements', 'locked_cpu.txt')
# the packages whose versions move the figures, in the order they are printed
FIGURE_PACKAGES = ('torch', 'numpy', 'opencv-python', 'scipy', 'pillow', 'mmcv', 'mmengine', 'mmdet', 'mmaction2',
                   'trackeval', 'lap')


def locked_versions(lock_file: str = LOCK_FILE) -> Dict[str, str]:
    """``{name: version}`` of a ``name==version`` lock file (names lower-cased); empty if there is none."""
    if not osp.isfile(lock_file):
        return {}
    versions = {}
    with open(lock_file) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if '==' in line:
                name, version = line.split('==', 1)
                versions[name.strip().lower()] = version.strip()
    return versions


def installed_version(name: str) -> Optional[str]:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def environment(lock_file: str = LOCK_FILE, threads: Optional[int] = None) -> Dict:
    """The machine and packages a figure depends on: Python, CPU capability and threads of torch (``threads``: those
    of the runs that made the figures, default this process's), the versions of :data:`FIGURE_PACKAGES`, and the
    installed packages that differ from the lock (``{name: [locked, installed]}``)."""
    import torch
    locked = locked_versions(lock_file)
    differing = {}
    for name, version in locked.items():
        found = installed_version(name)
        if found != version:
            differing[name] = [version, found]
    return dict(
        python=platform.python_version(),
        machine=platform.machine(),
        cpu_capability=torch.backends.cpu.get_cpu_capability(),
        torch_threads=threads if threads is not None else torch.get_num_threads(),
        packages={name: installed_version(name) for name in FIGURE_PACKAGES},
        lock=osp.relpath(lock_file, REPO_ROOT) if locked else None,
        differs_from_lock=differing)


def describe_environment(env: Mapping) -> str:
    """One line: the packages, the CPU capability and whether the packages are the locked ones."""
    packages = ', '.join(f'{name} {version}' for name, version in env['packages'].items() if version)
    if env.get('lock') is None:
        lock = 'no lock file'
    elif env['differs_from_lock']:
        lock = (f'differs from {env["lock"]} in ' + ', '.join(
            f'{name} ({locked} locked, {found or "absent"} here)' for name, (locked, found) in
            sorted(env['differs_from_lock'].items())))
    else:
        lock = f'matches {env["lock"]}'
    return (f'Python {env["python"]} on {env["machine"]}, torch CPU capability {env["cpu_capability"]}, '
            f'{env["torch_threads"]} threads; {packages}; {lock}')


def same_environment(a: Mapping, b: Mapping) -> bool:
    """Whether two :func:`environment` records should give the same figures: the same package versions and CPU
    capability."""
    return (a.get('packages'), a.get('cpu_capability')) == (b.get('packages'), b.get('cpu_capability'))


def load_reference(path: str) -> Dict:
    """A committed reference file; see the module docstring for its layout."""
    with open(path) as f:
        reference = json.load(f)
    for key in ('environment', 'runs'):
        if key not in reference:
            raise ValueError(f'{path}: reference figures need a "{key}" entry, found {sorted(reference)}')
    return reference


def figure_range(reference: Mapping, figure: str) -> List[float]:
    """``[min, max]`` of ``figure`` over the reference's seeds."""
    values = [run[figure] for run in reference['runs'].values() if figure in run]
    if not values:
        raise KeyError(f'no reference run has the figure {figure!r}')
    return [min(values), max(values)]


def compare_with_reference(result: Mapping[str, float], reference: Mapping, figures: Sequence[str],
                           seed: str, env: Mapping) -> str:
    """A table of the user's figures beside the documented run of the same seed and the range over the documented
    seeds, and a verdict: identical (same environment expected), within the range, or outside it (said plainly,
    naming the figures and how the environment differs)."""
    documented = reference['runs'].get(str(seed), {})
    rows, outside, different = [], [], []
    for figure in figures:
        if figure not in result:
            continue
        # compared as printed (one decimal), so that a figure never reads as equal to a bound it is outside of
        value = round(result[figure], 1)
        low, high = (round(v, 1) for v in figure_range(reference, figure))
        mark = ''
        if not low <= value <= high:
            outside.append(figure)
            mark = 'outside'
        expected = round(documented[figure], 1) if figure in documented else None
        if expected is not None and expected != value:
            different.append(figure)
        counts = all(float(run[figure]).is_integer() for run in reference['runs'].values() if figure in run)
        fmt = '.0f' if counts else '.1f'
        rows.append([figure, f'{value:{fmt}}', '-' if expected is None else format(expected, fmt),
                     f'{low:{fmt}} .. {high:{fmt}}', mark])
    table = markdown_table(['figure', 'this run', f'documented, seed {seed}',
                            f'documented, seeds {", ".join(sorted(reference["runs"]))}', ''], rows)
    same_env = same_environment(env, reference['environment'])
    if outside:
        verdict = (f'OUTSIDE the documented range: {", ".join(outside)}. '
                   + ('The environment is the documented one: this is a regression, please report it.' if same_env
                      else 'The environment differs from the documented one (see both above): figures of a small '
                           'model trained on a CPU move with packages and CPU kernels; a gap this size says little '
                           'about the code, but please report it with both environment lines.'))
    elif different:
        verdict = ('Within the documented range over seeds, not identical to the documented seed'
                   + ('' if same_env else ' (expected: the environment differs from the documented one)') + '.')
    else:
        verdict = 'Identical to the documented run.'
    return table + '\n' + verdict
