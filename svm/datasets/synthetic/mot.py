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

Presets (:data:`PRESETS`, :func:`preset_config`): ``default`` is the benchmark of ``make demo``; ``hard`` is
a crowded scene where a tracker needs to remember: static occluders (pillars, trees) in front of everyone,
slow walkers that stay behind them and behind each other for many frames, look-alikes (one texture worn by
two people) walking into each other, people who stop and walk on, and a shaking camera. Every option of the
hard preset is off in the default one, and an option that is off draws no random number, so the default
benchmark stays byte-identical. ``flow`` is the default scene, shorter and with a gentler pan, for a per-video
crowd-flow class: :func:`write_mot_benchmark` with ``flow_classes`` (e.g. :data:`FLOW_CLASSES`) makes everyone in
a sequence walk left, or everyone walk right (:attr:`SyntheticMOTConfig.flow`), alternating over the sequences,
and writes mmaction2 RawframeDataset lists of those labels beside the MOT17 files::

    <out>/annotations/train_flow_rawframes.txt   # "train/SYN-01/img1 60 0": frame_dir total_frames label
    <out>/annotations/val_flow_rawframes.txt
    <out>/annotations/flow_classes.txt         # one class name per line, label 0 first

One frame cannot tell the two classes apart (people stand the same way whichever way they walk); a few can.
"""
from __future__ import annotations

import os
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from svm.datasets.mot.coco_video import convert_mot_challenge
from svm.datasets.mot.mot_challenge import GT_FIELDS, SeqInfo, write_gt, write_seqinfo
from .seeding import derived_seeds

PEDESTRIAN = 1
# what the shipped configs on generated data read (tools/misc/generate_synthetic_mot.py converts them)
CONVERTED_SUBSETS = ('train', 'val', 'half-train', 'half-val')
# Flows of the crowd (SyntheticMOTConfig.flow): the direction of everyone's walk (-1 left, +1 right).
FLOW_DIRECTIONS = {'left': -1.0, 'right': 1.0}
# The per-video classes of the flow preset, label i = index i; the flow of each class.
FLOW_CLASSES = ('walk-left', 'walk-right')
FLOW_OF_CLASS = {'walk-left': 'left', 'walk-right': 'right'}


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
    # Options of the hard preset, off by default (they draw no random number when off):
    occluders: Tuple[int, int] = (0, 0)  # static occluders in front of every object (inclusive range)
    occluder_width: Tuple[float, float] = (20.0, 36.0)  # pillar width; a tree's crown is wider, its trunk narrower
    lookalike_prob: float = 0.0  # chance that a new object wears the texture of one in view and walks into it
    stop_prob: float = 0.0  # chance per frame that a walking object stops
    stop_frames: Tuple[int, int] = (10, 40)  # how long it stands (inclusive range)
    camera_shake: float = 0.0  # standard deviation (pixels) of the camera's frame-to-frame jitter
    # None: each person walks left or right at random; 'left' / 'right': everyone walks that way (a crowd flow)
    flow: Optional[str] = None

    def __post_init__(self):
        if self.width % 32 or self.height % 32:
            raise ValueError(f'width and height must be multiples of 32 (the detector strides), '
                             f'got width={self.width}, height={self.height}')
        if self.num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {self.num_frames}')
        if self.obj_height[1] >= self.height:
            raise ValueError(f'obj_height {self.obj_height} must stay below the image height '
                             f'{self.height}')
        for name in ('spawn_prob', 'lookalike_prob', 'stop_prob'):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f'{name} must be a probability in [0, 1], got {getattr(self, name)}')
        if self.camera_shake < 0:
            raise ValueError(f'camera_shake must be >= 0, got {self.camera_shake}')
        for name in ('init_objects', 'occluders', 'stop_frames'):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f'{name} must be an inclusive range 0 <= low <= high, got {(low, high)}')
        if self.stop_prob > 0 and self.stop_frames[0] < 1:
            raise ValueError(f'stop_frames must be at least 1 frame, got {self.stop_frames}')
        if not 0 < self.speed[0] <= self.speed[1]:
            raise ValueError(f'speed must be a range 0 < low <= high (everyone walks), got {self.speed}')
        if self.flow is not None and self.flow not in FLOW_DIRECTIONS:
            raise ValueError(f'flow must be None or one of {sorted(FLOW_DIRECTIONS)}, got {self.flow!r}')
        if self.flow is not None and self.lookalike_prob > 0:
            raise ValueError(f'flow={self.flow!r} needs lookalike_prob=0: a look-alike walks towards its twin, '
                             f'against the flow (got lookalike_prob={self.lookalike_prob})')

    @property
    def shake_pad(self) -> int:
        """World margin (pixels) on every side that the camera's jitter may reach: 3 standard deviations."""
        return int(np.ceil(3 * self.camera_shake))


