"""SViTRecognizer: mmaction2's multi-view layout, parallel-mode clips, training and test steps."""
import pytest
import torch

from svm.testing import build_tiny_recognizer, tiny_recognizer_cfg

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
