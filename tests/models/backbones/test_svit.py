"""S-ViT backbone: streaming == parallel, causality, stop-gradient memory, reset, memory policies."""
import copy

import pytest
import torch

from svm.models.backbones import SViT
from svm.models.necks import SimplePyramid
from helpers import REPO_ROOT

TINY = dict(embed_dims=32, num_layers=3, num_heads=4, patch_size=4)


def tiny_svit(**kwargs) -> SViT:
    """A 3-block SViT with a random (non-zero) T2D gate, so T2D really changes the outputs."""
    torch.manual_seed(0)
    cfg = dict(arch=TINY, img_size=16, memory_len=8, out_indices=(0, 1, 2), residual_block_indices=(1, ))
    cfg.update(kwargs)
    model = SViT(**cfg).eval()
    for blk in model.blocks:
        if hasattr(blk.attn, 't2d_alpha'):
            torch.nn.init.normal_(blk.attn.t2d_alpha, 0., 1.)
    for block in model.conv_blocks.values():  # the zero-initialised last norm makes it the identity
        torch.nn.init.normal_(block.norm3.weight)
    return model


def stream(model: SViT, clip: torch.Tensor) -> list:
    """Frame-by-frame outputs of a (B, T, C, H, W) clip, arranged like parallel mode (rows b*T + t)."""
    model.reset_memory()
    steps = [model(clip[:, t]) for t in range(clip.shape[1])]
    return [torch.stack([s[i] for s in steps], 1).flatten(0, 1) for i in range(len(steps[0]))]


WINDOWS = {'global': dict(window_size=None), 'windowed': dict(window_size=3, with_cls_token=False),
           'mixed': dict(window_size=[None, 3, 2], with_cls_token=False)}


@pytest.mark.parametrize('windows', list(WINDOWS))
def test_parallel_equals_streaming(windows):
    model = tiny_svit(**WINDOWS[windows])
    clip = torch.randn(2, 5, 3, 20, 28)  # 5 x 7 patch map: windows of 3 and 2 need padding
    with torch.no_grad():
        parallel = model(clip)
        streamed = stream(model, clip)
        space = SViT(arch=TINY, img_size=16, attn_mode='space', out_indices=(0, 1, 2),
                     residual_block_indices=(1, ), **WINDOWS[windows]).eval()
        space.load_state_dict(model.state_dict(), strict=False)
        frame_based = space(clip)
    for p, s, f in zip(parallel, streamed, frame_based):
        assert p.shape == (10, 32, 5, 7)
        torch.testing.assert_close(p, s, atol=1e-5, rtol=0)
        assert (p - f).abs().max() > 1e-2  # T2D is active


def test_fifo_parallel_equals_streaming_beyond_capacity():
    model = tiny_svit(memory_len=3, memory_policy='fifo', window_size=2, with_cls_token=False)
    clip = torch.randn(1, 7, 3, 16, 16)
    with torch.no_grad():
        for p, s in zip(model(clip), stream(model, clip)):
            torch.testing.assert_close(p, s, atol=1e-5, rtol=0)


def test_causal_and_clip_modes_see_the_right_frames():
    clip = torch.randn(1, 4, 3, 16, 16)
    changed = clip.clone()
    changed[:, 3] = torch.randn(3, 16, 16)  # only the last frame changes
    for mode, future_matters in (('stream', False), ('clip', True)):
        model = tiny_svit(attn_mode=mode)
        with torch.no_grad():
            a, b = model(clip)[-1], model(changed)[-1]
        assert ((a[:3] - b[:3]).abs().max() > 1e-3) == future_matters, mode
    with pytest.raises(ValueError, match='cannot stream'):
        tiny_svit(attn_mode='clip')(clip[:, 0])


def test_no_gradient_into_earlier_frames_or_memory():
    model = tiny_svit().train()
    clip = torch.randn(1, 4, 3, 16, 16, requires_grad=True)
    model(clip)[-1][2].sum().backward()  # a loss at frame t = 2 (rows b*T + t)
    grad = clip.grad.abs().flatten(2).sum(-1)[0]
    assert grad[2] > 0 and grad[0] == 0 and grad[1] == 0 and grad[3] == 0

    # Streaming: the memory holds no graph, and frame 2's loss reaches only frame 2's pass.
    frames = [torch.randn(1, 3, 16, 16, requires_grad=True) for _ in range(3)]
    model.reset_memory()
    outs = [model(f)[-1] for f in frames]
    assert not model.stream_state.memories[0]._buffer.requires_grad
    outs[2].sum().backward()
    assert frames[2].grad.abs().sum() > 0 and frames[0].grad is None and frames[1].grad is None