# The flow preset: the default scene in sequences of 60 frames with a gentler pan, so that the walking, not the
# camera, moves people across the image; its direction (SyntheticMOTConfig.flow) is chosen per sequence by
# write_mot_benchmark(flow_classes=...).
# The hard preset: a crowded pedestrian scene where detections drop out for many frames (see the module
# docstring). Sizes and frame rate are the default benchmark's; sequences are longer so that the long
# occlusions have a track before and after them. As in the default benchmark, a person near a side may leave
# the view and come back (the camera pans and shakes): its track then has a gap.
PRESETS: Dict[str, dict] = {
    'default': {},
    'hard': dict(
        num_frames=150,
        init_objects=(5, 7),
        max_objects=10,
        spawn_prob=0.08,
        speed=(0.5, 1.6),
        occluders=(3, 4),
        lookalike_prob=0.7,
        stop_prob=0.015,
        stop_frames=(15, 45),
        camera_amplitude=(24.0, 8.0),  # a gentler pan: it would carry the slow walkers in and out at the sides
        camera_shake=1.5),
    'flow': dict(num_frames=60, camera_amplitude=(16.0, 6.0)),
}


def preset_config(name: str = 'default', **overrides) -> SyntheticMOTConfig:
    """The :data:`PRESETS` entry ``name`` as a config, with ``overrides`` of its fields (e.g. ``width=160``)."""
    if name not in PRESETS:
        raise ValueError(f'unknown synthetic MOT preset {name!r}; choose one of {sorted(PRESETS)}')
    return SyntheticMOTConfig(**{**PRESETS[name], **overrides})


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
    appearance: int = 0  # id of the texture: look-alikes share one
    stopped: int = 0  # frames it still stands still


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


def make_occluders(rng: np.random.Generator, height: int, width: int, num: int,
                   pillar_width: Tuple[float, float]) -> Tuple[np.ndarray, np.ndarray]:
    """``num`` static occluders standing in a world of (height, width) pixels, spread along it: grey
    pillars over the whole height, or trees (a narrow trunk below a wide, leafy crown that hides heads
    and shoulders). Their colours are muted and textured, apart from the saturated objects.

    Returns:
        mask (height, width) bool, True where an occluder is, and its colours (height, width, 3) uint8.
    """
    mask = np.zeros((height, width), bool)
    colour = np.zeros((height, width, 3))
    yy, xx = np.mgrid[0:height, 0:width]
    grain = _smooth_noise(rng, height, width, 6)[..., None]
    for i in range(num):
        pw = rng.uniform(*pillar_width)
        centre = (i + rng.uniform(0.2, 0.8)) * width / num  # one per slot: occluders all along the scene
        if rng.random() < 0.5:  # pillar
            part = np.abs(xx - centre) < pw / 2
            shade = 0.75 + 0.25 * np.cos(np.clip((xx - centre) / pw * np.pi, -np.pi / 2, np.pi / 2))
            tone = rng.uniform(70, 170) * np.array([1.0, 0.97, 0.92]) * shade[..., None]
        else:  # tree: crown over the upper part, trunk below it
            crown_y, crown_r = rng.uniform(0.12, 0.25) * height, rng.uniform(0.15, 0.22) * height
            crown = ((xx - centre) / (0.8 * pw)) ** 2 + ((yy - crown_y) / crown_r) ** 2 < 1
            trunk = (np.abs(xx - centre) < pw / 4) & (yy > crown_y)
            part = crown | trunk
            leaves = np.array([60, 110, 50]) * rng.uniform(0.7, 1.1)
            bark = np.array([95, 75, 55]) * rng.uniform(0.8, 1.2)
            tone = np.where(crown[..., None], leaves, bark) * np.ones((height, width, 1))
        colour = np.where(part[..., None], tone * (0.8 + 0.4 * grain), colour)
        mask |= part
    return mask, np.clip(colour, 0, 255).astype(np.uint8)


