"""TemporalDecoderHead: token choice, temporal position embedding, losses and multi-view averaging."""
import pytest
import torch
import torch.nn.functional as F

N, T, HW, C, K = 2, 4, 9, 32, 5


def make_head(**kwargs):
    from svm.models.heads import TemporalDecoderHead
    torch.manual_seed(0)
    cfg = dict(num_classes=K, in_channels=C, num_frames=T, num_heads=4, dropout_ratio=0.)
    cfg.update(kwargs)
    head = TemporalDecoderHead(**cfg)
    head.init_weights()
    return head.eval()


def data_samples(labels):
    from mmaction.structures import ActionDataSample
    return [ActionDataSample().set_gt_label(label) for label in labels]


@pytest.mark.parametrize('frame_tokens', [('cls', ), ('patch_mean', ), ('patches', ), ('cls', 'patch_mean')])
@pytest.mark.parametrize('pos_embed', ['learned', 'sincos', None])
@pytest.mark.parametrize('num_layers,num_queries', [(1, 1), (2, 3)])
def test_scores_shape(frame_tokens, pos_embed, num_layers, num_queries):
    head = make_head(frame_tokens=frame_tokens, temporal_pos_embed=pos_embed, num_layers=num_layers,
                     num_queries=num_queries)
    assert head(torch.randn(N, T, 1 + HW, C)).shape == (N, K)
    assert len(head.layers) == num_layers and head.queries.shape == (1, num_queries, C)


@pytest.mark.parametrize('frame_tokens,reads_cls,reads_patches', [
    (('cls', ), True, False), (('patch_mean', ), False, True), (('patches', ), False, True),
    (('cls', 'patch_mean'), True, True)])
def test_reads_only_the_chosen_tokens(frame_tokens, reads_cls, reads_patches):
    head = make_head(frame_tokens=frame_tokens)
    x = torch.randn(N, T, 1 + HW, C)
    new_cls, new_patches = x.clone(), x.clone()
    new_cls[:, :, 0] += torch.randn(N, T, C)
    new_patches[:, :, 1:] += torch.randn(N, T, HW, C)
    with torch.no_grad():
        ref = head(x)
        assert torch.allclose(head(new_cls), ref, atol=1e-6) != reads_cls
        assert torch.allclose(head(new_patches), ref, atol=1e-6) != reads_patches


@pytest.mark.parametrize('frame_tokens', [('patch_mean', ), ('patches', ), ('patch_mean', 'patches')])
def test_without_class_token_reads_all_tokens_as_patches(frame_tokens):
    """Patch tokens of an encoder without a class token (N, T, h*w, C) give the scores the default head
    gives them with a class token prepended, whatever that token is."""
    patches = torch.randn(N, T, HW, C)
    no_cls = make_head(frame_tokens=frame_tokens, with_cls_token=False)
    default = make_head(frame_tokens=frame_tokens)
    default.load_state_dict(no_cls.state_dict())
    with torch.no_grad():
        scores = no_cls(patches)
        for dummy in (torch.zeros(N, T, 1, C), torch.randn(N, T, 1, C)):
            torch.testing.assert_close(scores, default(torch.cat([dummy, patches], dim=2)), atol=1e-6, rtol=0)
        # every token counts as a patch: changing the first one changes the scores
        first_changed = patches.clone()
        first_changed[:, :, 0] += torch.randn(N, T, C)
        assert not torch.allclose(no_cls(first_changed), scores, atol=1e-4)


def test_class_token_refused_without_one():
    with pytest.raises(ValueError, match="TemporalDecoderHead.*'cls'.*with_cls_token=False"):
        make_head(frame_tokens=('cls', 'patch_mean'), with_cls_token=False)


@pytest.mark.parametrize('pos_embed', ['learned', 'sincos'])
def test_temporal_position_embedding_makes_frame_order_matter(pos_embed):
    x = torch.randn(N, T, 1 + HW, C)
    reversed_x = x.flip(1)
    with torch.no_grad():
        with_pos = make_head(temporal_pos_embed=pos_embed)
        assert not torch.allclose(with_pos(x), with_pos(reversed_x), atol=1e-4)
        # Without one the decoder is a set function of the frames.
        without = make_head(temporal_pos_embed=None)
        torch.testing.assert_close(without(x), without(reversed_x), atol=1e-5, rtol=0)


def test_clip_length_limits():
    x = torch.randn(1, T + 2, 1 + HW, C)
    with pytest.raises(ValueError, match='num_frames=4'):
        make_head(temporal_pos_embed='learned')(x)
    assert make_head(temporal_pos_embed='sincos')(x).shape == (1, K)  # sincos extends to any length
    # Shorter clips (an online stream that has just started) use the first embeddings.
    assert make_head()(x[:, :2]).shape == (1, K)


@pytest.mark.parametrize('bad', [dict(frame_tokens=('cls', 'mean')), dict(frame_tokens=('cls', 'cls')),
                                 dict(frame_tokens=()), dict(temporal_pos_embed='rope'), dict(num_layers=0),
                                 dict(num_heads=5)])
def test_bad_options_are_refused(bad):
    with pytest.raises(ValueError, match='TemporalDecoderHead'):
        make_head(**bad)


def test_loss_uses_label_smoothing():
    head = make_head(label_smooth_eps=0.2)
    x, labels = torch.randn(N, T, 1 + HW, C), [3, 1]
    losses = head.loss(x, data_samples(labels))
    target = F.one_hot(torch.tensor(labels), K) * 0.8 + 0.2 / K
    expected = -(target * head(x).log_softmax(-1)).sum(-1).mean()
    torch.testing.assert_close(losses['loss_cls'], expected)
    assert {'top1_acc', 'top5_acc'} <= set(losses)
    losses['loss_cls'].backward()
    assert head.queries.grad.abs().sum() > 0 and head.temporal_pos_embed.grad.abs().sum() > 0


def test_loss_takes_mixup_soft_labels():
    head = make_head()
    x = torch.randn(N, T, 1 + HW, C)
    soft = torch.tensor([[0.7, 0.3, 0., 0., 0.], [0., 0., 0.5, 0.5, 0.]])
    loss = head.loss(x, data_samples(list(soft)))['loss_cls']
    torch.testing.assert_close(loss, -(soft * head(x).log_softmax(-1)).sum(-1).mean())


def test_predict_averages_the_views_probabilities():
    head = make_head()
    views = 3
    x = torch.randn(N * views, T, 1 + HW, C)
    with torch.no_grad():
        results = head.predict(x, data_samples([0, 1]))
        expected = head(x).softmax(-1).view(N, views, K).mean(1)
    for result, score in zip(results, expected):
        torch.testing.assert_close(result.pred_score, score)
        assert result.pred_label.item() == score.argmax().item()