def test_parallel_training_gradients_equal_frame_by_frame():
    model = tiny_svit(window_size=2, with_cls_token=False)
    clip = torch.randn(1, 3, 3, 16, 16)
    model(clip)[-1].square().mean().backward()
    parallel = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    torch.stack(stream(model, clip)[-1].split(1)).square().mean().backward()
    for name, p in model.named_parameters():
        if name in parallel:
            torch.testing.assert_close(p.grad, parallel[name], atol=1e-5, rtol=1e-4, msg=name)


def test_reset_forgets():
    model = tiny_svit()
    fresh = copy.deepcopy(model)
    video_a, video_b = torch.randn(2, 1, 6, 3, 16, 16)
    with torch.no_grad():
        stream(model, video_a)
        model.reset_memory()
        after_reset = [model(f) for f in video_b.unbind(1)]
        expected = [fresh(f) for f in video_b.unbind(1)]
        without_reset = [model(f) for f in video_b.unbind(1)]  # continues after video_b: differs
    for got, want in zip(after_reset, expected):
        torch.testing.assert_close(got[-1], want[-1], atol=0, rtol=0)
    assert (without_reset[0][-1] - expected[0][-1]).abs().max() > 1e-3


def test_merge_policy_in_the_model():
    """Beyond capacity 'merge' keeps an average of old frames, so it differs from 'fifo'; equal before."""
    clip = torch.randn(1, 5, 3, 16, 16)
    with torch.no_grad():
        fifo = stream(tiny_svit(memory_len=3, memory_policy='fifo'), clip)[-1]
        merge = stream(tiny_svit(memory_len=3, memory_policy='merge'), clip)[-1]
    torch.testing.assert_close(fifo[:3], merge[:3], atol=0, rtol=0)
    assert (fifo[3:] - merge[3:]).abs().max() > 1e-4


def test_alpha_zero_equals_space():
    model = tiny_svit(window_size=[None, 2, None], with_cls_token=False)
    for blk in model.blocks:
        torch.nn.init.zeros_(blk.attn.t2d_alpha)
    space = SViT(arch=TINY, img_size=16, attn_mode='space', window_size=[None, 2, None], with_cls_token=False,
                 out_indices=(0, 1, 2), residual_block_indices=(1, )).eval()
    missing, unexpected = space.load_state_dict(model.state_dict(), strict=False)
    assert not missing and all('t2d' in k for k in unexpected)
    clip = torch.randn(2, 3, 3, 16, 16)
    with torch.no_grad():
        for a, b in zip(model(clip), space(clip)):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=0)


def test_odd_sizes_and_output_types():
    model = tiny_svit(window_size=2, with_cls_token=False, out_indices=(-1, ))
    with torch.no_grad():
        out, = model(torch.randn(1, 2, 3, 30, 21))  # 7 x 5 patches, windows of 2 pad both sides
        assert out.shape == (2, 32, 7, 5)
        out, = model(torch.randn(2, 3, 30, 21))
        assert out.shape == (2, 32, 7, 5)
    tokens = tiny_svit(out_type='tokens', out_indices=(1, 2))
    with torch.no_grad():
        outs = tokens(torch.randn(2, 3, 3, 12, 20))
    assert [o.shape for o in outs] == [(6, 1 + 15, 32)] * 2
    with pytest.raises(ValueError, match='class token'):
        SViT(arch=TINY, img_size=16, window_size=2)
    with pytest.raises(ValueError, match='arch'):
        SViT(arch=dict(embed_dims=32))


@pytest.mark.parametrize('input_shape,rows', [((2, 3, 3, 20, 28), 6), ((2, 3, 20, 28), 2)],
                         ids=['parallel', 'streaming'])
def test_tokens_without_class_token_are_the_flattened_featmap(input_shape, rows):
    """The MOT release's backbone (windowed, no class token) gives (N, h*w, C) tokens: the featmap's
    patches, row-major, from the same weights."""
    featmap = tiny_svit(window_size=3, with_cls_token=False, out_indices=(1, 2))
    tokens = tiny_svit(window_size=3, with_cls_token=False, out_indices=(1, 2), out_type='tokens')
    tokens.load_state_dict(featmap.state_dict())
    x = torch.randn(*input_shape)  # a 5 x 7 patch map: windows of 3 need padding
    with torch.no_grad():
        maps, toks = featmap(x), tokens(x)
    for m, t in zip(maps, toks):
        assert m.shape == (rows, 32, 5, 7) and t.shape == (rows, 5 * 7, 32)
        torch.testing.assert_close(t, m.flatten(2).transpose(1, 2), atol=0, rtol=0)


