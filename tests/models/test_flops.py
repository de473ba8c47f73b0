"""FLOP counts of tools/analysis_tools/get_flops.py against hand-computed formulas (tiny S-ViT)."""
import importlib.util
import json

import pytest

from svm.models.backbones import SViT
from tests.conftest import REPO_ROOT, run_tool

spec = importlib.util.spec_from_file_location('get_flops', REPO_ROOT / 'tools/analysis_tools/get_flops.py')
get_flops = importlib.util.module_from_spec(spec)
spec.loader.exec_module(get_flops)

C, LAYERS, P = 32, 2, 4
TINY = dict(embed_dims=C, num_layers=LAYERS, num_heads=4, patch_size=P)


def space_frame_flops(h: int, w: int, cls: bool, window: int = 0) -> int:
    """One frame of the frame-based encoder: patch embedding, blocks, norms (fvcore: 5 flops/element)."""
    hw, S = h * w, h * w + int(cls)
    hp, wp = (-(-h // window) * window, -(-w // window) * window) if window else (h, w)
    qkv_tokens = hp * wp if window else S
    attn = (hp * wp) * window * window * 2 * C if window else S * S * 2 * C
    block = 5 * S * C + qkv_tokens * 3 * C * C + attn + S * C * C + 5 * S * C + 8 * S * C * C
    return hw * C * 3 * P * P + 5 * S * C + LAYERS * block + 5 * S * C  # ln_pre, blocks, output norm


def t2d_frame_flops(h: int, w: int, memory_frames: int, own_kv: bool = False, window: int = 0) -> int:
    """T2D of one frame: q (and own k/v) projections on the (padded) map, attention to memory_frames,
    output projection on the map."""
    hp, wp = (-(-h // window) * window, -(-w // window) * window) if window else (h, w)
    wh, ww = (window, window) if window else (h, w)
    projections = hp * wp * C * C * (3 if own_kv else 1) + h * w * C * C
    return LAYERS * (projections + hp * wp * memory_frames * (wh + ww) * 2 * C)


@pytest.mark.parametrize('mode', ['space', 'stream', 'clip'])
def test_global_encoders_match_formula(mode):
    T, H, W, L = 4, 16, 24, 3  # a 4 x 6 patch map; the memory is full from frame 3 on
    model = SViT(arch=TINY, img_size=16, attn_mode=mode, memory_len=L)
    per_frame = get_flops.encoder_frame_flops(model, T, H, W)
    space = space_frame_flops(4, 6, cls=True)
    if mode == 'space':
        expected = [space] * T
    elif mode == 'stream':
        expected = [space + t2d_frame_flops(4, 6, min(t + 1, L)) for t in range(T)]
    else:
        expected = [space + t2d_frame_flops(4, 6, T, own_kv=True)] * T
    assert per_frame == expected
    if mode == 'stream':
        assert len(model.blocks[0].attn.memory) == 0  # counting leaves the memory reset


def test_windowed_stream_matches_formula():
    T, H, W = 3, 20, 12  # a 5 x 3 patch map padded to 6 x 4 by windows of 2
    model = SViT(arch=TINY, img_size=16, attn_mode='stream', window_size=2, with_cls_token=False)
    per_frame = get_flops.encoder_frame_flops(model, T, H, W)
    space = space_frame_flops(5, 3, cls=False, window=2)
    assert per_frame == [space + t2d_frame_flops(5, 3, t + 1, window=2) for t in range(T)]


def test_cli_with_config(tmp_path):
    config = tmp_path / 'tiny_stream.py'
    config.write_text(f'model = dict(type="Recognizer3D", backbone=dict(type="SViT", arch={TINY!r}, '
                      'img_size=16, attn_mode="stream", memory_len=8, pretrained="does/not/matter.pt"))\n')
    out = tmp_path / 'flops.json'
    proc = run_tool(['python', 'tools/analysis_tools/get_flops.py', config, '--shape', '2', '16', '16',
                     '--json', out, '--cfg-options', 'model.backbone.attn_mode=space'])
    result = json.loads(out.read_text())
    assert result['attn_mode'] == 'space' and result['clip_shape'] == [1, 2, 3, 16, 16]
    assert result['gflops_per_clip'] == pytest.approx(2 * space_frame_flops(4, 4, cls=True) / 1e9)
    assert '| per frame: first |' in proc.stdout
