"""Build the model of a config, or a part of it, without its pretrained weights: the one builder of svm's
benchmarks, FLOP counts, APIs and install check.

OpenMMLab models read their pretrained weights in ``init_weights`` (svm's SViT: ``pretrained``, a CLIP file;
any module: an ``init_cfg`` of type ``Pretrained``). A model measured, counted or about to receive a whole
checkpoint must not need those files, so both are removed from the config before it is built.
"""
import contextlib
import copy
import logging
from typing import Any, Iterator, Optional

from torch import nn

TASK_OF_SCOPE = {'mmdet': 'mot', 'mmaction': 'recognition'}  # svm's task whose modules a scope's models use


def without_pretrained(model_cfg: Any) -> Any:
    """A copy of a model config with ``pretrained=None`` wherever a module names a ``pretrained`` file, and without
    every ``init_cfg`` of type ``Pretrained`` (alone or in a list)."""
    if isinstance(model_cfg, (list, tuple)):
        return type(model_cfg)(without_pretrained(item) for item in model_cfg)
    if not isinstance(model_cfg, dict):
        return model_cfg
    out = copy.copy(model_cfg)  # the same mapping type (mmengine's ConfigDict stays one)
    for key, value in model_cfg.items():
        if key == 'pretrained':
            out[key] = None
        elif key == 'init_cfg' and _is_pretrained_init(value):
            del out[key]
        elif key == 'init_cfg' and isinstance(value, (list, tuple)):
            out[key] = [item for item in value if not _is_pretrained_init(item)]
        else:
            out[key] = without_pretrained(value)
    return out


def _is_pretrained_init(init_cfg: Any) -> bool:
    return isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained'


@contextlib.contextmanager
def quiet_logger(level: int = logging.WARNING) -> Iterator[None]:
    """mmengine's current logger at ``level`` or above within the block: its ``init_weights`` and optimizer
    constructors log a line per parameter."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    saved = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(saved)


def build_model_from_cfg(cfg, part: str = '', *, scope: Optional[str] = None, seed: Optional[int] = None,
                         init_weights: bool = False) -> nn.Module:
    """``cfg.model``, or its part at the dotted path ``part`` (e.g. ``'detector'``, ``'detector.backbone'``),
    built without pretrained weights (:func:`without_pretrained`) in a registry scope (mmdet's for svm's MOT
    configs, mmaction's for recognition), after importing the config's ``custom_imports`` (without them, svm's
    modules of the scope's task are registered).

    Args:
        cfg: an mmengine ``Config`` (its ``filename`` names it in errors).
        part: dotted path inside ``cfg.model``; '' for the whole model.
        scope: the registry scope to build in (default: the config's ``default_scope``).
        seed: ``torch.manual_seed`` before building, so that random weights are reproducible.
        init_weights: also run the model's ``init_weights`` (quietly), e.g. before timing with random weights.

    Returns the module in training mode on the CPU, as the registry builds it.

    Raises:
        KeyError: ``part`` is not in the model config (the missing key and the file named).
    """
    import torch
    from mmengine.registry import MODELS
    from mmengine.utils import import_modules_from_strings
    model_cfg = cfg.model
    for key in filter(None, part.split('.')):
        if not isinstance(model_cfg, dict) or key not in model_cfg:
            raise KeyError(f'{cfg.filename or "config"}: model.{part} does not exist (no {key!r} there)')
        model_cfg = model_cfg[key]
    scope = scope or cfg.get('default_scope')
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    else:  # a bare model config (an S-ViT alone) names no task module: svm's modules of its scope
        from svm.utils.setup_env import register_all_modules
        register_all_modules(TASK_OF_SCOPE.get(scope, 'all'))
    if seed is not None:
        torch.manual_seed(seed)
    # mmdet's and mmaction2's models build their parts from the current scope: the config's, whatever ran before
    with MODELS.switch_scope_and_registry(scope) as registry:
        model = registry.build(without_pretrained(model_cfg))
        if init_weights:
            with quiet_logger():
                model.init_weights()
    return model