def test_position_embedding_resize_and_cache():
    model = tiny_svit()
    with torch.no_grad():
        native = model._pos_embed(4, 4, torch.float32)
        torch.testing.assert_close(native, model.positional_embedding)
        resized = model._pos_embed(5, 7, torch.float32)
        assert resized.shape == (1 + 35, 32) and model._pos_embed(5, 7, torch.float32) is resized
        torch.testing.assert_close(resized[0], model.positional_embedding[0])  # class position kept
        model.positional_embedding.add_(1.)  # new weights invalidate the cache
        assert model._pos_embed(5, 7, torch.float32) is not resized


@pytest.mark.parametrize('mode', ['stream', 'clip'])
def test_gradient_checkpointing_same_gradients(mode):
    clip = torch.randn(1, 3, 3, 16, 16)
    grads = []
    for with_cp in (False, True):
        model = tiny_svit(attn_mode=mode, with_cp=with_cp, drop_path_rate=0.)
        model(clip)[-1].square().mean().backward()
        grads.append({n: p.grad for n, p in model.named_parameters()})
    for name, grad in grads[0].items():
        torch.testing.assert_close(grads[1][name], grad, atol=1e-6, rtol=1e-5, msg=name)


def test_drop_path_and_bf16_autocast():
    model = tiny_svit(drop_path_rate=0.5).train()
    clip = torch.randn(1, 2, 3, 16, 16)
    assert (model(clip)[-1] - model(clip)[-1]).abs().max() > 0  # stochastic depth in training
    model.eval()
    with torch.no_grad():
        ref = stream(model, clip)[-1]
        with torch.autocast('cpu', dtype=torch.bfloat16):
            low = stream(model, clip)[-1]
    assert low.dtype == torch.bfloat16
    assert (low.float() - ref).abs().max() < 0.1 * ref.abs().max()


def test_simple_pyramid():
    neck = SimplePyramid(in_channels=32, out_channels=(8, 16, 24))
    maps = [torch.randn(2, 32, 6, 10) for _ in range(3)]
    outs = neck(maps)
    assert [o.shape for o in outs] == [(2, 8, 12, 20), (2, 16, 6, 10), (2, 24, 3, 5)]
    with pytest.raises(ValueError, match='3 feature maps'):
        neck(maps[:2])


@pytest.mark.parametrize('arch,width,layers,patch', [('b16', 768, 12, 16), ('l14', 1024, 24, 14), ('tiny', 32, 3, 8)])
def test_named_archs_have_clip_visual_shapes(arch, width, layers, patch):
    with torch.device('meta'):
        model = SViT(arch=arch, attn_mode='space')
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    grid = 224 // patch
    assert shapes['conv1.weight'] == (width, 3, patch, patch)
    assert shapes['positional_embedding'] == (1 + grid * grid, width)
    assert shapes[f'transformer.resblocks.{layers - 1}.attn.in_proj_weight'] == (3 * width, width)
    assert shapes[f'transformer.resblocks.{layers - 1}.mlp.c_fc.weight'] == (4 * width, width)
    assert f'transformer.resblocks.{layers}.ln_1.weight' not in shapes


@pytest.mark.parametrize('name', ['svit-b16-space', 'svit-b16-stream', 'svit-b16-clip', 'svit-l14-stream',
                                  'svit-b16_simple-pyramid'])
def test_named_configs_build_in_both_scopes(name):
    from mmengine.config import Config

    from svm.registry import MMACTION_MODELS, MMDET_MODELS
    cfg = Config.fromfile(REPO_ROOT / f'configs/_base_/models/{name}.py')
    backbone = dict(cfg.model.backbone, arch=TINY, img_size=16, pretrained=None)
    if backbone['out_indices'] != (-1, ):
        backbone['out_indices'] = (0, 1, 2)
        backbone['residual_block_indices'] = (1, 2)
    for registry in (MMDET_MODELS, MMACTION_MODELS):
        model = registry.build(backbone).eval()
        assert isinstance(model, SViT) and model.attn_mode == cfg.model.backbone.attn_mode
        with torch.no_grad():
            outs = model(torch.randn(1, 2, 3, 16, 16))
        assert len(outs) == len(backbone['out_indices'])
    if 'neck' in cfg.model:
        neck = MMDET_MODELS.build(dict(cfg.model.neck, in_channels=32, out_channels=[8, 16, 32]))
        assert [o.shape[1:] for o in neck(outs)] == [(8, 8, 8), (16, 4, 4), (32, 2, 2)]


def test_memory_follows_inference_mode_between_videos():
    model = tiny_svit()
    clip = torch.randn(1, 2, 3, 16, 16)
    with torch.inference_mode():
        stream(model, clip)
    model.reset_memory()
    model(clip[:, 0])[-1].sum().backward()  # a video with autograd after one in inference mode
    assert model.blocks[0].attn.t2d_q_proj.weight.grad is not None


