"""The one place where svm patches mmaction2 1.2.0's packaging.

The published mmaction2 1.2.0 (wheel and sdist) lacks ``mmaction/models/localizers/drn``, which
``mmaction/models/localizers/__init__.py`` imports, so ``import mmaction.models`` fails. svm does not
use the DRN temporal-grounding localizer: a placeholder module stands in for it, and building a DRN
raises an error that says why. (mmaction2 also imports ``importlib_metadata`` without declaring it;
requirements/runtime.txt installs it.)

mmaction2 1.2.0 also imports its VindLU multimodal models whenever transformers >= 4.28 is installed, and
they import names that transformers 5 removed (``transformers.modeling_utils.apply_chunking_to_forward``):
with transformers 5 in the environment, ``import mmaction.models`` fails. svm uses no VindLU model: there,
mmaction2 registers its VindLU placeholders, as when transformers is absent.

Importing this module before ``mmaction.models`` is enough; ``import svm`` does that.
"""
import importlib.metadata
import importlib.util
import os
import sys
import types

_MISSING = 'mmaction.models.localizers.drn'


class DRN:
    """Placeholder for mmaction2's DRN localizer, absent from the published mmaction2 1.2.0."""

    def __init__(self, *args, **kwargs):
        raise ImportError('mmaction2 1.2.0 as published on PyPI lacks mmaction/models/localizers/drn; '
                          'install mmaction2 from source to use the DRN localizer')


def _install_placeholder() -> None:
    mmaction_dir = os.path.dirname(importlib.util.find_spec('mmaction').origin)
    if _MISSING in sys.modules or os.path.isdir(os.path.join(mmaction_dir, 'models', 'localizers', 'drn')):
        return  # already handled, or a fixed mmaction2 that ships the real module
    package = types.ModuleType(_MISSING)
    package.__path__ = []
    module = types.ModuleType(f'{_MISSING}.drn')
    module.DRN = DRN
    package.drn = module
    sys.modules[_MISSING] = package
    sys.modules[f'{_MISSING}.drn'] = module


def _skip_multimodal_with_transformers_5() -> None:
    try:
        major = int(importlib.metadata.version('transformers').split('.')[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return
    if major >= 5:
        from mmaction.utils import dependency
        dependency.WITH_MULTIMODAL = False  # read by mmaction/models/multimodal/__init__.py at its import


_install_placeholder()
_skip_multimodal_with_transformers_5()
