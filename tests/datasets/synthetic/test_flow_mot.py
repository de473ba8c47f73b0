"""The crowd-flow class of the synthetic MOT benchmark: in a ``flow`` sequence everyone walks one way,
measured from the written ground truth; the sequences of a benchmark take the classes in turn, and mmaction2's
RawframeDataset reads their labels beside the MOT17 files."""
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pytest

from svm.datasets.mot.mot_challenge import read_gt
from svm.datasets.synthetic.mot import (FLOW_CLASSES, PRESETS, SyntheticMOTConfig, SyntheticMOTSequence,
                                        flow_labels, preset_config, write_mot_benchmark)
from svm.datasets.synthetic.seeding import derived_seeds
from helpers import run_tool

# the flow preset at a small size; spawning often, so that people also enter during the sequence
SMALL = dict(width=160, height=96, num_frames=30, obj_height=(24.0, 48.0), spawn_prob=0.2)
SIGN = {'left': -1, 'right': 1}


def _rows(seed: int, cfg: SyntheticMOTConfig) -> Tuple[np.ndarray, np.ndarray]:
    """(gt rows (N, 9) as written, the camera's top-left corner per frame (T, 2)) of one sequence."""
    seq = SyntheticMOTSequence(seed, cfg)
    rows = np.array([row for _, _, frame_rows in seq for row in frame_rows], dtype=np.float64)
    return rows, seq.camera_offsets()


def _world_paths(rows: np.ndarray, camera: np.ndarray) -> Dict[int, np.ndarray]:
    """Each track's left edge in the world (image box plus camera offset), frame by frame: (frames,)."""
    return {int(i): rows[rows[:, 1] == i, 2] + camera[rows[rows[:, 1] == i, 0].astype(int) - 1, 0]
            for i in np.unique(rows[:, 1])}


@pytest.mark.parametrize('flow', ['left', 'right'])
def test_everyone_walks_the_flow(flow):
    sign, entered = SIGN[flow], 0
    for seed in range(3):
        cfg = preset_config('flow', flow=flow, **SMALL)
        rows, camera = _rows(seed, cfg)
        for track_id, world_x in _world_paths(rows, camera).items():
            assert (sign * np.diff(world_x) >= 0).all(), f'seed {seed} track {track_id} turned round'
            if len(world_x) >= 5:
                assert sign * (world_x[-1] - world_x[0]) > 0, f'seed {seed} track {track_id} stood still'
            first = rows[rows[:, 1] == track_id][0]
            if first[0] > 1:  # entered during the sequence: from the side the flow comes from, cut by the border
                left, width = first[2] - 1, first[4]
                assert (left < 0) if flow == 'right' else (left + width > cfg.width), (seed, track_id, first)
                entered += 1
    assert entered >= 3


def test_the_drift_never_turns_a_slow_walker_round_in_a_flow():
    """Walkers this slow drift across zero speed: without a flow some turn round, in a left flow nobody steps right."""
    slow = dict(SMALL, num_frames=60, speed=(0.05, 0.4))
    turned, stepped_right = 0, 0
    for seed in range(3):
        for world_x in _world_paths(*_rows(seed, preset_config('flow', **slow))).values():
            turned += bool((np.diff(world_x) > 0).any() and (np.diff(world_x) < 0).any())
        for world_x in _world_paths(*_rows(seed, preset_config('flow', flow='left', **slow))).values():
            stepped_right += bool((np.diff(world_x) > 0).any())
    assert turned >= 3 and stepped_right == 0


def test_flow_draws_the_same_numbers():
    """A flow only turns people round: with the same seed, the first frame (before anyone walks) is the same."""
    firsts = []
    for flow in (None, 'left', 'right'):
        _, img, rows = next(iter(SyntheticMOTSequence(4, preset_config('flow', flow=flow, **SMALL))))
        firsts.append((img, rows))
    for img, rows in firsts[1:]:
        assert np.array_equal(img, firsts[0][0]) and rows == firsts[0][1]
    assert len(firsts[0][1]) >= 3


