"""The synthetic MOT benchmark: deterministic by seed, in the MOT17 layout that the converter reads."""
import configparser
import filecmp
import os
import os.path as osp

import numpy as np
import pytest

from svm.datasets.mot.coco_video import convert_mot_challenge
from svm.datasets.mot.mot_challenge import GT_FIELDS, SEQINFO_KEYS, read_gt, read_seqinfo
from svm.datasets.synthetic.mot import SyntheticMOTConfig, SyntheticMOTSequence, sequence_info, write_mot_benchmark
from helpers import REPO_ROOT, run_tool

TINY = SyntheticMOTConfig(width=128, height=96, num_frames=30, obj_height=(24.0, 48.0),
                          camera_amplitude=(10.0, 4.0), spawn_prob=0.2)


def _collect(seed, cfg=TINY):
    frames, rows = [], []
    for _, img, r in SyntheticMOTSequence(seed, cfg):
        frames.append(img)
        rows += r
    return np.stack(frames), np.array(rows, dtype=np.float64)


def test_sequence_is_deterministic_by_seed():
    f1, r1 = _collect(7)
    f2, r2 = _collect(7)
    f3, r3 = _collect(8)
    assert np.array_equal(f1, f2) and np.array_equal(r1, r2)
    assert not np.array_equal(f1, f3)


def test_boxes_match_the_drawn_objects_and_visibility():
    frames, rows = _collect(3)
    assert rows.shape[1] == len(GT_FIELDS)
    assert (rows[:, 6] == 1).all() and (rows[:, 7] == 1).all()
    assert ((rows[:, 8] >= 0) & (rows[:, 8] <= 1)).all()
    # fully visible boxes (1-based) enclose saturated object pixels that differ from the scene
    for row in rows[rows[:, 8] == 1][:20]:
        f, x, y, w, h = int(row[0]), int(row[2]) - 1, int(row[3]) - 1, int(row[4]), int(row[5])
        patch = frames[f - 1, y:y + h, x:x + w].astype(int)
        assert patch.shape[:2] == (h, w)
        body = patch[int(0.2 * h) + 2:-2, 2:-2]  # below the head, inside the dark outline
        saturation = body.max(-1) - body.min(-1)
        assert np.median(saturation) > 100  # objects are saturated
    scene = frames[:, :10].astype(int)  # the top rows are mostly scene (the muted background)
    assert np.median(scene.max(-1) - scene.min(-1)) < 60


def test_objects_enter_leave_and_occlude():
    cfg = SyntheticMOTConfig(num_frames=200)
    _, rows = _collect(0, cfg)
    first = {i: rows[rows[:, 1] == i, 0].min() for i in np.unique(rows[:, 1])}
    last = {i: rows[rows[:, 1] == i, 0].max() for i in np.unique(rows[:, 1])}
    assert any(v > 1 for v in first.values()), 'no object entered after the first frame'
    assert any(v < cfg.num_frames for v in last.values()), 'no object left before the end'
    assert (rows[:, 8] < 0.5).sum() > 0, 'no object was ever mostly hidden'
    # and every track is a contiguous run of frames (ids are never reused)
    for i in first:
        assert (rows[:, 1] == i).sum() == last[i] - first[i] + 1


def test_camera_moves():
    frames, _ = _collect(5)
    # the background slides: consecutive frames differ even where no object is
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 5


def test_written_benchmark_layout_and_determinism(tmp_path):
    pytest.importorskip('cv2')
    out1, out2 = tmp_path / 'a', tmp_path / 'b'
    names = write_mot_benchmark(str(out1), seed=1, num_train=2, num_val=1, cfg=TINY)
    write_mot_benchmark(str(out2), seed=1, num_train=2, num_val=1, cfg=TINY)
    assert names == {'train': ['SYN-01', 'SYN-02'], 'val': ['SYN-51']}
    for split, seqs in names.items():
        for name in seqs:
            seq = out1 / split / name
            ini = configparser.ConfigParser()
            ini.optionxform = str
            ini.read(seq / 'seqinfo.ini')
            assert set(ini['Sequence']) == set(SEQINFO_KEYS)
            assert ini['Sequence']['name'] == name
            assert int(ini['Sequence']['seqLength']) == TINY.num_frames
            assert read_seqinfo(str(seq)) == sequence_info(name, TINY)
            imgs = sorted(os.listdir(seq / 'img1'))
            assert imgs == [f'{i:06d}.jpg' for i in range(1, TINY.num_frames + 1)]
            gt = read_gt(str(seq / 'gt' / 'gt.txt'), TINY.num_frames)  # every row checked
            assert gt.shape[1] == 9 and gt[:, 0].min() >= 1 and gt[:, 0].max() <= TINY.num_frames
            match, mismatch, errors = filecmp.cmpfiles(
                seq, out2 / split / name, ['seqinfo.ini', 'gt/gt.txt'] + ['img1/' + i for i in imgs],
                shallow=False)
            assert not mismatch and not errors