class SyntheticMOTSequence:
    """One deterministic synthetic sequence.

    Args:
        seed: everything in the sequence follows from it.
        cfg: the sequence options.

    Iterating yields ``(frame_id, image (H, W, 3) uint8 RGB, gt rows)`` for frame_id 1..num_frames,
    where each gt row is ``(frame, id, left, top, width, height, 1, 1, visibility)`` in MOT17's 1-based pixels.
    While it iterates, :attr:`appearance_of` maps every track id created so far to the id of its texture
    (look-alikes share one).
    """

    def __init__(self, seed: int, cfg: SyntheticMOTConfig = SyntheticMOTConfig()):
        self.seed = seed
        self.cfg = cfg
        self.appearance_of: Dict[int, int] = {}

    def camera_offsets(self) -> np.ndarray:
        """The integer top-left corner of the view in the world at every frame, (num_frames, 2) as (x, y):
        an object's image box is its world box minus this (the camera is the first draw of the seed)."""
        return np.round(self._camera(np.random.default_rng(self.seed))).astype(int)

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
        if cfg.camera_shake > 0:  # hand-held jitter on top of the pan, inside the world's extra margin
            pad = cfg.shake_pad
            jitter = np.clip(rng.normal(0, cfg.camera_shake, out.shape), -pad, pad)
            out += pad + jitter
        return out

    def _new_object(self, rng: np.random.Generator, track_id: int, cam: np.ndarray,
                    inside: bool) -> _Object:
        cfg = self.cfg
        h = int(round(rng.uniform(*cfg.obj_height)))
        w = max(8, int(round(h * rng.uniform(*cfg.aspect))))
        direction = rng.choice([-1.0, 1.0])  # drawn in a flow too: the rest draws the same numbers
        if cfg.flow is not None:
            direction = FLOW_DIRECTIONS[cfg.flow]
        vx = direction * rng.uniform(*cfg.speed)
        vy = rng.uniform(-cfg.vertical_speed, cfg.vertical_speed)
        # feet on the lower two thirds of the view, as on a ground plane
        y = cam[1] + rng.uniform(cfg.height * 0.3, cfg.height - 4) - h
        if inside:
            x = cam[0] + rng.uniform(0, cfg.width - w)
        else:  # just outside the side it walks in from
            x = cam[0] - w + 1 if direction > 0 else cam[0] + cfg.width - 1
        return _Object(track_id, float(x), float(y), w, h, vx, vy, make_object_texture(rng, h, w),
                       appearance=track_id)

    def _lookalike(self, rng: np.random.Generator, track_id: int, cam: np.ndarray, twin: _Object,
                   inside: bool) -> _Object:
        """A new object with ``twin``'s texture and size, at nearly its depth, ahead of it and walking towards
        it: the two cross, one hiding the other. In view at the start it stands a few widths ahead of
        ``twin``; entering later, it comes in from the side ``twin`` walks towards."""
        cfg = self.cfg
        feet = twin.y + twin.h + rng.uniform(-6, 6)
        direction = -1.0 if twin.vx > 0 else 1.0
        if inside:
            x = twin.x - direction * rng.uniform(1.5, 5) * twin.w
            x = float(np.clip(x, cam[0] - twin.w / 2, cam[0] + cfg.width - twin.w / 2))
        else:
            x = cam[0] - twin.w + 1 if direction > 0 else cam[0] + cfg.width - 1
        vx = direction * rng.uniform(*cfg.speed)
        vy = rng.uniform(-cfg.vertical_speed, cfg.vertical_speed)
        return _Object(track_id, float(x), float(feet - twin.h), twin.w, twin.h, vx, vy, twin.texture,
                       appearance=twin.appearance)

    def _spawn(self, rng: np.random.Generator, track_id: int, cam: np.ndarray, objects: Sequence[_Object],
               inside: bool) -> _Object:
        """A new object: with chance ``lookalike_prob``, the look-alike of one in ``objects`` that has none
        yet (a texture is worn by two people at most), else a new one."""
        cfg = self.cfg
        worn = Counter(self.appearance_of.values())
        singles = [o for o in objects if worn[o.appearance] == 1]
        if cfg.lookalike_prob > 0 and singles and rng.random() < cfg.lookalike_prob:
            obj = self._lookalike(rng, track_id, cam, singles[int(rng.integers(len(singles)))], inside)
        else:
            obj = self._new_object(rng, track_id, cam, inside)
        self.appearance_of[track_id] = obj.appearance
        return obj

    def _walk(self, rng: np.random.Generator, obj: _Object, cam: np.ndarray) -> None:
        """One frame of walking: the speed drifts; with ``stop_prob`` a walker in full view stops for
        ``stop_frames`` (never at the border, where the shaking camera would show and hide it in turn). In a
        flow the drift never turns anyone round."""
        cfg = self.cfg
        vx = float(np.clip(obj.vx + rng.normal(0, 0.05), -cfg.speed[1], cfg.speed[1]))
        direction = FLOW_DIRECTIONS[cfg.flow] if cfg.flow is not None else np.sign(vx or 1.0)
        obj.vx = direction * max(abs(vx), cfg.speed[0])
        if cfg.stop_prob > 0:
            if obj.stopped > 0:
                obj.stopped -= 1
                return
            in_view = cam[0] + cfg.margin <= obj.x and obj.x + obj.w <= cam[0] + cfg.width - cfg.margin
            if in_view and rng.random() < cfg.stop_prob:
                obj.stopped = int(rng.integers(cfg.stop_frames[0], cfg.stop_frames[1] + 1)) - 1
                return
        obj.x += obj.vx
        obj.y += obj.vy

    def __iter__(self) -> Iterator[Tuple[int, np.ndarray, List[Tuple]]]:
        cfg = self.cfg
        rng = np.random.default_rng(self.seed)
        cams = self._camera(rng)
        amp_x, amp_y = cfg.camera_amplitude
        pad = 2 * cfg.shake_pad
        world = make_background(rng, cfg.height + int(2 * amp_y) + 2 + pad, cfg.width + int(2 * amp_x) + 2 + pad)
        occluders = None
        if cfg.occluders[1] > 0:  # from their own generator: with or without them, the people walk the same
            occluder_rng = np.random.default_rng([self.seed, 1])
            num = int(occluder_rng.integers(cfg.occluders[0], cfg.occluders[1] + 1))
            occluders = make_occluders(occluder_rng, *world.shape[:2], num, cfg.occluder_width)
        self.appearance_of = {}
        next_id = 1
        objects: List[_Object] = []
        for _ in range(int(rng.integers(cfg.init_objects[0], cfg.init_objects[1] + 1))):
            objects.append(self._spawn(rng, next_id, cams[0], objects, inside=True))
            next_id += 1

        for t in range(cfg.num_frames):
            cam = cams[t]
            if t > 0:
                for obj in objects:
                    self._walk(rng, obj, cam)
                objects = [o for o in objects if not self._gone(o, cam)]
                if len(objects) < cfg.max_objects and rng.random() < cfg.spawn_prob:
                    objects.append(self._spawn(rng, next_id, cam, objects, inside=False))
                    next_id += 1
            yield (t + 1, ) + self._render(world, cam, objects, t + 1, occluders)

    def _gone(self, obj: _Object, cam: np.ndarray) -> bool:
        """True once the object has walked out of the view, past the margin."""
        left = obj.x - cam[0]
        right = left + obj.w
        top = obj.y - cam[1]
        m = self.cfg.margin
        return (right < -m and obj.vx < 0) or (left > self.cfg.width + m and obj.vx > 0) or \
            top > self.cfg.height + m or top + obj.h < -m

    def _render(self, world: np.ndarray, cam: np.ndarray, objects: Sequence[_Object], frame_id: int,
                occluders: Optional[Tuple[np.ndarray, np.ndarray]] = None) -> Tuple[np.ndarray, List[Tuple]]:
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
        if occluders is not None:  # in front of everyone: hides what is behind, visibility included
            mask, colour = (o[cy:cy + H, cx:cx + W] for o in occluders)
            img[mask] = colour[mask]
            owner[mask] = 0
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


