"""Registering svm's modules into mmdet's and mmaction2's registries, one task at a time.

``import svm`` registers nothing and imports none of the OpenMMLab stack. As in mmdet and mmaction2, the
modules of a task are registered by importing them: a config names its task's entry module in
``custom_imports`` (``svm.tasks.mot``, ``svm.tasks.recognition``; see configs/_base_/), and code that builds
models without a config file calls :func:`register_all_modules` for its task. A MOT run therefore never
imports mmaction2's models, nor a recognition run mmdet's.

Registration needs the OpenMMLab stack: without it this module is refused by svm's import guard, with what to
install (svm/utils/dependencies.py).
"""
import importlib
from typing import Dict, Tuple

# The modules whose import registers a task's types. The MOT tracker that also recognises actions
# (svm.models.mot.track_recognizer) is registered with 'mot'; building one needs 'recognition' too.
TASK_MODULES: Dict[str, Tuple[str, ...]] = {
    'mot': ('svm.datasets.mot', 'svm.datasets.samplers', 'svm.datasets.transforms', 'svm.engine.hooks',
            'svm.engine.optimizers', 'svm.engine.runner', 'svm.evaluation', 'svm.models.backbones.openmmlab',
            'svm.models.necks', 'svm.models.mot', 'svm.visualization'),
    'recognition': ('svm.utils.mmaction_compat', 'svm.datasets.recognition', 'svm.engine.hooks',
                    'svm.engine.optimizers', 'svm.models.backbones.openmmlab', 'svm.models.necks',
                    'svm.models.heads', 'svm.models.recognizers'),
}
TASKS = tuple(TASK_MODULES)


def register_all_modules(task: str = 'all') -> None:
    """Register svm's modules of ``task`` (``'mot'``, ``'recognition'`` or ``'all'``) into the registries
    of mmdet (MOT) and mmaction2 (recognition). Calling it again changes nothing.

    For ``'mot'`` it also checks that mmcv's compiled ops load, and lets mmcv's NMS and RoIAlign run on CUDA
    tensors through torchvision where mmcv was built without CUDA ops (svm/ops).
    """
    if task != 'all' and task not in TASK_MODULES:
        raise ValueError(f"task must be one of {TASKS + ('all', )}, got {task!r}")
    for name in TASKS if task == 'all' else (task, ):
        if name == 'mot':
            from .dependencies import check_mmcv_ops
            check_mmcv_ops()
        for module in TASK_MODULES[name]:
            importlib.import_module(module)
        if name == 'mot':
            from svm.ops import enable_torchvision_ops
            enable_torchvision_ops()
