"""A synthetic action benchmark whose classes only the order of the frames tells apart.

Every video starts from a *base motion* of a textured object on a textured scene: it moves right,
turns clockwise or comes closer (grows), chosen at random per video, with random appearance, place
and speed. The class is the order in which the base frames are shown:

=====================  ==========================================  ==============================
class                  frame order (base frames 0..T-1)            what one sees
=====================  ==========================================  ==============================
``forward``            0, 1, ..., T-1                              moves right / turns clockwise /
                                                                   approaches
``backward``           T-1, ..., 1, 0                              moves left / turns anticlockwise /
                                                                   recedes
``forward_and_back``   0, 2, 4, ..., T-2, then T-1, ..., 3, 1     goes forward, then comes back
``backward_and_back``  T-2, ..., 2, 0, then 1, 3, ..., T-1        goes backward, then comes back
=====================  ==========================================  ==============================

Every class shows exactly the same set of frames of its base motion, only in another order, and every
base motion is rendered once for each class. So the per-frame content, and any statistic of a video
that ignores frame order, has the same distribution in every class: no single frame and no bag of
frames tells the class; a model has to see the order.

With a single kind of base motion the classes are named after it (``approaching``, ``receding``,
... for ``scale``, see ``MOTION_CLASS_NAMES``); ``num_classes`` 2 keeps the first two orders.

Files: ``<out>/videos/{train,val}/<name>.mp4`` and the mmaction2 video lists
``<out>/{train,val}_list.txt`` (``<relative path> <label>`` per line), plus ``<out>/classes.txt`` and
``<out>/benchmark.json`` (the options it was generated with).
The videos are encoded losslessly (x264, qp 0), so decoding gives back each frame's pixels up to the
RGB <-> YUV conversion, which depends on the frame alone: decoded frames keep the property above.
"""
from __future__ import annotations

import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from .seeding import derived_seeds

ACTION_CLASSES = ('forward', 'backward', 'forward_and_back', 'backward_and_back')
MOTIONS = ('translate', 'rotate', 'scale')
# The names of the classes when every base motion is of one kind.
MOTION_CLASS_NAMES = {
    'translate': ('moving_right', 'moving_left', 'right_and_back', 'left_and_back'),
    'rotate': ('turning_clockwise', 'turning_anticlockwise', 'clockwise_and_back', 'anticlockwise_and_back'),
    'scale': ('approaching', 'receding', 'approaching_then_receding', 'receding_then_approaching'),
}


def frame_order(label: int, num_frames: int) -> np.ndarray:
    """The order of the base frames shown by class ``label`` (a permutation of 0..num_frames-1)."""
    if num_frames < 2 or num_frames % 2:
        raise ValueError(f'num_frames must be even and >= 2, got {num_frames}')
    idx = np.arange(num_frames)
    evens, odds = idx[0::2], idx[1::2]
    orders = (idx, idx[::-1], np.concatenate([evens, odds[::-1]]),
              np.concatenate([evens[::-1], odds]))
    if not 0 <= label < len(orders):
        raise ValueError(f'label must be in [0, {len(orders)}), got {label}')
    return orders[label]