def flow_labels(num: int, num_classes: int) -> List[int]:
    """Labels of ``num`` sequences taking ``num_classes`` classes in turn (0, 1, ..., 0, 1, ...): balanced, and
    every prefix of the sequences is too."""
    return [i % num_classes for i in range(num)]


def _flow_configs(cfg: SyntheticMOTConfig, flow_classes: Sequence[str]) -> List[SyntheticMOTConfig]:
    """The config of each class of ``flow_classes``: ``cfg`` with that class's flow (checked before anything is
    written)."""
    if cfg.flow is not None:
        raise ValueError(f'flow_classes choose the flow of each sequence; cfg.flow must be None, got {cfg.flow!r}')
    unknown = [name for name in flow_classes if name not in FLOW_OF_CLASS]
    if unknown or len(set(flow_classes)) != len(flow_classes) or len(flow_classes) < 2:
        raise ValueError(f'flow_classes must be two or more distinct names of {sorted(FLOW_OF_CLASS)}, '
                         f'got {tuple(flow_classes)}')
    return [replace(cfg, flow=FLOW_OF_CLASS[name]) for name in flow_classes]


def write_flow_annotations(out_dir: str, labels: Dict[str, Dict[str, int]], classes: Sequence[str],
                           cfg: SyntheticMOTConfig) -> List[str]:
    """Write the per-video flow labels of a written benchmark for mmaction2's RawframeDataset.

    Args:
        out_dir: the benchmark's root (the RawframeDataset's ``data_prefix=dict(img=out_dir)``).
        labels: split -> {sequence name: label}, in the order of the lines.
        classes: the class name of each label.
        cfg: the sequences' options (their length and image folder).

    Returns:
        The paths written: ``out_dir/annotations/{split}_flow_rawframes.txt`` per split, with a line
        ``{split}/{name}/img1 {num_frames} {label}`` per sequence, then ``out_dir/annotations/flow_classes.txt``.
    """
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    paths = []
    for split, split_labels in labels.items():
        paths.append(osp.join(ann_dir, f'{split}_flow_rawframes.txt'))
        with open(paths[-1], 'w') as f:
            for name, label in split_labels.items():
                info = sequence_info(name, cfg)
                f.write(f'{split}/{name}/{info.im_dir} {info.length} {label}\n')
    paths.append(osp.join(ann_dir, 'flow_classes.txt'))
    with open(paths[-1], 'w') as f:
        f.writelines(f'{name}\n' for name in classes)
    return paths


