"""CLIPLayerDecayOptimWrapperConstructor: per-parameter lr and weight decay of a tiny recogniser."""
import pytest
import torch

from svm.engine.optimizers import clip_layer_id
from helpers import build_tiny_recognizer

BASE_LR, WD, DECAY, BACKBONE_MULT = 1.0, 0.05, 0.5, 0.1


def build(model, **paramwise):
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    paramwise_cfg = dict(layer_decay_rate=DECAY, backbone_lr_mult=BACKBONE_MULT, flat_decay_mult=0.)
    paramwise_cfg.update(paramwise)
    cfg = dict(constructor='CLIPLayerDecayOptimWrapperConstructor',
               optimizer=dict(type='AdamW', lr=BASE_LR, weight_decay=WD), paramwise_cfg=paramwise_cfg)
    optimizer = build_optim_wrapper(model, cfg).optimizer
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: g for g in optimizer.param_groups for p in g['params']}


def test_clip_layer_ids():
    assert clip_layer_id('conv1.weight', 12) == 0
    assert clip_layer_id('class_embedding', 12) == 0
    assert clip_layer_id('positional_embedding', 12) == 0
    assert clip_layer_id('ln_pre.bias', 12) == 0
    assert clip_layer_id('transformer.resblocks.0.attn.qkv.weight', 12) == 1
    assert clip_layer_id('transformer.resblocks.11.mlp.c_fc.weight', 12) == 12
    assert clip_layer_id('out_norms.0.weight', 12) == 13


def test_lr_decays_with_depth_and_backbone_is_slower():
    model = build_tiny_recognizer()  # 3 blocks
    groups = build(model)
    assert len(groups) == len(list(model.parameters()))

    def lr(name):
        return groups[name]['lr']

    for name in groups:
        if not name.startswith('backbone.'):
            assert lr(name) == pytest.approx(BASE_LR), name
    assert lr('backbone.conv1.weight') == pytest.approx(BACKBONE_MULT * DECAY**4)
    assert lr('backbone.positional_embedding') == pytest.approx(BACKBONE_MULT * DECAY**4)
    block_names = [n for n in groups if n.startswith('backbone.transformer.resblocks.')]
    assert any('t2d' in n for n in block_names)  # the new T2D projections decay with their block
    for name in block_names:
        block = int(name.split('.')[3])
        assert lr(name) == pytest.approx(BACKBONE_MULT * DECAY**(3 - block)), name
    assert lr('backbone.out_norms.0.weight') == pytest.approx(BACKBONE_MULT)


def test_mmengine_paramwise_rules_still_apply():
    model = build_tiny_recognizer()
    groups = build(model, custom_keys={'cls_head.queries': dict(lr_mult=2.0), 't2d_alpha': dict(lr_mult=10.0)})
    assert groups['cls_head.queries']['lr'] == pytest.approx(2.0)
    alpha = 'backbone.transformer.resblocks.2.attn.t2d_alpha'
    assert groups[alpha]['lr'] == pytest.approx(10.0 * BACKBONE_MULT * DECAY)
    # flat_decay_mult=0: no weight decay on 1-D parameters (norms, biases, class token)
    assert groups['backbone.class_embedding']['weight_decay'] == 0.
    assert groups['cls_head.fc_cls.bias']['weight_decay'] == 0.
    assert groups['cls_head.fc_cls.weight'].get('weight_decay', WD) == WD


def test_one_training_step_moves_params_by_their_lr():
    """An AdamW step moves each weight by about its lr (sign of the gradient): the groups are live."""
    model = build_tiny_recognizer().train()
    from mmengine.optim import build_optim_wrapper
    build(model)  # sets the scope
    optim = build_optim_wrapper(model, dict(
        constructor='CLIPLayerDecayOptimWrapperConstructor', optimizer=dict(type='AdamW', lr=1e-3,
                                                                            weight_decay=0.),
        paramwise_cfg=dict(layer_decay_rate=DECAY, backbone_lr_mult=BACKBONE_MULT)))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    out = model.cls_head(model.encode_clips(torch.randn(2, 4, 3, 32, 32)))
    optim.update_params(out.logsumexp(-1).mean())
    moved = {n: (p.detach() - before[n]).abs().max().item() for n, p in model.named_parameters()}
    assert moved['cls_head.fc_cls.weight'] == pytest.approx(1e-3, rel=0.05)
    assert moved['backbone.transformer.resblocks.0.mlp.c_fc.weight'] == pytest.approx(
        1e-3 * BACKBONE_MULT * DECAY**3, rel=0.05)


def test_refuses_models_without_clip_names():
    with pytest.raises(ValueError, match='transformer.resblocks'):
        build(torch.nn.Sequential(torch.nn.Linear(2, 2)))