def test_walking_dominates_the_image_motion_of_the_flow_preset():
    """In the preset's full-size sequences the gentle pan never carries a walker against the flow in the image:
    every track of 10 frames or more ends on the flow's side of where it started (measured: 0 of 125 over 24
    sequences; the camera moves 0.42 px per frame on average, people 1.66)."""
    tracks = 0
    for seed in range(2):
        for flow, sign in SIGN.items():
            rows, _ = _rows(seed, preset_config('flow', flow=flow, num_frames=40))
            for track_id in np.unique(rows[:, 1]):
                left = rows[rows[:, 1] == track_id, 2]
                if len(left) >= 10:
                    assert sign * (left[-1] - left[0]) > 0, (seed, flow, track_id)
                    tracks += 1
    assert tracks >= 10


def _lines(path: Path) -> List[List[str]]:
    return [line.split() for line in path.read_text().splitlines()]


def test_classes_are_balanced_deterministic_and_what_the_people_do(tmp_path):
    pytest.importorskip('cv2')
    cfg = preset_config('flow', **{**SMALL, 'num_frames': 12})
    for name, seed in (('a', 1), ('same', 1), ('other', 2)):
        write_mot_benchmark(str(tmp_path / name), seed=seed, num_train=3, num_val=2, cfg=cfg, flow_classes=FLOW_CLASSES)
    ann = tmp_path / 'a' / 'annotations'
    assert (ann / 'flow_classes.txt').read_text() == 'walk-left\nwalk-right\n'
    assert _lines(ann / 'train_flow_rawframes.txt') == [
        ['train/SYN-01/img1', '12', '0'], ['train/SYN-02/img1', '12', '1'], ['train/SYN-03/img1', '12', '0']]
    assert _lines(ann / 'val_flow_rawframes.txt') == [['val/SYN-51/img1', '12', '0'], ['val/SYN-52/img1', '12', '1']]
    assert flow_labels(16, 2).count(0) == flow_labels(16, 2).count(1) == 8
    # the labels depend on the order only; the files on the seed
    for split in ('train', 'val'):
        lists = [(tmp_path / name / 'annotations' / f'{split}_flow_rawframes.txt').read_bytes()
                 for name in ('a', 'same', 'other')]
        assert lists[0] == lists[1] == lists[2]
    gt = {name: (tmp_path / name / 'train' / 'SYN-02' / 'gt' / 'gt.txt').read_bytes()
          for name in ('a', 'same', 'other')}
    assert gt['a'] == gt['same'] != gt['other']
    # every written track walks its sequence's class: the written gt plus the camera of the sequence's seed
    for split, first in (('train', 1), ('val', 51)):
        seeds = derived_seeds(1, 3 if split == 'train' else 2, first)
        for (frame_dir, _, label), seed in zip(_lines(ann / f'{split}_flow_rawframes.txt'), seeds):
            rows = read_gt(str(tmp_path / 'a' / Path(frame_dir).parent / 'gt' / 'gt.txt'))
            camera = SyntheticMOTSequence(seed, cfg).camera_offsets()
            sign = SIGN[('left', 'right')[int(label)]]
            paths = _world_paths(rows, camera)
            assert paths and all((sign * np.diff(x) >= 0).all() for x in paths.values()), frame_dir
            assert sum(sign * (x[-1] - x[0]) for x in paths.values()) > 0, frame_dir


