"""S-ViT backbone: streaming == parallel, causality, stop-gradient memory, reset, memory policies."""
import copy

import pytest
import torch

from svm.models.backbones import SViT
from svm.models.layers import KVMemory, SpaceTimeAttention
from svm.models.necks import SimplePyramid
from svm.testing import REPO_ROOT

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


def naive_t2d(q, k, v, window, causal):
    """T2D by its definition, one query at a time. q, k, v: (T, H, W, heads, hd) -> (T, H, W, heads, hd)."""
    T, H, W, heads, hd = q.shape
    out = torch.zeros_like(q)
    for t in range(T):
        frames = range(t + 1) if causal else range(T)
        for h in range(H):
            for w in range(W):
                hs = range(H) if window is None else range(h // window * window, min(H, (h // window + 1) * window))
                ws = range(W) if window is None else range(w // window * window, min(W, (w // window + 1) * window))
                for axis_keys in ([(s, i, w) for s in frames for i in hs], [(s, h, j) for s in frames for j in ws]):
                    kk = torch.stack([k[key] for key in axis_keys], 1)  # (heads, n, hd)
                    vv = torch.stack([v[key] for key in axis_keys], 1)
                    attn = torch.softmax((kk @ q[t, h, w][:, :, None])[..., 0] / hd**0.5, -1)
                    out[t, h, w] += (attn[..., None] * vv).sum(1)
    return out


@pytest.mark.parametrize('mode,window', [('stream', None), ('stream', 2), ('clip', None)])
def test_t2d_matches_its_definition(mode, window):
    """The temporal-height + temporal-width factorisation, checked against an explicit loop."""
    torch.manual_seed(0)
    C, heads, T, H, W = 8, 2, 3, 4, 4  # windows of 2 divide the map: no padded tokens in the reference
    attn = SpaceTimeAttention(C, heads, attn_mode=mode, window_size=window, memory_len=T).eval()
    torch.nn.init.normal_(attn.t2d_alpha)
    x = torch.randn(T, H * W, C)
    with torch.no_grad():
        out = attn(x, (H, W), T, streaming=False)
        alpha = attn.t2d_alpha.clone()
        torch.nn.init.zeros_(attn.t2d_alpha)
        y_space = attn(x, (H, W), T, streaming=False)
        q = attn.t2d_q_proj(x).view(T, H, W, heads, C // heads)
        if mode == 'clip':
            k, v = attn.t2d_kv_proj(x).view(T, H, W, 2, heads, C // heads).unbind(3)
        else:
            qkv = torch.nn.functional.linear(x, attn.in_proj_weight, attn.in_proj_bias)
            k, v = qkv.view(T, H, W, 3, heads, C // heads).unbind(3)[1:]
        o_t = naive_t2d(q, k, v, window, causal=mode == 'stream').reshape(T, H * W, C)
        torch.testing.assert_close(out, y_space + alpha * attn.t2d_out_proj(o_t), atol=1e-5, rtol=0)


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
    memory = model.blocks[0].attn.memory
    assert not memory._columns.requires_grad and not memory._rows.requires_grad
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


def frame_kv(value: float):
    """One frame's keys/values for a (B=1, nh=1, wh=2, nw=1, ww=3, heads=1, hd=2) map, all equal to value."""
    return torch.full((1, 1, 2, 1, 3, 1, 2), value), torch.full((1, 1, 2, 1, 3, 1, 2), -value)


def held_values(memory: KVMemory) -> list:
    k_col, v_col, k_row, v_row = memory.read()
    n = len(memory)
    values = sorted(k_col.view(3, 1, n, 2, 2)[0, 0, :, 0, 0].tolist())
    assert sorted(k_row.view(2, 1, n, 3, 2)[0, 0, :, 0, 0].tolist()) == values  # both layouts agree
    assert sorted((-v_col.view(3, 1, n, 2, 2)[0, 0, :, 0, 0]).tolist()) == values
    return values


@pytest.mark.parametrize('policy,expected', [
    ('fifo', [[1.], [1., 2.], [1., 2., 3.], [2., 3., 4.], [3., 4., 5.]]),
    # the oldest is averaged into the next-oldest: (1+2)/2, then (1.5+3)/2
    ('merge', [[1.], [1., 2.], [1., 2., 3.], [1.5, 3., 4.], [2.25, 4., 5.]]),
])
def test_memory_policies(policy, expected):
    memory = KVMemory(3, policy)
    with torch.no_grad():
        for step, want in enumerate(expected):
            memory.append(*frame_kv(step + 1.))
            assert held_values(memory) == pytest.approx(want)
    buffers = memory._columns.data_ptr(), memory._rows.data_ptr()
    memory.reset()
    assert len(memory) == 0
    memory.append(*frame_kv(9.))
    assert (memory._columns.data_ptr(), memory._rows.data_ptr()) == buffers  # preallocated, reused
    assert held_values(memory) == [9.]
    with pytest.raises(ValueError, match='reset_memory'):
        memory.append(torch.zeros(1, 1, 4, 1, 3, 1, 2), torch.zeros(1, 1, 4, 1, 3, 1, 2))


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


@pytest.mark.parametrize('mode', ['stream', 'clip'])
def test_t2d_initialisations(mode):
    """'trunc_normal': std 0.02 projections; 'release': xavier-uniform input projections (bound sqrt(3 / C)),
    nn.Linear's default for the output projection (bound 1 / sqrt(C)); zero biases and alpha 1e-4 in both."""
    torch.manual_seed(0)
    C = 256
    trunc = SpaceTimeAttention(C, 4, attn_mode=mode)
    release = SpaceTimeAttention(C, 4, attn_mode=mode, t2d_init='release')
    inputs = [release.t2d_q_proj] + ([release.t2d_kv_proj] if mode == 'clip' else [])
    for linear in inputs:
        bound = (6 / (linear.in_features + linear.out_features))**0.5
        assert 0.95 * bound < linear.weight.abs().max() <= bound
    assert 0.95 * C**-0.5 < release.t2d_out_proj.weight.abs().max() <= C**-0.5
    assert trunc.t2d_q_proj.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert trunc.t2d_out_proj.weight.std().item() == pytest.approx(0.02, rel=0.05)
    for attn in (trunc, release):
        assert not attn.t2d_q_proj.bias.any() and not attn.t2d_out_proj.bias.any()
        assert torch.equal(attn.t2d_alpha, torch.full((C, ), 1e-4))
    with pytest.raises(ValueError, match="t2d_init must be one of"):
        SpaceTimeAttention(C, 4, t2d_init='xavier')
