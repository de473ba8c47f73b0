"""Which of svm runs here: the torch-only core always, the OpenMMLab parts with the whole stack.

The S-ViT backbone, its layers and the backbone benchmarks (:data:`TORCH_ONLY_MODULES`) need only
PyTorch. Everything else (configs, registries, datasets, the MOT and recognition models, tools) needs the
OpenMMLab stack of :data:`REQUIRED`. ``import svm`` decides between the two, from package metadata alone:

- none of the stack's packages is installed: svm runs torch-only, and importing an svm module outside the
  core raises an ImportError that says what to install (:class:`OpenMMLabFeatureGuard`);
- any of them is installed: svm expects the whole stack at the right versions and fails early, with what
  to install, when a package is missing or of the wrong version (:func:`check_dependencies`), rather than
  run with some of its registrations silently absent. mmcv's compiled ops are checked when the MOT modules
  are registered (:func:`check_mmcv_ops`, svm/utils/setup_env.py).
"""
import importlib.abc
import importlib.util
import re
import sys
from importlib import metadata
from typing import Optional, Sequence, Tuple

# The floors ``import svm`` checks before anything else. torch 2.6 is the first release whose weights-only
# unpickler takes the allowlist svm's checkpoint loader needs: ``torch.serialization.safe_globals`` with
# ``(callable, 'module.name')`` entries and ``get_unsafe_globals_in_checkpoint`` (svm/utils/checkpoint.py).
# Python 3.10 is the oldest that torch >= 2.9 and the locked environment support.
MIN_PYTHON = (3, 10)
MIN_TORCH = (2, 6)
# name on PyPI -> (lowest accepted, first rejected); mirrors requirements/*.txt
REQUIRED = {
    'mmengine': ('0.10.0', '0.11.0'),
    'mmcv': ('2.0.0rc4', '2.2.0'),
    'mmdet': ('3.3.0', '3.4.0'),
    'mmaction2': ('1.2.0', '1.3.0'),
}
# name on PyPI -> name of the package it installs
IMPORT_NAMES = {'mmengine': 'mmengine', 'mmcv': 'mmcv', 'mmdet': 'mmdet', 'mmaction2': 'mmaction'}
HOW_TO_INSTALL = ('run `make test` (or `bash tools/setup_env.sh`) to create the environment; '
                  'GPU users: see requirements/optional_gpu.txt')
# the modules that import without the OpenMMLab stack (and the submodules of those ending in '.*')
TORCH_ONLY_MODULES = ('svm', 'svm.version', 'svm.utils', 'svm.utils.dependencies', 'svm.utils.progress',
                      'svm.utils.table', 'svm.utils.user_errors', 'svm.models', 'svm.models.backbones',
                      'svm.models.backbones.svit', 'svm.models.backbones.clip_checkpoint', 'svm.models.layers',
                      'svm.models.layers.*', 'svm.benchmark', 'svm.benchmark.timing', 'svm.benchmark.backbone',
                      'svm.benchmark.gpu_report', 'svm.benchmark.streams')


def _release(version: str) -> Tuple[int, ...]:
    """The leading numeric release of a version string: '2.14.1+cu130' -> (2, 14, 1), '2.6.0a0' -> (2, 6, 0)."""
    parts = []
    for part in version.split('+')[0].split('.'):
        digits = re.match(r'\d+', part)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.group() != part:
            break
    return tuple(parts)


def check_python(version_info: Tuple[int, ...] = tuple(sys.version_info[:3])) -> None:
    """Raise a RuntimeError naming what to install unless Python is at least :data:`MIN_PYTHON`."""
    if tuple(version_info[:2]) < MIN_PYTHON:
        need = '.'.join(map(str, MIN_PYTHON))
        raise RuntimeError(f'svm needs Python >= {need}, this is Python {".".join(map(str, version_info))}; '
                           f'create the environment with Python {need} or newer (PYTHON=python{need} make env)')


