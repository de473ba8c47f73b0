"""Fail early, with what to install, when the OpenMMLab stack is missing or of the wrong version."""
from importlib import metadata

from packaging.version import Version

# name on PyPI -> (lowest accepted, first rejected); mirrors requirements/*.txt
REQUIRED = {
    'mmengine': ('0.10.0', '0.11.0'),
    'mmcv': ('2.0.0rc4', '2.2.0'),
    'mmdet': ('3.3.0', '3.4.0'),
    'mmaction2': ('1.2.0', '1.3.0'),
}
HOW_TO_INSTALL = ('run `make test` (or `bash tools/setup_env.sh`) to create the environment; '
                  'GPU users: see requirements/optional_gpu.txt')


def check_dependencies() -> None:
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
    try:
        import mmcv.ops  # noqa: F401
    except Exception as err:  # ImportError or a failed compiled-extension load
        raise ImportError(
            f'mmcv is installed without its compiled ops ({err}); svm needs mmcv.ops (nms, RoI ops). '
            'Rebuild it with MMCV_WITH_OPS=1 pip install --no-build-isolation mmcv==2.1.0. '
            + HOW_TO_INSTALL) from err
