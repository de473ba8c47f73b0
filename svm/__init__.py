"""svm: the Streaming Video Model (S-ViT) on OpenMMLab 2.x.

Importing ``svm`` checks the OpenMMLab stack, patches mmaction2 1.2.0's packaging gap, makes
checkpoint loading safe on torch >= 2.6, and registers every svm module into the mmdet and mmaction2
registries (see svm/registry.py), so that configs with ``default_scope='mmdet'`` or
``default_scope='mmaction'`` and ``custom_imports=dict(imports=['svm'])`` mix svm, mmdet and mmaction2
types by their plain names.
"""
from .utils.dependencies import check_dependencies
from .version import __version__

check_dependencies()

# isort: off
from .utils import mmaction_compat  # noqa: E402,F401  (must precede any import of mmaction.models)
from .utils import checkpoint  # noqa: E402,F401  (installs the safe loader for local checkpoints)
from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401
from . import visualization  # noqa: E402,F401  (mmdet's track visualizer, fixed for --show-dir)
# isort: on

__all__ = ['__version__']
