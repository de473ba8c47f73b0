"""The toy recognition videos, written by ``python -m svm.datasets.synthetic.toy_videos OUT_DIR``.

Two classes, a bright square crossing a dark noisy background: left-to-right in red (class 0) or
right-to-left in blue (class 1). 8 training and 4 validation videos of 16 frames at 96x64, half of them
.mp4 (H.264) and half .webm (VP8), with mmaction2 lists ``{train,val}_list_videos.txt``, written with
svm.datasets.synthetic.actions.write_video (lossy, as real data sets are). Run in a fresh interpreter
(the install check and the test suite do): once decord is loaded in a process (mmaction2's
DecordInit imports it), its bundled FFmpeg libraries make PyAV's libvpx encoders fail to open.
"""
import sys
from pathlib import Path

import numpy as np

from svm.datasets.synthetic.actions import write_video


def action_video(label: int, rng: np.random.Generator, num_frames: int = 16, height: int = 64,
                 width: int = 96) -> np.ndarray:
    """(T, H, W, 3) RGB frames of one toy video of class ``label``."""
    frames = rng.integers(0, 40, size=(num_frames, height, width, 3), dtype=np.uint8)
    size, top = 24, int(rng.integers(0, height - 24))
    channel = 0 if label == 0 else 2
    for t in range(num_frames):
        progress = t / (num_frames - 1)
        left = int((width - size) * (progress if label == 0 else 1 - progress))
        frames[t, top:top + size, left:left + size, channel] = 230
    return frames


def write_toy_dataset(root: Path) -> None:
    """The toy videos and their lists under ``root``."""
    rng = np.random.default_rng(0)
    for split, count in (('train', 8), ('val', 4)):
        lines = []
        for i in range(count):
            label, ext = i % 2, ('.mp4', '.webm')[(i // 2) % 2]
            name = f'{split}_{i:02d}{ext}'
            write_video(str(root / name), action_video(label, rng), fps=8, lossless=False)
            lines.append(f'{name} {label}\n')
        (root / f'{split}_list_videos.txt').write_text(''.join(lines))


if __name__ == '__main__':
    write_toy_dataset(Path(sys.argv[1]))