def test_converter_reads_the_benchmark(tmp_path):
    pytest.importorskip('cv2')
    write_mot_benchmark(str(tmp_path / 'mot'), seed=2, num_train=1, num_val=1, cfg=TINY)
    convert_mot_challenge(str(tmp_path / 'mot'), str(tmp_path / 'ann'), subsets=['train', 'val'])
    import json
    ann = json.load(open(tmp_path / 'ann' / 'val_cocoformat.json'))
    gt = read_gt(str(tmp_path / 'mot' / 'val' / 'SYN-51' / 'gt' / 'gt.txt'))
    assert len(ann['images']) == TINY.num_frames
    assert len(ann['annotations']) == len(gt)
    assert ann['num_instances'] == len(np.unique(gt[:, 1]))


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match='multiples of 32'):
        SyntheticMOTConfig(width=100)


def _dataset_cfgs(node):
    """Every dict with an ``ann_file`` inside a (nested) dataloader config."""
    if isinstance(node, dict):
        if 'ann_file' in node:
            yield node
        for value in node.values():
            yield from _dataset_cfgs(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _dataset_cfgs(value)


def test_generated_data_is_what_every_config_on_it_reads(tmp_path):
    """The documented data step (generate_synthetic_mot.py) writes every annotation file, image folder and
    half-split ground truth that the shipped MOT configs on generated data read."""
    import glob
    import json

    from mmengine.config import Config
    repo = str(REPO_ROOT)
    out = str(tmp_path / 'generated')
    run_tool(['python', 'tools/misc/generate_synthetic_mot.py', '--out', out, '--num-train', '1', '--num-val', '1',
              '--num-frames', '4', '--width', '128', '--height', '96'])

    real_data = ('data/MOT17/', 'data/crowdhuman/', 'data/MOTSynth/')  # downloaded, not generated
    checked = {}
    for path in sorted(glob.glob(osp.join(repo, 'configs', 'mot', '**', '*.py'), recursive=True)):
        cfg = Config.fromfile(path)
        datasets = [d for split in ('train', 'val', 'test') for d in _dataset_cfgs(cfg[f'{split}_dataloader'])]
        if any(d['data_root'].startswith(real_data) for d in datasets):
            continue
        for d in datasets:
            ann_file = osp.join(out, d['ann_file'])
            assert osp.isfile(ann_file), f'{osp.basename(path)} reads {d["data_root"]}{d["ann_file"]}, not generated'
            ann = json.load(open(ann_file))
            assert ann['images'] and ann['annotations'], ann_file
            first = osp.join(out, d['data_prefix']['img_path'], ann['images'][0]['file_name'])
            assert osp.isfile(first), f'{osp.basename(path)}: {first} missing'
            if 'half-val' in d['ann_file']:  # tools/analysis_tools/mot_eval.py's ground truth
                seq = ann['images'][0]['file_name'].split('/')[0]
                assert osp.isfile(osp.join(out, d['data_prefix']['img_path'], seq, 'gt', 'gt_half-val.txt'))
            checked.setdefault(osp.basename(path), set()).add(d['ann_file'])
    assert checked['bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py'] == {
        'annotations/half-train_cocoformat.json', 'annotations/half-val_cocoformat.json'}
    assert checked['bytetrack_svit-tiny_yolox_1xb4-15e_synthetic-mot.py'] == {
        'annotations/train_cocoformat.json', 'annotations/val_cocoformat.json'}
