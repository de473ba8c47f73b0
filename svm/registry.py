"""Where svm's modules are registered.

svm serves two OpenMMLab codebases: MOT configs run with ``default_scope='mmdet'`` and recognition
configs with ``default_scope='mmaction'``. Each svm module is registered into the registry of the
codebase that builds it, so configs name svm, mmdet and mmaction2 types alike by their plain names.
Modules used by both (the S-ViT backbone, its necks) go into both model registries.

This module needs the OpenMMLab stack; ``import svm`` imports it only when the stack is installed.
"""
from mmaction.registry import DATASETS as MMACTION_DATASETS
from mmaction.registry import MODELS as MMACTION_MODELS
from mmaction.registry import TRANSFORMS as MMACTION_TRANSFORMS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS

__all__ = [
    'MMACTION_DATASETS', 'MMACTION_MODELS', 'MMACTION_TRANSFORMS', 'MMDET_DATASETS', 'MMDET_DATA_SAMPLERS',
    'MMDET_LOOPS', 'MMDET_METRICS', 'MMDET_MODELS', 'MMDET_TRANSFORMS', 'register_shared_model'
]


def register_shared_model(cls):
    """Class decorator: register a model component in both the mmdet and the mmaction2 registry."""
    MMDET_MODELS.register_module(module=cls)
    MMACTION_MODELS.register_module(module=cls)
    return cls
