"""Backbone learning rates for backbones that use OpenAI CLIP's parameter names (S-ViT): a lower rate
for the pretrained backbone, layer-wise decay, full rate for its new parts.

mmaction2's ``LearningRateDecayOptimizerConstructor`` does not fit: it recognises only MViT and
mmaction2's VisionTransformer (``backbone.blocks.{i}``) by class name, and it replaces mmengine's
paramwise rules (custom keys, norm/bias decay multipliers) with its own. mmengine's ``custom_keys``
do not fit either: ``custom_keys=dict(backbone=dict(lr_mult=0.1))`` also decides the weight decay of
every backbone parameter, so ``norm_decay_mult=0`` / ``bias_decay_mult=0`` stop applying inside the
backbone. This constructor keeps all of mmengine's ``DefaultOptimWrapperConstructor`` rules and then
scales each backbone parameter's learning rate.
"""
import logging
from typing import List, Sequence

import torch.nn as nn
from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMACTION_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

BLOCK_PREFIX = 'transformer.resblocks.'
# CLIP visual-tower parameters below the first block (patch embedding, class token, positions, pre-norm).
EMBEDDING_PREFIXES = ('conv1.', 'class_embedding', 'positional_embedding', 'ln_pre.')


def clip_layer_id(name: str, num_layers: int) -> int:
    """Depth of a backbone parameter (name without the ``backbone.`` prefix) in a CLIP visual tower:
    0 for the embeddings, i + 1 for ``transformer.resblocks.{i}.*``, num_layers + 1 for what follows the
    blocks (output norms, projections, adapters)."""
    if name.startswith(BLOCK_PREFIX):
        return int(name[len(BLOCK_PREFIX):].split('.', 1)[0]) + 1
    if name.startswith(EMBEDDING_PREFIXES):
        return 0
    return num_layers + 1


@MMDET_OPTIM_WRAPPER_CONSTRUCTORS.register_module()
@MMACTION_OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class CLIPLayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor plus a backbone lr multiplier and layer-wise lr decay.

    A backbone parameter at depth ``d`` (see :func:`clip_layer_id`) of a backbone with ``n`` blocks
    gets ``lr = lr_default * backbone_lr_mult * layer_decay_rate ** (n + 1 - d)``, where
    ``lr_default`` is what mmengine's rules give it (the optimizer's lr, or ``custom_keys``' lr_mult
    times it); parameters outside the backbone (heads, necks) and the backbone's new parts keep
    ``lr_default``.

    Extra ``paramwise_cfg`` keys (all of mmengine's others still apply):
        backbone (str): name prefix of the backbone's parameters; 'backbone.' by default,
            'detector.backbone.' in a tracker.
        backbone_lr_mult (float): factor for the whole backbone, e.g. 0.1.
        layer_decay_rate (float): decay per block, e.g. 0.75 for ViT-B fine-tuning; 1 (default) disables it.
        backbone_new_parts (Sequence[str]): name prefixes, inside the backbone, of parts that are not
            pretrained and keep ``lr_default`` (S-ViT's 'conv_blocks.', 'out_norms.').

    Example::

        optim_wrapper = dict(
            constructor='CLIPLayerDecayOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
            paramwise_cfg=dict(layer_decay_rate=0.75, backbone_lr_mult=0.1,
                               norm_decay_mult=0., bias_decay_mult=0.))
    """

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '', **kwargs) -> None:
        if prefix:  # the default constructor's recursion into submodules
            super().add_params(params, module, prefix=prefix, **kwargs)
            return
        first_new = len(params)
        super().add_params(params, module, **kwargs)

        backbone: str = self.paramwise_cfg.get('backbone', 'backbone.')
        decay: float = self.paramwise_cfg.get('layer_decay_rate', 1.0)
        backbone_mult: float = self.paramwise_cfg.get('backbone_lr_mult', 1.0)
        new_parts: Sequence[str] = tuple(backbone + p for p in self.paramwise_cfg.get('backbone_new_parts', ()))
        names = {id(param): name for name, param in module.named_parameters()}
        block_ids = {
            clip_layer_id(name[len(backbone):], 0)
            for name in names.values() if name.startswith(backbone + BLOCK_PREFIX)
        }
        if not block_ids:
            raise ValueError(
                'CLIPLayerDecayOptimWrapperConstructor: the model has no parameters named '
                f'{backbone}{BLOCK_PREFIX}<i>.*; it needs a backbone with CLIP parameter names (SViT) '
                'under paramwise_cfg.backbone')
        num_layers = max(block_ids)

        scales = {}
        for group in params[first_new:]:
            name = names[id(group['params'][0])]
            if not name.startswith(backbone) or name.startswith(new_parts):
                continue
            layer_id = clip_layer_id(name[len(backbone):], num_layers)
            scale = backbone_mult * decay**(num_layers + 1 - layer_id)
            group['lr'] = group.get('lr', self.base_lr) * scale
            scales[layer_id] = scale
        summary = ', '.join(f'{layer_id}: {scale:.4g}' for layer_id, scale in sorted(scales.items()))
        print_log(f'backbone lr scale per layer (0 = embeddings, {num_layers + 1} = after the blocks): {summary}',
                  logger='current', level=logging.INFO)
