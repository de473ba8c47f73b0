"""T2D attention of one block (SpaceTimeAttention): its definition, parallel and streaming, initialisations."""
import pytest
import torch

from svm.models.layers import KVMemory, SpaceTimeAttention


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
        out = attn(x, (H, W), T)
        alpha = attn.t2d_alpha.clone()
        torch.nn.init.zeros_(attn.t2d_alpha)
        y_space = attn(x, (H, W), T)
        q = attn.t2d_q_proj(x).view(T, H, W, heads, C // heads)
        if mode == 'clip':
            k, v = attn.t2d_kv_proj(x).view(T, H, W, 2, heads, C // heads).unbind(3)
        else:
            qkv = torch.nn.functional.linear(x, attn.in_proj_weight, attn.in_proj_bias)
            k, v = qkv.view(T, H, W, 3, heads, C // heads).unbind(3)[1:]
        o_t = naive_t2d(q, k, v, window, causal=mode == 'stream').reshape(T, H * W, C)
        torch.testing.assert_close(out, y_space + alpha * attn.t2d_out_proj(o_t), atol=1e-5, rtol=0)


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


@pytest.mark.parametrize('window', [None, 2])
def test_streaming_through_a_memory_equals_the_definition(window):
    """Frame by frame through a KVMemory (B = 2 streams): T2D of frame t over frames 0..t, by definition."""
    torch.manual_seed(0)
    C, heads, T, H, W = 8, 2, 3, 4, 4
    attn = SpaceTimeAttention(C, heads, attn_mode='stream', window_size=window, memory_len=T).eval()
    torch.nn.init.normal_(attn.t2d_alpha)
    x = torch.randn(2, T, H * W, C)
    memory = KVMemory(T)
    with torch.no_grad():
        streamed = torch.stack([attn(x[:, t], (H, W), 1, memory) for t in range(T)], 1)
        parallel = attn(x.flatten(0, 1), (H, W), T).view(2, T, H * W, C)
    torch.testing.assert_close(streamed, parallel, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match='one frame per stream, got 3'):
        attn(x.flatten(0, 1), (H, W), T, memory)