def write_mot_benchmark(out_dir: str, seed: int = 0, num_train: int = 4, num_val: int = 2,
                        cfg: SyntheticMOTConfig = SyntheticMOTConfig(),
                        flow_classes: Optional[Sequence[str]] = None,
                        progress: bool = False) -> Dict[str, List[str]]:
    """Write the synthetic MOT benchmark: ``out_dir/train/SYN-01..`` and ``out_dir/val/SYN-51..``.

    With ``flow_classes`` (names of :data:`FLOW_OF_CLASS`, e.g. :data:`FLOW_CLASSES`; label i is
    ``flow_classes[i]``), the sequences of each split take the classes in turn (:func:`flow_labels`), everyone in a
    sequence walking its class's way, and the labels are written for mmaction2 (:func:`write_flow_annotations`).
    The seeds of the sequences do not depend on it.

    Returns the sequence names of each split.
    """
    class_cfgs = _flow_configs(cfg, flow_classes) if flow_classes is not None else None
    splits = {'train': (num_train, 1), 'val': (num_val, 51)}
    names: Dict[str, List[str]] = {}
    labels: Dict[str, Dict[str, int]] = {}
    todo = []
    for split, (num, first) in splits.items():
        seeds = derived_seeds(seed, num, first)
        names[split] = [f'SYN-{first + i:02d}' for i in range(num)]
        if class_cfgs is None:
            todo += [(split, name, s, cfg) for name, s in zip(names[split], seeds)]
        else:
            labels[split] = dict(zip(names[split], flow_labels(num, len(class_cfgs))))
            todo += [(split, name, s, class_cfgs[labels[split][name]]) for name, s in zip(names[split], seeds)]
    bar = None
    if progress:
        from svm.utils.progress import progress_bar  # noqa: PLC0415
        bar = progress_bar(len(todo))
    for split, name, s, seq_cfg in todo:
        write_sequence(osp.join(out_dir, split), name, s, seq_cfg)
        if bar is not None:
            bar.update()
    if class_cfgs is not None:
        write_flow_annotations(out_dir, labels, flow_classes, cfg)
    return names


def convert_mot_benchmark(out_dir: str) -> List[str]:
    """Convert a written benchmark to ``out_dir/annotations/{train,val,half-train,half-val}_cocoformat.json``
    (and ``gt/gt_half-{train,val}.txt`` beside each training ``gt.txt``), as for MOT17; returns the json paths."""
    return convert_mot_challenge(out_dir, osp.join(out_dir, 'annotations'), CONVERTED_SUBSETS)