def check_torch(version: Optional[str] = None) -> None:
    """Raise an ImportError naming what to install unless torch is installed at :data:`MIN_TORCH` or newer.

    Reads the installed version from the package metadata (``version`` overrides it), without importing torch.
    """
    need = '.'.join(map(str, MIN_TORCH))
    if version is None:
        try:
            version = metadata.version('torch')
        except metadata.PackageNotFoundError:
            raise ImportError(f'svm needs PyTorch >= {need}, which is not installed: run `make env` (CPU) or '
                              f'`make env-gpu` on a CUDA machine (see requirements/optional_gpu.txt)') from None
    if _release(version)[:2] < MIN_TORCH:
        raise ImportError(
            f'svm needs PyTorch >= {need} (its checkpoint loader uses torch.serialization.safe_globals with '
            f'named entries), found torch {version}: install a newer torch, e.g. `pip install "torch>={need}" '
            f'torchvision --index-url https://download.pytorch.org/whl/cu128` on a CUDA machine, or run `make env`')


def openmmlab_installed() -> bool:
    """Whether any package of the OpenMMLab stack can be imported (found, not imported)."""
    return any(importlib.util.find_spec(name) is not None for name in IMPORT_NAMES.values())


def check_dependencies() -> None:
    """Raise an ImportError that says what to install unless the whole stack is there, at the versions of
    :data:`REQUIRED`; from the packages' metadata, importing none of them."""
    from packaging.version import Version  # a dependency of the stack, not of the torch-only core
    problems = []
    for name, (low, high) in REQUIRED.items():
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f'{name} is not installed (need >={low},<{high})')
            continue
        if not Version(low) <= Version(found) < Version(high):
            problems.append(f'{name}=={found} is installed, but svm needs >={low},<{high}')
    if problems:
        raise ImportError('svm cannot start: ' + '; '.join(problems) + '. ' + HOW_TO_INSTALL)


def check_mmcv_ops() -> None:
    """Raise an ImportError that says how to rebuild mmcv unless its compiled ops load."""
    try:
        import mmcv.ops  # noqa: F401
    except Exception as err:  # ImportError or a failed compiled-extension load
        raise ImportError(
            f'mmcv is installed without its compiled ops ({err}); svm needs mmcv.ops (nms, RoI ops). '
            'Rebuild it with MMCV_WITH_OPS=1 pip install --no-build-isolation mmcv==2.1.0. '
            + HOW_TO_INSTALL) from err


def is_torch_only(module_name: str) -> bool:
    """Whether the svm module ``module_name`` imports without the OpenMMLab stack."""
    return any(module_name == name or (name.endswith('.*') and module_name.startswith(name[:-1]))
               for name in TORCH_ONLY_MODULES)


class OpenMMLabFeatureGuard(importlib.abc.MetaPathFinder):
    """Refuses, with what to install, the svm modules that need the OpenMMLab stack.

    ``import svm`` puts it first on ``sys.meta_path`` when the stack is absent, so that ``import svm.apis``
    (or a config naming svm's types) says what is missing instead of failing deep inside with
    "No module named 'mmengine'". It finds no module itself: the core's modules are left to the usual
    finders.
    """

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None, target=None) -> None:
        if fullname.startswith('svm.') and not is_torch_only(fullname):
            missing = ', '.join(REQUIRED)
            raise ImportError(
                f'{fullname} needs the OpenMMLab stack ({missing}), which is not installed; without it only '
                'the torch-only core imports (svm.models.backbones.svit, svm.models.layers and the backbone '
                'benchmarks of svm.benchmark). ' + HOW_TO_INSTALL,
                name=fullname)
        return None


def guard_openmmlab_features() -> None:
    """Install :class:`OpenMMLabFeatureGuard` (once)."""
    if not any(isinstance(finder, OpenMMLabFeatureGuard) for finder in sys.meta_path):
        sys.meta_path.insert(0, OpenMMLabFeatureGuard())
