"""FLOP counts of svm/analysis/get_flops.py (tools/analysis_tools/get_flops.py) against hand-computed formulas
(tiny S-ViT)."""
import json

import pytest

from svm.analysis.get_flops import (build_detector, config_flops, config_image_size, count_flops, encoder_frame_flops,
                                    format_config_flops)
from svm.benchmark.timing import memory_frames
from svm.models.backbones import SViT
from helpers import TINY_MOT_CONFIG, run_tool

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
    per_frame = encoder_frame_flops(model, T, H, W)
    space = space_frame_flops(4, 6, cls=True)
    if mode == 'space':
        expected = [space] * T
    elif mode == 'stream':
        expected = [space + t2d_frame_flops(4, 6, min(t + 1, L)) for t in range(T)]
    else:
        expected = [space + t2d_frame_flops(4, 6, T, own_kv=True)] * T
    assert per_frame == expected
    if mode == 'stream':
        assert memory_frames(model) == 0  # counting leaves the memory reset


def test_windowed_stream_matches_formula():
    T, H, W = 3, 20, 12  # a 5 x 3 patch map padded to 6 x 4 by windows of 2
    model = SViT(arch=TINY, img_size=16, attn_mode='stream', window_size=2, with_cls_token=False)
    per_frame = encoder_frame_flops(model, T, H, W)
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


def test_mot_detector_is_counted_whole_per_frame_part_by_part():
    """get_flops.py on a MOT config: the whole detector per frame at an image size, per
    part (backbone, pyramid, PAFPN, head), the backbone on an empty and on a full memory."""
    import torch
    from mmengine.config import Config
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    result = config_flops(cfg, TINY_MOT_CONFIG, shape=(32, 64))
    out = format_config_flops(result)
    assert result['frame_shape'] == [1, 3, 32, 64] and result['num_frames'] == 4  # the tiny memory length
    parts = result['parts']
    assert [(p['part'], p['module']) for p in parts] == [
        ('backbone', 'SViT'), ('neck.0', 'SimplePyramid'), ('neck.1', 'YOLOXPAFPN'), ('bbox_head', 'YOLOXHead')]
    for row in ('| backbone | SViT |', '| neck.0 | SimplePyramid |', '| neck.1 | YOLOXPAFPN |',
                '| bbox_head | YOLOXHead |', '| **whole detector** |'):
        assert row in out
    assert json.loads(json.dumps(result))['gflops_per_frame'] == result['gflops_per_frame']  # as --json writes it
    assert config_image_size(cfg) == (64, 96)  # the default --shape: the test pipeline's frames

    # The parts add up to one trace of the whole detector's forward (backbone + necks + head) on frame 1 ...
    detector = build_detector(cfg, TINY_MOT_CONFIG)

    class WholeForward(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.detector = detector

        def forward(self, x):
            return self.detector._forward(x)

    detector.backbone.reset_memory()
    whole = count_flops(WholeForward(), (torch.randn(1, 3, 32, 64), ))
    assert whole == sum(p['flops_first'] for p in parts)
    assert result['gflops_per_frame_first'] == pytest.approx(whole / 1e9)
    # ... and the backbone costs what the (formula-tested) encoder count gives for frame 1 and frame L = 4
    per_frame = encoder_frame_flops(detector.backbone, 4, 32, 64)
    assert (parts[0]['flops_first'], parts[0]['flops_last']) == (per_frame[0], per_frame[-1])
    assert per_frame[-1] > per_frame[0]  # the T2D attends to more frames once the memory has filled
    assert all(p['flops_first'] == p['flops_last'] > 0 for p in parts[1:])
