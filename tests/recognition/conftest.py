"""Shared pieces of the recognition tests: tiny recognisers and tiny real videos written with PyAV."""
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
import pytest
import torch

import svm  # noqa: F401  (patches mmaction2 and registers svm's modules before mmaction.models loads)

TINY_ARCH = dict(embed_dims=32, num_layers=3, num_heads=4, patch_size=8)
CLIP_MEAN = [122.771, 116.746, 104.094]
CLIP_STD = [68.501, 66.632, 70.323]


def tiny_recognizer_cfg(attn_mode: str = 'stream', num_frames: int = 4, num_classes: int = 5,
                        **head_kwargs) -> dict:
    head = dict(type='TemporalDecoderHead', num_classes=num_classes, in_channels=TINY_ARCH['embed_dims'],
                num_frames=num_frames, frame_tokens=('cls', 'patch_mean'), num_layers=2, num_heads=4,
                dropout_ratio=0., average_clips='prob')
    head.update(head_kwargs)
    return dict(
        type='SViTRecognizer',
        backbone=dict(type='SViT', arch=TINY_ARCH, img_size=32, attn_mode=attn_mode, memory_len=num_frames,
                      out_type='tokens'),
        cls_head=head,
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=CLIP_MEAN, std=CLIP_STD,
                               format_shape='NCTHW'))


@pytest.fixture
def build_recognizer() -> Callable[..., torch.nn.Module]:
    """Factory of tiny recognisers whose T2D gates are far from their 1e-4 init, so that the temporal
    attention of the encoder really changes its outputs."""
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    def build(attn_mode: str = 'stream', seed: int = 0, **kwargs) -> torch.nn.Module:
        init_default_scope('mmaction')
        torch.manual_seed(seed)
        model = MODELS.build(tiny_recognizer_cfg(attn_mode, **kwargs))
        model.init_weights()
        for name, param in model.named_parameters():
            if name.endswith('t2d_alpha'):
                torch.nn.init.normal_(param, 0., 1.)
        return model.eval()

    return build


def write_video(path: Path, frames: np.ndarray, fps: int = 8) -> None:
    """Encode RGB frames (T, H, W, 3) uint8 into ``path``: H.264 (or MPEG-4 part 2) for .mp4, VP8/VP9 for
    .webm, whichever the installed PyAV has."""
    import av
    candidates = {'.mp4': ('libx264', 'h264', 'mpeg4'), '.webm': ('libvpx', 'libvpx-vp9', 'vp8', 'vp9')}
    codec = next(c for c in candidates[path.suffix] if c in av.codecs_available)
    height, width = frames.shape[1:3]
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def action_video(label: int, rng: np.random.Generator, num_frames: int = 16, height: int = 64,
                 width: int = 96) -> np.ndarray:
    """A bright square crossing a dark noisy background: left-to-right in red (class 0) or right-to-left
    in blue (class 1)."""
    frames = rng.integers(0, 40, size=(num_frames, height, width, 3), dtype=np.uint8)
    size, top = 24, int(rng.integers(0, height - 24))
    channel = 0 if label == 0 else 2
    for t in range(num_frames):
        progress = t / (num_frames - 1)
        left = int((width - size) * (progress if label == 0 else 1 - progress))
        frames[t, top:top + size, left:left + size, channel] = 230
    return frames


@pytest.fixture(scope='session')
def toy_videos(tmp_path_factory) -> Dict[str, Path]:
    """Two-class toy data set of real .mp4 and .webm files and mmaction2 lists for it:
    8 training videos, 4 validation videos, half of each class, half of each container."""
    root = tmp_path_factory.mktemp('toy_videos')
    rng = np.random.default_rng(0)
    lists: Dict[str, List[str]] = dict(train=[], val=[])
    for split, count in (('train', 8), ('val', 4)):
        for i in range(count):
            label, ext = i % 2, ('.mp4', '.webm')[(i // 2) % 2]
            name = f'{split}_{i:02d}{ext}'
            write_video(root / name, action_video(label, rng))
            lists[split].append(f'{name} {label}')
    for split, lines in lists.items():
        (root / f'{split}_list_videos.txt').write_text('\n'.join(lines) + '\n')
    return dict(root=root, train=root / 'train_list_videos.txt', val=root / 'val_list_videos.txt')
