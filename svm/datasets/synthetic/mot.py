"""A synthetic multi-object tracking benchmark written in the MOT17 layout.

Each sequence shows textured, pedestrian-shaped boxes walking across a textured scene filmed by a
panning camera. Objects enter and leave through the sides of the view, cross each other at different
depths (the one lower in the image is nearer and hides the other) and change speed slowly. Everything
is drawn from one seed, so a benchmark is reproduced exactly by its seed and its options.

The files follow MOT17, so the real converters and loaders read them unchanged::

    <out>/train/SYN-01/seqinfo.ini
    <out>/train/SYN-01/img1/000001.jpg ...
    <out>/train/SYN-01/gt/gt.txt        # frame,id,left,top,width,height,conf,class,visibility
    <out>/val/SYN-51/...                # validation sequences, same layout

Ground truth follows MOT17's conventions: 1-based frame numbers and pixel coordinates, boxes may
extend past the image border, ``conf`` 1 (a target to evaluate), class 1 (pedestrian) and the visible
fraction of the object (occlusion and truncation) in [0, 1]. A box is written for every frame in
which any part of the object is inside the image, as MOT17 keeps occluded pedestrians annotated.
"""
from __future__ import annotations

import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Sequence, Tuple

import numpy as np

from svm.datasets.mot.coco_video import convert_mot_challenge
from svm.datasets.mot.mot_challenge import GT_FIELDS, SeqInfo, write_gt, write_seqinfo

PEDESTRIAN = 1
# what the shipped configs on generated data read (tools/misc/generate_synthetic_mot.py converts them)
CONVERTED_SUBSETS = ('train', 'val', 'half-train', 'half-val')


@dataclass
class SyntheticMOTConfig:
    """Options of one synthetic sequence (all sizes in pixels, speeds in pixels per frame)."""
    width: int = 320
    height: int = 192
    num_frames: int = 120
    frame_rate: int = 25
    init_objects: Tuple[int, int] = (3, 5)  # objects in view at frame 1 (inclusive range)
    max_objects: int = 7  # objects present at once, at most
    spawn_prob: float = 0.04  # chance per frame that a new object enters from a side
    obj_height: Tuple[float, float] = (40.0, 80.0)
    aspect: Tuple[float, float] = (0.38, 0.5)  # width / height, pedestrian-like
    speed: Tuple[float, float] = (0.8, 2.5)  # horizontal speed
    vertical_speed: float = 0.3  # vertical speed at most (walking slightly towards/away)
    camera_amplitude: Tuple[float, float] = (40.0, 12.0)  # pan range in x and y
    camera_period: Tuple[float, float] = (90.0, 240.0)  # frames per pan cycle
    margin: int = 8  # an object is dropped once it is this far outside the view

    def __post_init__(self):
        if self.width % 32 or self.height % 32:
            raise ValueError(f'width and height must be multiples of 32 (the detector strides), '
                             f'got width={self.width}, height={self.height}')
        if self.num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {self.num_frames}')
        if self.obj_height[1] >= self.height:
            raise ValueError(f'obj_height {self.obj_height} must stay below the image height '
                             f'{self.height}')


@dataclass
class _Object:
    track_id: int
    x: float  # top-left corner in world coordinates
    y: float
    w: int
    h: int
    vx: float
    vy: float
    texture: np.ndarray = field(repr=False)  # (h, w, 3) uint8


