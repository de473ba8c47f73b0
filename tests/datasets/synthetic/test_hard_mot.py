"""The ``hard`` preset of the synthetic MOT benchmark: deterministic by seed, in the same layout, and
it has what it claims, measured from its ground truth: long occlusions, look-alikes that cross, people who
stop, a shaking camera. The default benchmark is unchanged by the preset's options."""
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

from svm.datasets.synthetic.mot import (PRESETS, SyntheticMOTConfig, SyntheticMOTSequence, preset_config,
                                        write_mot_benchmark)
from helpers import REPO_ROOT

SEEDS = (0, 1, 2, 3)  # sequences measured per preset


def _runs(flags: np.ndarray) -> List[int]:
    """Lengths of the runs of True in a 1-D boolean array."""
    padded = np.concatenate([[False], flags, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(padded))
    return (edges[1::2] - edges[::2]).tolist()


def _render(seed: int, cfg: SyntheticMOTConfig):
    """(frames (T, H, W, 3), gt rows (N, 9), the sequence) of one sequence."""
    seq = SyntheticMOTSequence(seed, cfg)
    frames, rows = [], []
    for _, img, frame_rows in seq:
        frames.append(img)
        rows += frame_rows
    return np.stack(frames), np.array(rows, dtype=np.float64), seq


def _tracks(rows: np.ndarray) -> Dict[int, np.ndarray]:
    return {int(i): rows[rows[:, 1] == i] for i in np.unique(rows[:, 1])}


def _centre_x(rows: np.ndarray) -> np.ndarray:
    return rows[:, 2] + rows[:, 4] / 2


def _crossings(rows: np.ndarray, appearance_of: Dict[int, int]) -> int:
    """Pairs of look-alikes (same texture) whose boxes swap sides while both are in view, overlapping in height."""
    tracks, count = _tracks(rows), 0
    for a in tracks:
        for b in tracks:
            if a >= b or appearance_of[a] != appearance_of[b]:
                continue
            both = np.intersect1d(tracks[a][:, 0], tracks[b][:, 0])
            if len(both) < 2:
                continue
            ra, rb = (tracks[i][np.isin(tracks[i][:, 0], both)] for i in (a, b))
            side = np.sign(_centre_x(ra) - _centre_x(rb))
            feet_gap = np.abs(ra[:, 3] + ra[:, 5] - rb[:, 3] - rb[:, 5])
            count += bool(side[0] != side[-1] and (feet_gap < ra[:, 5]).any())
    return count


def _stopped_tracks(rows: np.ndarray, camera: np.ndarray, frames: int = 10) -> int:
    """Tracks whose world position stays the same for ``frames`` frames or more (image box plus camera offset)."""
    count = 0
    for r in _tracks(rows).values():
        world_x = r[:, 2] + camera[r[:, 0].astype(int) - 1, 0]
        count += max(_runs(np.diff(world_x) == 0), default=0) >= frames - 1
    return count


def _measure(cfg: SyntheticMOTConfig) -> Dict[str, float]:
    """What the preset claims, averaged over :data:`SEEDS` (per sequence where a count)."""
    stats = []
    for seed in SEEDS:
        _, rows, seq = _render(seed, cfg)
        camera = seq.camera_offsets()
        episodes = [n for r in _tracks(rows).values() for n in _runs(r[:, 8] < 0.5)]
        jerk = np.abs(np.diff(camera, 2, axis=0)).max(axis=1)
        stats.append(dict(
            low_visibility=float((rows[:, 8] < 0.5).mean()),
            hidden=float((rows[:, 8] == 0).mean()),
            median_episode=float(np.median(episodes)) if episodes else 0.0,
            episodes_20=sum(n >= 20 for n in episodes),
            crossings=_crossings(rows, seq.appearance_of),
            stopped=_stopped_tracks(rows, camera),
            shaky_frames=float((jerk >= 2).mean()),
            boxes_per_frame=len(rows) / cfg.num_frames))
    return {key: float(np.mean([s[key] for s in stats])) for key in stats[0]}


@pytest.fixture(scope='module')
def measured() -> Dict[str, Dict[str, float]]:
    return {name: _measure(preset_config(name)) for name in ('default', 'hard')}


def test_hard_preset_hides_people_for_long_stretches(measured):
    hard, default = measured['hard'], measured['default']
    # measured: hard 0.35 of the boxes less than half visible (default 0.12), 5.4% fully hidden (0.4%)
    assert hard['low_visibility'] > 0.3 and default['low_visibility'] < 0.2
    assert hard['hidden'] > 0.02 and default['hidden'] < 0.01
    # occlusion episodes (consecutive frames below half visible): median 15 frames (default 5.5), 7.75 per
    # sequence of >= 20 frames (default 0.5)
    assert hard['median_episode'] >= 10 and hard['episodes_20'] >= 5
    assert default['median_episode'] < hard['median_episode'] and default['episodes_20'] < 2
    assert hard['boxes_per_frame'] > 1.3 * default['boxes_per_frame']  # a crowd: 8.5 people in view against 5.5


def test_hard_preset_has_lookalikes_that_cross_people_who_stop_and_a_shaking_camera(measured):
    hard, default = measured['hard'], measured['default']
    assert hard['crossings'] >= 2 and default['crossings'] == 0  # measured: 3.25 crossings per sequence
    assert hard['stopped'] >= 3 and default['stopped'] == 0  # measured: 5.75 people per sequence stand >= 10 frames
    # the pan's step changes by at most 1 px from one frame to the next; with the shake by 2 or more at 93% of them
    assert hard['shaky_frames'] > 0.8 and default['shaky_frames'] == 0


def test_lookalikes_wear_the_same_pixels():
    same, different = 0, 0
    for seed in SEEDS:
        frames, rows, seq = _render(seed, preset_config('hard'))
        height, width = frames.shape[1:3]
        crops = {}
        for row in rows[rows[:, 8] == 1]:  # fully visible and inside the image
            f, i, x, y, w, h = (int(v) for v in row[:6])
            if x >= 1 and y >= 1 and x - 1 + w <= width and y - 1 + h <= height:
                crops.setdefault(i, frames[f - 1, y - 1:y - 1 + h, x - 1:x - 1 + w])
        for a in crops:
            for b in crops:
                if a < b and seq.appearance_of[a] == seq.appearance_of[b]:
                    assert np.array_equal(crops[a], crops[b])
                    same += 1
                elif a < b and crops[a].shape == crops[b].shape:
                    assert not np.array_equal(crops[a], crops[b])
                    different += 1
    assert same >= 4  # look-alike pairs seen in full


def test_occluders_lower_the_visibility_of_what_they_hide():
    base = dict(num_frames=60, camera_shake=0.0, lookalike_prob=0.0, stop_prob=0.0)
    _, with_occluders, _ = _render(4, preset_config('hard', **base))
    _, without, _ = _render(4, preset_config('hard', **base, occluders=(0, 0)))
    # the same people walk the same paths (occluders draw only after the scene), only the visibility changes
    assert np.array_equal(with_occluders[:, :8], without[:, :8])
    assert (with_occluders[:, 8] <= without[:, 8]).all()
    assert (with_occluders[:, 8] < without[:, 8] - 0.2).mean() > 0.1


def _digest(seed: int, cfg: SyntheticMOTConfig) -> str:
    digest = hashlib.md5()
    for _, img, rows in SyntheticMOTSequence(seed, cfg):
        digest.update(img.tobytes())
        digest.update(np.array(rows, dtype=np.float64).tobytes())
    return digest.hexdigest()


def test_default_benchmark_is_unchanged():
    """The hard preset's options draw no random number when off: the default sequences are those rendered
    before they existed (digests from the code of commit efceb74)."""
    assert preset_config('default') == SyntheticMOTConfig()
    assert _digest(3, SyntheticMOTConfig(num_frames=40)) == '67f14bc1ca2a0de2207c0b7b2a1e2bb2'
    tiny = SyntheticMOTConfig(width=128, height=96, num_frames=30, obj_height=(24.0, 48.0),
                              camera_amplitude=(10.0, 4.0), spawn_prob=0.2)
    assert _digest(3, tiny) == '4a8a4cb5451ff9a911f4eef9ae966d43'


def _files(root: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()}


def test_generator_preset_hard_is_deterministic_by_seed(tmp_path):
    pytest.importorskip('cv2')
    size = dict(num_frames=12, width=160, height=96)
    subprocess.run([sys.executable, 'tools/misc/generate_synthetic_mot.py', '--out', str(tmp_path / 'cli'), '--seed',
                    '5', '--preset', 'hard', '--num-train', '1', '--num-val', '1', '--no-convert',
                    *(f'--{key.replace("_", "-")}={value}' for key, value in size.items())],
                   cwd=REPO_ROOT, check=True, capture_output=True)
    for name, seed in (('same', 5), ('other', 6)):
        write_mot_benchmark(str(tmp_path / name), seed=seed, num_train=1, num_val=1, cfg=preset_config('hard', **size))
    cli, same, other = (_files(tmp_path / name) for name in ('cli', 'same', 'other'))
    assert 'val/SYN-51/gt/gt.txt' in cli and 'train/SYN-01/img1/000012.jpg' in cli and len(cli) == 2 * (12 + 2)
    # the same seed gives the same files, from the command line or the library, in another process
    assert cli == same
    assert sorted(other) == sorted(cli) and other['train/SYN-01/gt/gt.txt'] != cli['train/SYN-01/gt/gt.txt']


def test_hard_ground_truth_is_mot17():
    frames, rows, _ = _render(2, preset_config('hard'))
    width = frames.shape[2]
    assert rows.shape[1] == 9 and (rows[:, 6] == 1).all() and (rows[:, 7] == 1).all()
    assert ((rows[:, 8] >= 0) & (rows[:, 8] <= 1)).all()
    for r in _tracks(rows).values():
        # a track breaks only where its person left the view at a side (the camera pans and shakes)
        for before, after in zip(r[:-1], r[1:]):
            if after[0] > before[0] + 1:
                for box in (before, after):
                    assert box[2] <= 1 or box[2] - 1 + box[4] >= width, (before, after)


def test_bad_presets_and_options_are_refused():
    assert set(PRESETS) == {'default', 'hard', 'flow'}
    with pytest.raises(ValueError, match="unknown synthetic MOT preset 'crowded'"):
        preset_config('crowded')
    with pytest.raises(TypeError):
        preset_config('hard', occluder_count=3)
    with pytest.raises(ValueError, match='lookalike_prob must be a probability'):
        SyntheticMOTConfig(lookalike_prob=1.5)
    with pytest.raises(ValueError, match='camera_shake must be >= 0'):
        SyntheticMOTConfig(camera_shake=-1.0)
    with pytest.raises(ValueError, match='occluders must be an inclusive range'):
        SyntheticMOTConfig(occluders=(3, 1))