@dataclass
class SyntheticActionConfig:
    """Options of the synthetic action videos (sizes in pixels)."""
    size: int = 64
    num_frames: int = 8
    motions: Tuple[str, ...] = MOTIONS
    num_classes: int = len(ACTION_CLASSES)  # the first ``num_classes`` of ACTION_CLASSES
    fps: int = 8

    def __post_init__(self):
        frame_order(0, self.num_frames)  # validates num_frames
        unknown = set(self.motions) - set(MOTIONS)
        if unknown or not self.motions:
            raise ValueError(f'motions must be a non-empty subset of {MOTIONS}, got {self.motions}')
        if not 2 <= self.num_classes <= len(ACTION_CLASSES):
            raise ValueError(f'num_classes must be in [2, {len(ACTION_CLASSES)}], '
                             f'got {self.num_classes}')
        if self.size < 32:
            raise ValueError(f'size must be >= 32, got {self.size}')

    @property
    def class_names(self) -> Tuple[str, ...]:
        """Names of the classes: by motion when there is one kind, else the generic ACTION_CLASSES."""
        names = MOTION_CLASS_NAMES[self.motions[0]] if len(set(self.motions)) == 1 else ACTION_CLASSES
        return tuple(names[:self.num_classes])


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A muted scene, (size, size, 3) float in [0, 255]: soft colour blobs and a little grain."""
    cells = 4
    grid = rng.uniform(70, 150, size=(cells + 1, cells + 1, 3))
    pos = np.linspace(0, cells, size)
    i = np.minimum(pos.astype(int), cells - 1)
    f = (pos - i)[:, None, None]
    rows = grid[i] * (1 - f) + grid[i + 1] * f  # (size, cells + 1, 3)
    f = (pos - i)[None, :, None]
    img = rows[:, i] * (1 - f) + rows[:, i + 1] * f
    return img + rng.normal(0, 3, size=img.shape)


def _object_texture(rng: np.random.Generator, res: int) -> np.ndarray:
    """Saturated colour quadrants with a bright bar, (res, res, 3) float: no symmetry."""
    colors = np.where(rng.random((2, 2, 3)) > 0.5, 230.0, 25.0)
    colors[0, 0] = (240, 240, 240)  # one bright quadrant marks the orientation
    half = np.arange(res) * 2 // res
    tex = colors[half][:, half]
    bar = slice(res // 2 - res // 10, res // 2 + res // 10)
    tex[bar, : res // 2] = (250, 40, 40)
    return tex


def _object(rng: np.random.Generator, res: int = 32) -> Tuple[np.ndarray, np.ndarray]:
    """A textured object with an irregular outline: texture (res, res, 3) and alpha mask (res, res).

    The outline is a random star-shaped blob, so turning it is visible (it has no symmetry).
    """
    tex = _object_texture(rng, res)
    yy, xx = (np.mgrid[0:res, 0:res] + 0.5) / res * 2 - 1
    radius = np.hypot(xx, yy)
    theta = np.arctan2(yy, xx)
    harmonics = rng.uniform(0.08, 0.22, size=3) * rng.choice([-1, 1], size=3)
    phases = rng.uniform(0, 2 * np.pi, size=3)
    outline = 0.75 + sum(a * np.cos(k * theta + p)
                         for k, (a, p) in enumerate(zip(harmonics, phases), start=1))
    mask = radius < np.clip(outline, 0.35, 0.98)
    tex[(radius < outline) & (radius > outline - 0.12)] *= 0.25  # dark rim
    return tex, mask


def _paste(canvas: np.ndarray, tex: np.ndarray, mask: np.ndarray, cx: float, cy: float,
           size: float, angle: float) -> None:
    """Draw ``tex`` (masked) centred at (cx, cy), ``size`` pixels wide, turned clockwise by ``angle``
    radians (image y points down), by nearest-neighbour inverse mapping. Modifies ``canvas``."""
    H, W, _ = canvas.shape
    res = tex.shape[0]
    half = size * 0.75  # covers the rotated square
    y0, y1 = max(int(cy - half), 0), min(int(np.ceil(cy + half)) + 1, H)
    x0, x1 = max(int(cx - half), 0), min(int(np.ceil(cx + half)) + 1, W)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1] + 0.5
    dx, dy = xx - cx, yy - cy
    cos, sin = np.cos(angle), np.sin(angle)
    u = (cos * dx + sin * dy) / size + 0.5  # rotate back by -angle into object coordinates
    v = (-sin * dx + cos * dy) / size + 0.5
    inside = (u >= 0) & (u < 1) & (v >= 0) & (v < 1)
    ui = np.clip((u * res).astype(int), 0, res - 1)
    vi = np.clip((v * res).astype(int), 0, res - 1)
    draw = inside & mask[vi, ui]
    region = canvas[y0:y1, x0:x1]
    region[draw] = tex[vi, ui][draw]


def render_base_motion(rng: np.random.Generator, cfg: SyntheticActionConfig,
                       motion: str) -> np.ndarray:
    """The base frames of one random motion, in forward order: (T, S, S, 3) uint8 RGB."""
    S, T = cfg.size, cfg.num_frames
    background = _background(rng, S)
    tex, mask = _object(rng)
    t = np.arange(T, dtype=np.float64)
    size = np.full(T, rng.uniform(0.3, 0.45) * S)
    angle = np.full(T, rng.uniform(0, 2 * np.pi))
    cx = np.full(T, rng.uniform(0.4, 0.6) * S)
    cy = np.full(T, rng.uniform(0.4, 0.6) * S)
    if motion == 'translate':  # rightwards across the middle of the frame
        step = rng.uniform(0.45, 0.6) * S / (T - 1)
        cx = S / 2 + (t - (T - 1) / 2) * step + rng.uniform(-0.05, 0.05) * S
    elif motion == 'rotate':  # clockwise (image y points down), at most half a turn in total
        angle = angle + t * rng.uniform(0.7, 1.0) * np.pi / (T - 1)
    elif motion == 'scale':  # approaching: the object grows
        size = rng.uniform(0.2, 0.25) * S * np.exp(t * np.log(rng.uniform(2.4, 3.0)) / (T - 1))
    else:
        raise ValueError(f'motion must be one of {MOTIONS}, got {motion!r}')
    frames = np.empty((T, S, S, 3), np.uint8)
    for i in range(T):
        canvas = background.copy()
        _paste(canvas, tex, mask, cx[i], cy[i], size[i], angle[i])
        frames[i] = np.clip(canvas, 0, 255).astype(np.uint8)
    return frames


def render_action_group(seed: int, cfg: SyntheticActionConfig = SyntheticActionConfig()
                        ) -> Tuple[str, List[np.ndarray]]:
    """One base motion drawn from ``seed`` and its video for every class.

    Returns ``(motion, videos)`` where ``videos[label]`` is (T, S, S, 3) uint8 RGB.
    """
    rng = np.random.default_rng(seed)
    motion = cfg.motions[int(rng.integers(len(cfg.motions)))]
    base = render_base_motion(rng, cfg, motion)
    return motion, [base[frame_order(label, cfg.num_frames)] for label in range(cfg.num_classes)]


# Encoders PyAV may have for each container, in order of preference.
VIDEO_CODECS = {'.mp4': ('libx264', 'h264', 'mpeg4'), '.webm': ('libvpx', 'libvpx-vp9', 'vp8', 'vp9')}


def write_video(path: str, frames: np.ndarray, fps: int, lossless: bool = True) -> None:
    """Write (T, H, W, 3) uint8 RGB frames to a video file with PyAV, encoded by the first codec PyAV has for
    its container (:data:`VIDEO_CODECS`: .mp4 H.264, .webm VP8/VP9).

    ``lossless`` (.mp4 with libx264): qp 0 in yuv444p, so decoding gives back each frame's pixels up to the
    RGB <-> YUV conversion. Otherwise yuv420p at a high bit rate (libvpx refuses to open without one).
    """
    import av  # noqa: PLC0415  (only the writers need PyAV)

    ext = osp.splitext(path)[1].lower()
    if ext not in VIDEO_CODECS:
        raise ValueError(f'{path}: cannot choose a codec for {ext!r} files (supported: {", ".join(VIDEO_CODECS)})')
    codec = next((c for c in VIDEO_CODECS[ext] if c in av.codecs_available), None)
    if codec is None:
        raise RuntimeError(f'{path}: PyAV has none of the encoders {VIDEO_CODECS[ext]} for {ext} files')
    if lossless and codec != 'libx264':
        raise ValueError(f'{path}: lossless writing needs .mp4 files and libx264, got {ext} with {codec}')
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with av.open(path, mode='w') as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        if lossless:
            stream.pix_fmt = 'yuv444p'
            stream.options = {'qp': '0', 'preset': 'veryfast'}
        else:
            stream.pix_fmt = 'yuv420p'
            stream.bit_rate = 2_000_000  # high, for faithful tiny frames
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode())


def group_seeds(seed: int, num: int, split: str) -> List[int]:
    """Independent per-group seeds derived from the benchmark seed and the split."""
    return derived_seeds(seed, num, {'train': 0, 'val': 1}[split])


def write_action_benchmark(out_dir: str, seed: int = 0, num_train: int = 150, num_val: int = 50,
                           cfg: SyntheticActionConfig = SyntheticActionConfig(),
                           progress: bool = False) -> Dict[str, str]:
    """Write the benchmark with ``num_train`` / ``num_val`` base motions per split (each rendered
    once per class, so ``num_classes`` times as many videos). Returns the annotation list of each
    split."""
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'classes.txt'), 'w') as f:
        f.write('\n'.join(cfg.class_names) + '\n')
    lists = {}
    bar = None
    if progress:
        from svm.utils.progress import progress_bar  # noqa: PLC0415
        bar = progress_bar(num_train + num_val)
    for split, num in (('train', num_train), ('val', num_val)):
        lines = []
        for g, s in enumerate(group_seeds(seed, num, split)):
            motion, videos = render_action_group(s, cfg)
            for label, frames in enumerate(videos):
                rel = osp.join('videos', split, f'{g:05d}_{motion}_{cfg.class_names[label]}.mp4')
                write_video(osp.join(out_dir, rel), frames, cfg.fps)
                lines.append(f'{rel} {label}')
            if bar is not None:
                bar.update()
        lists[split] = osp.join(out_dir, f'{split}_list.txt')
        with open(lists[split], 'w') as f:
            f.write('\n'.join(lines) + '\n')
    with open(osp.join(out_dir, 'benchmark.json'), 'w') as f:  # what was generated, to check reuse against
        json.dump(benchmark_spec(seed, num_train, num_val, cfg), f, indent=2)
    return lists


def benchmark_spec(seed: int, num_train: int, num_val: int, cfg: SyntheticActionConfig) -> dict:
    """Everything that determines a generated benchmark (written to its benchmark.json)."""
    return dict(seed=seed, num_train=num_train, num_val=num_val, size=cfg.size, num_frames=cfg.num_frames,
                motions=list(cfg.motions), num_classes=cfg.num_classes, fps=cfg.fps)


def read_video(path: str) -> np.ndarray:
    """Decode a video with PyAV into (T, H, W, 3) uint8 RGB (for checks and demos)."""
    import av  # noqa: PLC0415

    with av.open(path) as container:
        return np.stack([f.to_ndarray(format='rgb24') for f in container.decode(video=0)])


