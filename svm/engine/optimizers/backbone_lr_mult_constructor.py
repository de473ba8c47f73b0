"""A backbone learning-rate multiplier that keeps mmengine's norm/bias weight-decay rules.

With mmengine's ``DefaultOptimWrapperConstructor``, ``custom_keys=dict(backbone=dict(lr_mult=0.1))``
also decides the weight decay of every backbone parameter, so ``norm_decay_mult=0`` and
``bias_decay_mult=0`` stop applying to the backbone's norms and biases. The S-ViT MOT recipe wants
both: backbone at 0.1x lr except its new parts, and no decay on any norm or bias.
"""
from typing import List, Sequence

import torch.nn as nn
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.optim import DefaultOptimWrapperConstructor


@MMDET_OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class BackboneLrMultOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, then ``lr *= backbone_lr_mult`` for the backbone's parameters.

    Extra ``paramwise_cfg`` keys (mmengine's others, norm/bias decay multipliers included, apply first):
        backbone (str): name prefix of the backbone's parameters, e.g. 'detector.backbone.'.
        backbone_lr_mult (float): lr factor of the backbone, e.g. 0.1.
        backbone_new_parts (Sequence[str]): name prefixes, inside the backbone, of parts that are not
            pretrained and keep the full lr (S-ViT's 'conv_blocks.', 'out_norms.').

    Example::

        optim_wrapper = dict(
            constructor='BackboneLrMultOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=2.5e-4, weight_decay=0.05),
            paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0., backbone='detector.backbone.',
                               backbone_lr_mult=0.1, backbone_new_parts=('conv_blocks.', 'out_norms.')))
    """

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '', **kwargs) -> None:
        if prefix:  # the default constructor's recursion into submodules
            super().add_params(params, module, prefix=prefix, **kwargs)
            return
        first_new = len(params)
        super().add_params(params, module, **kwargs)
        backbone: str = self.paramwise_cfg.get('backbone', 'backbone.')
        mult: float = self.paramwise_cfg.get('backbone_lr_mult', 1.0)
        new_parts: Sequence[str] = tuple(backbone + p for p in self.paramwise_cfg.get('backbone_new_parts', ()))
        names = {id(param): name for name, param in module.named_parameters()}
        if not any(name.startswith(backbone) for name in names.values()):
            raise ValueError(f'BackboneLrMultOptimWrapperConstructor: no parameter name starts with '
                             f'paramwise_cfg.backbone={backbone!r}')
        for group in params[first_new:]:
            name = names[id(group['params'][0])]
            if name.startswith(backbone) and not name.startswith(new_parts):
                group['lr'] = group.get('lr', self.base_lr) * mult