def test_batched_streams_with_a_restart_equal_each_video_alone():
    """Three streams in one batch; stream 1 starts a second video at step 4 (state.reset([1])): every
    stream's outputs equal its video streamed alone, merge policy beyond the memory's length included."""
    model = tiny_svit(memory_len=3, memory_policy='merge', window_size=[None, 2, 3], with_cls_token=False)
    videos = torch.randn(4, 7, 3, 20, 28)  # videos 0, 1 and 2 in streams 0-2, video 3 in stream 1 from step 4
    restart = 4
    with torch.no_grad():
        state = model.init_state()
        batched = []
        for t in range(7):
            if t == restart:
                state.reset([1])
            frames = torch.stack([videos[0, t], videos[1 if t < restart else 3, t - (t >= restart) * restart],
                                  videos[2, t]])
            outs, state = model(frames, state=state)
            batched.append(outs)
        assert state.counts == (7, 3, 7)
        alone = {v: stream(model, videos[v:v + 1]) for v in range(4)}
    for i in range(3):  # every output
        for t in range(7):
            expected = [alone[0][i][t], alone[1][i][t] if t < restart else alone[3][i][t - restart],
                        alone[2][i][t]]
            torch.testing.assert_close(batched[t][i], torch.stack(expected), atol=1e-5, rtol=0)


def test_states_are_independent_of_the_backbone_and_of_each_other():
    model = tiny_svit()
    video_a, video_b = torch.randn(2, 1, 5, 3, 16, 16)
    with torch.no_grad():
        expected_a, expected_b = stream(model, video_a), stream(model, video_b)
        model.reset_memory()
        state_a, state_b = model.init_state(), model.init_state()
        got_a, got_b, own = [], [], []
        for t in range(5):  # two explicit states and the backbone's own, interleaved on one model
            got_a.append(model(video_a[:, t], state=state_a)[0])
            own.append(model(video_a[:, t]))
            got_b.append(model(video_b[:, t], state=state_b)[0])
    for i in range(3):
        for t in range(5):
            torch.testing.assert_close(got_a[t][i][0], expected_a[i][t], atol=0, rtol=0)
            torch.testing.assert_close(own[t][i][0], expected_a[i][t], atol=0, rtol=0)
            torch.testing.assert_close(got_b[t][i][0], expected_b[i][t], atol=0, rtol=0)
    with pytest.raises(ValueError, match='not a clip'):
        model(video_a, state=state_a)


def test_parallel_forward_leaves_the_streaming_state_alone():
    model = tiny_svit()
    video, other = torch.randn(2, 1, 6, 3, 16, 16)
    with torch.no_grad():
        expected = stream(model, video)
        model.reset_memory()
        got = [model(video[:, t]) for t in range(3)]
        model(other)  # a clip in parallel mode between two streaming steps
        got += [model(video[:, t]) for t in range(3, 6)]
    for i in range(3):
        torch.testing.assert_close(torch.cat([g[i] for g in got]), expected[i], atol=0, rtol=0)


def test_streaming_state_survives_a_move():
    """model.double() mid-video moves the backbone's own state with it; an explicit state moves with .to()."""
    model = tiny_svit()
    video = torch.randn(1, 6, 3, 16, 16)
    with torch.no_grad():
        expected = stream(model, video)[-1]
        model.reset_memory()
        state = model.init_state()
        own = [model(video[:, t])[-1] for t in range(3)]
        explicit = [model(video[:, t], state=state)[0][-1] for t in range(3)]
        model.double()
        state.to(torch.float64)
        own += [model(video[:, t].double())[-1].float() for t in range(3, 6)]
        explicit += [model(video[:, t].double(), state=state)[0][-1].float() for t in range(3, 6)]
    torch.testing.assert_close(torch.cat(own), expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.cat(explicit), expected, atol=1e-5, rtol=0)


def test_one_copy_of_the_memory_at_the_paper_mot_size():
    """The paper's MOT backbone at 800x1440 (windows of 14, memory 32): 12.06 GiB of keys and values in fp32,
    one copy (two layouts took 24.12 GiB). On the meta device: shapes only."""
    from mmengine.config import Config
    cfg = Config.fromfile(REPO_ROOT / 'configs/_base_/models/bytetrack_svit-b16_yolox.py')
    backbone = {k: v for k, v in cfg.model.detector.backbone.items() if k not in ('type', 'pretrained')}
    with torch.device('meta'):
        model = SViT(**backbone).eval()
        with torch.no_grad():
            model(torch.empty(1, 3, 800, 1440))
    # 12 blocks x keys and values x 32 frames x a 56 x 98 padded map x 768 channels x 4 bytes
    assert model.memory_nbytes == 12 * 2 * 32 * 56 * 98 * 768 * 4
    assert model.memory_nbytes / 2**30 <= 12.1
