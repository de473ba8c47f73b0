"""Tiny real videos for the recognition tests, written with PyAV: ``python toy_videos.py OUT_DIR``.

Two classes, a bright square crossing a dark noisy background: left-to-right in red (class 0) or
right-to-left in blue (class 1). 8 training and 4 validation videos of 16 frames at 96x64, half of them
.mp4 (H.264) and half .webm (VP8), with mmaction2 lists ``{train,val}_list_videos.txt``.
Imports only numpy and PyAV (see the toy_videos fixture in conftest.py for why).
"""
import sys
from pathlib import Path

import av
import numpy as np

CODECS = {'.mp4': ('libx264', 'h264', 'mpeg4'), '.webm': ('libvpx', 'libvpx-vp9', 'vp8', 'vp9')}


def write_video(path: Path, frames: np.ndarray, fps: int = 8) -> None:
    """Encode RGB frames (T, H, W, 3) uint8 with the first codec PyAV has for the file's container."""
    codec = next(c for c in CODECS[path.suffix] if c in av.codecs_available)
    height, width = frames.shape[1:3]
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        stream.bit_rate = 2_000_000  # libvpx refuses to open without one; high, for faithful tiny frames
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def action_video(label: int, rng: np.random.Generator, num_frames: int = 16, height: int = 64,
                 width: int = 96) -> np.ndarray:
    frames = rng.integers(0, 40, size=(num_frames, height, width, 3), dtype=np.uint8)
    size, top = 24, int(rng.integers(0, height - 24))
    channel = 0 if label == 0 else 2
    for t in range(num_frames):
        progress = t / (num_frames - 1)
        left = int((width - size) * (progress if label == 0 else 1 - progress))
        frames[t, top:top + size, left:left + size, channel] = 230
    return frames


def write_toy_dataset(root: Path) -> None:
    rng = np.random.default_rng(0)
    for split, count in (('train', 8), ('val', 4)):
        lines = []
        for i in range(count):
            label, ext = i % 2, ('.mp4', '.webm')[(i // 2) % 2]
            name = f'{split}_{i:02d}{ext}'
            write_video(root / name, action_video(label, rng))
            lines.append(f'{name} {label}\n')
        (root / f'{split}_list_videos.txt').write_text(''.join(lines))


if __name__ == '__main__':
    write_toy_dataset(Path(sys.argv[1]))
