"""svm: the Streaming Video Model (S-ViT) on OpenMMLab 2.x.

``import svm`` checks versions and imports nothing else: it refuses Python < 3.10 and torch < 2.6, and a
partial or wrong-version OpenMMLab stack (naming what to install), all from package metadata. Without any
of the stack's packages only the torch-only core imports (``svm.models.backbones.svit``,
``svm.models.layers``); the other modules raise an ImportError that says what to install (see
svm/utils/dependencies.py).

svm's modules are registered into the mmdet and mmaction2 registries per task, when a config imports
``svm.tasks.mot`` or ``svm.tasks.recognition`` (``custom_imports``) or code calls
:func:`svm.utils.setup_env.register_all_modules`; configs with ``default_scope='mmdet'`` or
``default_scope='mmaction'`` then mix svm, mmdet and mmaction2 types by their plain names (svm/registry.py).
Checkpoint I/O through mmengine is made safe by an explicit call of the tools and APIs that load checkpoints
(:func:`svm.utils.checkpoint.enable_safe_checkpoint_io`).
"""
from .utils.dependencies import (check_dependencies, check_python, check_torch, guard_openmmlab_features,
                                 openmmlab_installed)
from .version import __version__

check_python()  # before anything of torch's or the stack's runs: an old one fails here, naming what to install
check_torch()
if openmmlab_installed():
    check_dependencies()  # a partial or wrong-version stack fails here, with what to install
else:
    guard_openmmlab_features()

__all__ = ['__version__']