def _smooth_noise(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """Value noise in [0, 1]: random values on a coarse grid, bilinearly upsampled. (H, W)."""
    gh, gw = height // cell + 2, width // cell + 2
    grid = rng.random((gh, gw))
    ys = np.arange(height) / cell
    xs = np.arange(width) / cell
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    g00 = grid[y0][:, x0]
    g01 = grid[y0][:, x0 + 1]
    g10 = grid[y0 + 1][:, x0]
    g11 = grid[y0 + 1][:, x0 + 1]
    return (g00 * (1 - fy) * (1 - fx) + g01 * (1 - fy) * fx + g10 * fy * (1 - fx) +
            g11 * fy * fx)


def make_background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A muted textured scene (H, W, 3) uint8: soft blobs, a paving pattern and grain.

    Low saturation keeps the scene apart from the saturated objects, but its texture and the
    paving edges are real clutter for the detector.
    """
    base = rng.uniform(90, 150, size=3)
    tint = rng.uniform(-15, 15, size=3)
    low = _smooth_noise(rng, height, width, 48)[..., None]
    mid = _smooth_noise(rng, height, width, 12)[..., None]
    img = base + tint * (2 * low - 1) + 50 * (low - 0.5) + 25 * (mid - 0.5)
    tile = int(rng.integers(20, 40))
    paving = ((np.arange(height)[:, None] % tile == 0) | (np.arange(width)[None, :] % tile == 0))
    img = img - 18 * paving[..., None]
    img = img + rng.normal(0, 4, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_object_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A saturated person-like texture (h, w, 3) uint8: head, coloured shirt and trousers with a
    random pattern, and a dark outline, so that each object looks different from the others."""
    def color():
        hue = rng.uniform(0, 6)
        c = np.clip(np.abs((hue + np.array([0, 4, 2])) % 6 - 3) - 1, 0, 1)  # fully saturated hue
        return 40 + 215 * c * rng.uniform(0.7, 1.0)

    yy, xx = np.mgrid[0:h, 0:w]
    tex = np.empty((h, w, 3))
    head, torso = int(0.2 * h), int(0.6 * h)
    tex[:] = color()
    tex[head:torso] = color()
    tex[torso:] = color()
    tex[:head] = np.array([220, 180, 150]) * rng.uniform(0.6, 1.0)  # skin-ish head
    pattern = rng.integers(3)
    period = int(rng.integers(4, 9))
    if pattern == 0:  # stripes on the shirt
        mask = (yy // period) % 2 == 0
    elif pattern == 1:  # checks
        mask = ((yy // period) + (xx // period)) % 2 == 0
    else:  # plain
        mask = np.zeros((h, w), bool)
    mask[:head] = False
    mask[torso:] = False
    tex[mask] = color()
    tex[:, :2] *= 0.3
    tex[:, -2:] *= 0.3
    tex[:2] *= 0.3
    tex[-2:] *= 0.3
    return np.clip(tex, 0, 255).astype(np.uint8)


class SyntheticMOTSequence:
    """One deterministic synthetic sequence.

    Args:
        seed: everything in the sequence follows from it.
        cfg: the sequence options.

    Iterating yields ``(frame_id, image (H, W, 3) uint8 RGB, gt rows)`` for frame_id 1..num_frames,
    where each gt row is ``(frame, id, left, top, width, height, 1, 1, visibility)`` in MOT17's 1-based pixels.
    """

    def __init__(self, seed: int, cfg: SyntheticMOTConfig = SyntheticMOTConfig()):
        self.seed = seed
        self.cfg = cfg

    def _camera(self, rng: np.random.Generator) -> np.ndarray:
        """Camera top-left in world coordinates for every frame, (num_frames, 2): a smooth pan."""
        cfg = self.cfg
        t = np.arange(cfg.num_frames)
        out = np.empty((cfg.num_frames, 2))
        for axis in range(2):
            period = rng.uniform(*cfg.camera_period)
            phase = rng.uniform(0, 2 * np.pi)
            amp = cfg.camera_amplitude[axis]
            out[:, axis] = amp * (1 + np.sin(2 * np.pi * t / period + phase))
        return out

    def _new_object(self, rng: np.random.Generator, track_id: int, cam: np.ndarray,
                    inside: bool) -> _Object:
        cfg = self.cfg
        h = int(round(rng.uniform(*cfg.obj_height)))
        w = max(8, int(round(h * rng.uniform(*cfg.aspect))))
        direction = rng.choice([-1.0, 1.0])
        vx = direction * rng.uniform(*cfg.speed)
        vy = rng.uniform(-cfg.vertical_speed, cfg.vertical_speed)
        # feet on the lower two thirds of the view, as on a ground plane
        y = cam[1] + rng.uniform(cfg.height * 0.3, cfg.height - 4) - h
        if inside:
            x = cam[0] + rng.uniform(0, cfg.width - w)
        else:  # just outside the side it walks in from
            x = cam[0] - w + 1 if direction > 0 else cam[0] + cfg.width - 1
        return _Object(track_id, float(x), float(y), w, h, vx, vy, make_object_texture(rng, h, w))

    def __iter__(self) -> Iterator[Tuple[int, np.ndarray, List[Tuple]]]:
        cfg = self.cfg
        rng = np.random.default_rng(self.seed)
        cams = self._camera(rng)
        amp_x, amp_y = cfg.camera_amplitude
        world = make_background(rng, cfg.height + int(2 * amp_y) + 2, cfg.width + int(2 * amp_x) + 2)
        next_id = 1
        objects: List[_Object] = []
        for _ in range(int(rng.integers(cfg.init_objects[0], cfg.init_objects[1] + 1))):
            objects.append(self._new_object(rng, next_id, cams[0], inside=True))
            next_id += 1

        for t in range(cfg.num_frames):
            cam = cams[t]
            if t > 0:
                for obj in objects:
                    obj.vx = float(np.clip(obj.vx + rng.normal(0, 0.05), -cfg.speed[1],
                                           cfg.speed[1]))
                    if abs(obj.vx) < cfg.speed[0]:
                        obj.vx = np.sign(obj.vx or 1.0) * cfg.speed[0]
                    obj.x += obj.vx
                    obj.y += obj.vy
                objects = [o for o in objects if not self._gone(o, cam)]
                if len(objects) < cfg.max_objects and rng.random() < cfg.spawn_prob:
                    objects.append(self._new_object(rng, next_id, cam, inside=False))
                    next_id += 1
            yield (t + 1, ) + self._render(world, cam, objects, t + 1)

    def _gone(self, obj: _Object, cam: np.ndarray) -> bool:
        """True once the object has walked out of the view, past the margin."""
        left = obj.x - cam[0]
        right = left + obj.w
        top = obj.y - cam[1]
        m = self.cfg.margin
        return (right < -m and obj.vx < 0) or (left > self.cfg.width + m and obj.vx > 0) or \
            top > self.cfg.height + m or top + obj.h < -m

    def _render(self, world: np.ndarray, cam: np.ndarray, objects: Sequence[_Object],
                frame_id: int) -> Tuple[np.ndarray, List[Tuple]]:
        cfg = self.cfg
        H, W = cfg.height, cfg.width
        cx, cy = int(round(cam[0])), int(round(cam[1]))
        img = world[cy:cy + H, cx:cx + W].copy()
        owner = np.zeros((H, W), np.int32)  # track id on top at each pixel, 0 = background
        # far (feet higher in the image) first, near last: the near object hides the far one
        order = sorted(objects, key=lambda o: o.y + o.h)
        boxes: Dict[int, Tuple[int, int, int, int]] = {}
        for obj in order:
            left, top = int(round(obj.x)) - cx, int(round(obj.y)) - cy
            boxes[obj.track_id] = (left, top, obj.w, obj.h)
            x0, y0 = max(left, 0), max(top, 0)
            x1, y1 = min(left + obj.w, W), min(top + obj.h, H)
            if x0 >= x1 or y0 >= y1:
                continue
            img[y0:y1, x0:x1] = obj.texture[y0 - top:y1 - top, x0 - left:x1 - left]
            owner[y0:y1, x0:x1] = obj.track_id
        ids, counts = np.unique(owner, return_counts=True)
        visible = dict(zip(ids.tolist(), counts.tolist()))
        rows = []
        for obj in sorted(objects, key=lambda o: o.track_id):
            left, top, w, h = boxes[obj.track_id]
            if left >= W or top >= H or left + w <= 0 or top + h <= 0:
                continue  # entirely outside the image: not annotated
            vis = visible.get(obj.track_id, 0) / float(w * h)
            rows.append((frame_id, obj.track_id, left + 1, top + 1, w, h, 1, PEDESTRIAN,
                         round(vis, 4)))
        return img, rows


def sequence_info(name: str, cfg: SyntheticMOTConfig) -> SeqInfo:
    """The seqinfo.ini of a sequence of ``cfg``."""
    return SeqInfo(name=name, length=cfg.num_frames, width=cfg.width, height=cfg.height,
                   frame_rate=cfg.frame_rate)


def write_sequence(out_dir: str, name: str, seed: int, cfg: SyntheticMOTConfig,
                   jpeg_quality: int = 95) -> int:
    """Render one sequence into ``out_dir/name`` in the MOT17 layout; returns its number of boxes."""
    import cv2  # noqa: PLC0415  (only the writers need OpenCV)

    info = sequence_info(name, cfg)
    seq_dir = osp.join(out_dir, name)
    os.makedirs(osp.join(seq_dir, info.im_dir), exist_ok=True)
    os.makedirs(osp.join(seq_dir, 'gt'), exist_ok=True)
    write_seqinfo(seq_dir, info)
    rows = []
    for frame_id, img, frame_rows in SyntheticMOTSequence(seed, cfg):
        cv2.imwrite(osp.join(seq_dir, info.image_name(frame_id)), img[..., ::-1],
                    [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        rows += frame_rows
    write_gt(osp.join(seq_dir, 'gt', 'gt.txt'), np.array(rows, dtype=np.float64).reshape(-1, len(GT_FIELDS)))
    return len(rows)


def sequence_seeds(seed: int, num: int, offset: int) -> List[int]:
    """Independent per-sequence seeds derived from the benchmark seed (stable across versions)."""
    children = np.random.SeedSequence([seed, offset]).spawn(num)
    return [int(c.generate_state(1)[0]) for c in children]


def write_mot_benchmark(out_dir: str, seed: int = 0, num_train: int = 4, num_val: int = 2,
                        cfg: SyntheticMOTConfig = SyntheticMOTConfig(),
                        progress: bool = False) -> Dict[str, List[str]]:
    """Write the synthetic MOT benchmark: ``out_dir/train/SYN-01..`` and ``out_dir/val/SYN-51..``.

    Returns the sequence names of each split.
    """
    splits = {'train': (num_train, 1), 'val': (num_val, 51)}
    names: Dict[str, List[str]] = {}
    todo = []
    for split, (num, first) in splits.items():
        seeds = sequence_seeds(seed, num, first)
        names[split] = [f'SYN-{first + i:02d}' for i in range(num)]
        todo += [(split, name, s) for name, s in zip(names[split], seeds)]
    bar = None
    if progress:
        from mmengine.utils import ProgressBar  # noqa: PLC0415
        bar = ProgressBar(len(todo))
    for split, name, s in todo:
        write_sequence(osp.join(out_dir, split), name, s, cfg)
        if bar is not None:
            bar.update()
    return names


def convert_mot_benchmark(out_dir: str) -> List[str]:
    """Convert a written benchmark to ``out_dir/annotations/{train,val,half-train,half-val}_cocoformat.json``
    (and ``gt/gt_half-{train,val}.txt`` beside each training ``gt.txt``), as for MOT17; returns the json paths."""
    return convert_mot_challenge(out_dir, osp.join(out_dir, 'annotations'), CONVERTED_SUBSETS)
