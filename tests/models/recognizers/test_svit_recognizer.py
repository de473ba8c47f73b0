"""SViTRecognizer: mmaction2's multi-view layout, parallel-mode clips, training and test steps."""
import pytest
import torch

from helpers import build_tiny_recognizer, tiny_recognizer_cfg

B, V, T, S = 2, 3, 4, 32


def batch(num_videos=B, views=V, labels=(1, 3)):
    from mmaction.structures import ActionDataSample
    torch.manual_seed(1)
    inputs = [torch.randint(0, 256, (views, 3, T, S, S)).float() for _ in range(num_videos)]
    samples = [ActionDataSample().set_gt_label(label) for label in labels[:num_videos]]
    return dict(inputs=inputs, data_samples=samples)


@pytest.mark.parametrize('attn_mode', ['stream', 'space', 'clip'])
def test_every_view_is_one_clip_of_the_backbone(attn_mode):
    model = build_tiny_recognizer(attn_mode)
    inputs = model.data_preprocessor(batch())['inputs']  # (B, V, C, T, H, W)
    assert inputs.shape == (B, V, 3, T, S, S)
    with torch.no_grad():
        feats, _ = model.extract_feat(inputs)
        assert feats.shape == (B * V, T, 1 + (S // 8)**2, 32)
        # view v of video b is row b*V + v; its frames are the time axis of the NCTHW input
        b, v = 1, 2
        alone = model.backbone(inputs[b, v].transpose(0, 1)[None])[-1]
        torch.testing.assert_close(feats[b * V + v], alone, atol=1e-5, rtol=0)
        scores, _ = model.extract_feat(inputs, stage='head')
        assert scores.shape == (B * V, 5)


def test_max_testing_views_changes_memory_not_results():
    model = build_tiny_recognizer()
    data = model.data_preprocessor(batch())
    with torch.no_grad():
        at_once = model.predict(data['inputs'], data['data_samples'])
        at_once = [s.pred_score.clone() for s in at_once]
        model.test_cfg = dict(max_testing_views=2)
        chunked = model.predict(data['inputs'], data['data_samples'])
    for a, c in zip(at_once, chunked):
        torch.testing.assert_close(a, c.pred_score, atol=1e-6, rtol=0)


def test_train_step_lowers_the_loss():
    from mmengine.optim import OptimWrapper
    model = build_tiny_recognizer().train()
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    data = batch(views=1)
    losses = [model.train_step(data, optim)['loss_cls'].item() for _ in range(12)]
    assert losses[-1] < 0.6 * losses[0], losses


def test_test_step_returns_averaged_scores():
    model = build_tiny_recognizer()
    results = model.test_step(batch())
    assert len(results) == B
    for result in results:
        assert result.pred_score.shape == (5, )
        torch.testing.assert_close(result.pred_score.sum(), torch.tensor(1.))


def test_bad_inputs_are_refused():
    from mmaction.registry import MODELS
    model = build_tiny_recognizer()
    with pytest.raises(ValueError, match='NCTHW'):
        model.extract_feat(torch.zeros(B * V, 3, T, S, S))
    cfg = tiny_recognizer_cfg()
    cfg['backbone'].update(out_type='featmap')
    with pytest.raises(ValueError, match="out_type='tokens'"):
        MODELS.build(cfg).extract_feat(torch.zeros(1, 1, 3, T, S, S))
    cfg = tiny_recognizer_cfg(frame_tokens=('patch_mean', ))  # the head expects a class token
    cfg['backbone'].update(window_size=2, with_cls_token=False)
    with pytest.raises(ValueError, match='with_cls_token=False but the head expects with_cls_token=True'):
        MODELS.build(cfg)


def build_frozen_recognizer(backbone: str) -> torch.nn.Module:
    """A tiny recogniser with a frozen backbone: the global S-ViT with a class token, or the MOT release's
    layout (windows, no class token) read by a head that takes patch tokens only."""
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    if backbone == 'global':
        cfg = tiny_recognizer_cfg()
    else:
        cfg = tiny_recognizer_cfg(frame_tokens=('patch_mean', 'patches'), with_cls_token=False)
        cfg['backbone'].update(window_size=2, with_cls_token=False, residual_block_indices=(1, ))
    cfg['freeze_backbone'] = True
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


OPTIM_WRAPPERS = {
    'default': dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)),
    'layer_decay': dict(constructor='CLIPLayerDecayOptimWrapperConstructor',
                        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
                        paramwise_cfg=dict(layer_decay_rate=0.75, backbone_lr_mult=0.1, norm_decay_mult=0.)),
}


@pytest.mark.parametrize('optim_wrapper', list(OPTIM_WRAPPERS))
@pytest.mark.parametrize('backbone', ['global', 'windowed'])
def test_frozen_backbone_trains_only_the_head(backbone, optim_wrapper):
    from mmengine.optim import build_optim_wrapper
    model = build_frozen_recognizer(backbone).train()
    assert not any(m.training for m in model.backbone.modules()) and model.cls_head.training
    assert not any(p.requires_grad for p in model.backbone.parameters())
    optim = build_optim_wrapper(model, OPTIM_WRAPPERS[optim_wrapper])
    backbone_before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    head_before = {k: v.detach().clone() for k, v in model.cls_head.named_parameters()}
    data = batch(views=1)
    losses = [model.train_step(data, optim)['loss_cls'].item() for _ in range(12)]
    assert losses[-1] < 0.6 * losses[0], losses
    for name, value in model.backbone.state_dict().items():
        assert torch.equal(value, backbone_before[name]), name
    for name, param in model.cls_head.named_parameters():
        assert not torch.equal(param, head_before[name]), name
    assert not any(m.training for m in model.backbone.modules())


def test_frozen_backbone_runs_without_autograd():
    """The frozen encoder runs under no_grad (no activations kept, no backward through it); the head does not."""
    model = build_frozen_recognizer('windowed').train()
    grad_enabled = {}
    for name in ('backbone', 'cls_head'):
        getattr(model, name).register_forward_hook(
            lambda module, args, out, name=name: grad_enabled.__setitem__(name, torch.is_grad_enabled()))
    inputs = model.data_preprocessor(batch(views=1), training=True)['inputs']
    scores, _ = model.extract_feat(inputs, stage='head')
    assert grad_enabled == dict(backbone=False, cls_head=True) and scores.requires_grad
    feats, _ = model.extract_feat(inputs)
    assert feats.shape == (B, T, (S // 8)**2, 32)  # patch tokens only
    # an unfrozen recogniser's encoder runs with autograd
    unfrozen = build_tiny_recognizer().train()
    unfrozen.backbone.register_forward_hook(lambda module, args, out: grad_enabled.__setitem__(
        'unfrozen', torch.is_grad_enabled()))
    unfrozen.extract_feat(inputs)
    assert grad_enabled['unfrozen']
