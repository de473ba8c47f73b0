"""svm: the Streaming Video Model (S-ViT) on OpenMMLab 2.x.

Importing ``svm`` first refuses Python < 3.10 and torch < 2.6 (naming what to install). With the OpenMMLab
stack installed, it then checks its versions, patches mmaction2 1.2.0's packaging gap, makes checkpoint loading
safe, routes mmcv's NMS and RoIAlign on CUDA tensors to torchvision where mmcv has CPU ops only (svm/ops), and
registers every svm module into the
mmdet and mmaction2 registries (see svm/registry.py), so that configs with ``default_scope='mmdet'`` or
``default_scope='mmaction'`` and ``custom_imports=dict(imports=['svm'])`` mix svm, mmdet and mmaction2
types by their plain names.

Without any of the stack's packages, only the torch-only core imports (``svm.models.backbones.svit``,
``svm.models.layers``); the other modules raise an ImportError that says what to install (see
svm/utils/dependencies.py).
"""
from .utils.dependencies import (check_dependencies, check_python, check_torch, guard_openmmlab_features,
                                 openmmlab_installed)
from .version import __version__

check_python()  # before anything of torch's or the stack's runs: an old one fails here, naming what to install
check_torch()

if openmmlab_installed():
    check_dependencies()  # a partial or wrong-version stack fails here, with what to install
    # isort: off
    from .utils import mmaction_compat  # noqa: F401  (must precede any import of mmaction.models)
    from .utils import checkpoint  # noqa: F401  (installs the safe loader for local checkpoints)
    from .ops import enable_torchvision_ops
    enable_torchvision_ops()  # mmcv without CUDA ops: its nms and RoIAlign on CUDA run torchvision's kernels
    from . import apis, datasets, engine, evaluation, models  # noqa: F401
    from .models import heads, mot, necks, recognizers  # noqa: F401  (registers modules)
    from .models.backbones import openmmlab  # noqa: F401  (registers SViT)
    from . import visualization  # noqa: F401  (mmdet's track visualizer, fixed for --show-dir)
    # isort: on
else:
    guard_openmmlab_features()

__all__ = ['__version__']