def test_rawframe_lists_are_read_by_mmaction2(tmp_path):
    pytest.importorskip('cv2')
    import cv2
    from mmaction.registry import DATASETS
    from mmengine.registry import DefaultScope
    root = tmp_path / 'flow'
    cfg = preset_config('flow', width=128, height=96, num_frames=8, obj_height=(24.0, 48.0))
    write_mot_benchmark(str(root), seed=3, num_train=2, num_val=1, cfg=cfg, flow_classes=FLOW_CLASSES)
    pipeline = [dict(type='SampleFrames', clip_len=4, frame_interval=1, num_clips=1, test_mode=True),
                dict(type='RawFrameDecode'), dict(type='FormatShape', input_format='NCTHW'),
                dict(type='PackActionInputs')]
    with DefaultScope.overwrite_default_scope('mmaction'):
        dataset = DATASETS.build(dict(
            type='RawframeDataset', ann_file=str(root / 'annotations' / 'train_flow_rawframes.txt'),
            data_prefix=dict(img=str(root)), filename_tmpl='{:06d}.jpg', start_index=1, pipeline=pipeline,
            test_mode=True))
        assert len(dataset) == 2
        for index, seq in enumerate(('SYN-01', 'SYN-02')):
            item = dataset[index]
            clip = item['inputs']
            assert clip.shape == (1, 3, 4, 96, 128)  # (clips, C, T, H, W)
            assert item['data_samples'].gt_label.tolist() == [index]
            # the clip is 4 consecutive frames of the sequence, in RGB
            on_disk = [cv2.imread(str(root / 'train' / seq / 'img1' / f'{i:06d}.jpg'))[..., ::-1]
                       for i in range(1, 9)]
            frames = clip[0].permute(1, 2, 3, 0).numpy()  # (T, H, W, C)
            start = next(i for i, img in enumerate(on_disk) if np.array_equal(img, frames[0]))
            assert all(np.array_equal(frames[t], on_disk[start + t]) for t in range(4))


def test_tool_preset_flow_writes_the_lists(tmp_path):
    out = tmp_path / 'cli'
    run_tool(['python', 'tools/misc/generate_synthetic_mot.py', '--out', str(out), '--preset', 'flow',
              '--num-train', '2', '--num-val', '1', '--num-frames', '4', '--width', '128', '--height', '96'])
    assert _lines(out / 'annotations' / 'train_flow_rawframes.txt') == [['train/SYN-01/img1', '4', '0'],
                                                                        ['train/SYN-02/img1', '4', '1']]
    assert _lines(out / 'annotations' / 'val_flow_rawframes.txt') == [['val/SYN-51/img1', '4', '0']]
    assert (out / 'annotations' / 'flow_classes.txt').read_text().split() == list(FLOW_CLASSES)
    assert (out / 'annotations' / 'train_cocoformat.json').is_file()  # and the MOT files as usual
    assert (out / 'train' / 'SYN-02' / 'img1' / '000004.jpg').is_file()


def test_flow_preset_and_bad_flows_are_refused(tmp_path):
    assert PRESETS['flow'] == dict(num_frames=60, camera_amplitude=(16.0, 6.0))
    assert preset_config('flow').flow is None  # the flow is chosen per sequence
    with pytest.raises(ValueError, match="flow must be None or one of \\['left', 'right'\\], got 'up'"):
        SyntheticMOTConfig(flow='up')
    with pytest.raises(ValueError, match="flow='left' needs lookalike_prob=0"):
        preset_config('hard', flow='left')
    with pytest.raises(ValueError, match='speed must be a range 0 < low <= high'):
        SyntheticMOTConfig(speed=(0.0, 1.0))
    # refused before anything is written
    with pytest.raises(ValueError, match="flow='left' needs lookalike_prob=0"):
        write_mot_benchmark(str(tmp_path / 'hard'), cfg=preset_config('hard'), flow_classes=FLOW_CLASSES)
    with pytest.raises(ValueError, match="flow_classes must be two or more distinct names"):
        write_mot_benchmark(str(tmp_path / 'typo'), flow_classes=('walk-left', 'walk-up'))
    with pytest.raises(ValueError, match='cfg.flow must be None'):
        write_mot_benchmark(str(tmp_path / 'both'), cfg=SyntheticMOTConfig(flow='left'), flow_classes=FLOW_CLASSES)
    assert not any(tmp_path.iterdir())
