"""tools/test.py's metric and tools/analysis_tools/mot_eval.py score the same result files alike, on a
sequence whose ground truth has boxes partly and fully outside the image (as MOT17's ground truth has).

mmdet's MOTChallengeDataset drops, from the annotations it hands to the metric, every box without
overlap with [0, width] x [0, height] (reading MOT's 1-based left/top as 0-based, so a box on the last
pixel column goes too); MOTChallenge's evaluation and the S-ViT release score every row of the gt file.
"""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.datasets import MOTChallengeDataset
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

from svm.datasets.mot.coco_video import convert_mot_challenge
from svm.datasets.mot.mot_challenge import read_gt, renumber_frames
from svm.evaluation import MOTTrackEvalMetric
from svm.evaluation.mot_files import REPORTED_FIELDS, evaluate_mot_files
from helpers import H, W, write_tiny_mot

# Extra pedestrians of TINY-01 in every frame, MOT's 1-based (left, top, width, height):
BORDER_BOXES = {
    3: (W, 20, 10, 20),  # only the last pixel column is inside: mmdet's dataset drops it
    4: (W + 5, 20, 10, 20),  # entirely right of the image: dropped
    5: (30, H + 3, 10, 20),  # entirely below the image: dropped
    6: (-6, 30, 10, 12),  # partly left of the image: kept by both
}


@pytest.fixture(scope='module')
def border_mot(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('border_mot'))
    write_tiny_mot(root, num_seqs=2)
    with open(osp.join(root, 'train', 'TINY-01', 'gt', 'gt.txt'), 'a') as f:
        for frame in range(1, 13):
            for obj, (x, y, w, h) in BORDER_BOXES.items():
                f.write(f'{frame},{obj},{x},{y},{w},{h},1,1,0.5\n')
    convert_mot_challenge(root, osp.join(root, 'annotations'), split_train=True)
    return root


def test_ground_truth_outside_the_image_counts_in_both_paths(border_mot, tmp_path):
    dataset = MOTChallengeDataset(ann_file='annotations/half-val_cocoformat.json', data_root=border_mot,
                                  data_prefix=dict(img_path='train'), test_mode=True, pipeline=[])
    metric = MOTTrackEvalMetric(outfile_prefix=str(tmp_path / 'res'))
    kept = 0
    for index in range(len(dataset)):
        frames = dataset.get_data_info(index)['images']
        for info in frames:
            # what tools/test.py hands the metric: the dataset's annotations, and here as predictions the
            # boxes the dataset kept (a tracker sees only the image)
            instances = info['instances']
            kept += len(instances)
            sample = DetDataSample(metainfo=dict(img_path=info['img_path'], frame_id=info['frame_id'],
                                                 ori_video_length=len(frames), instances=instances))
            sample.pred_track_instances = InstanceData(
                instances_id=torch.tensor([i['instance_id'] for i in instances]),
                bboxes=torch.tensor([i['bbox'] for i in instances], dtype=torch.float32).reshape(-1, 4),
                scores=torch.full((len(instances), ), 0.9))
            metric.process({}, [TrackDataSample(video_data_samples=[sample]).to_dict()])
    from_test = metric.evaluate(size=len(dataset))

    gt_rows = sum(len(open(osp.join(border_mot, 'train', seq, 'gt', 'gt_half-val.txt')).readlines())
                  for seq in ('TINY-01', 'TINY-02'))
    assert gt_rows == 2 * 5 * 2 + 5 * len(BORDER_BOXES) and kept == gt_rows - 5 * 3  # 15 boxes dropped
    from_files = evaluate_mot_files(osp.join(tmp_path, 'res', 'default-tracker'), osp.join(border_mot, 'train'),
                                    '{gt_folder}/{seq}/gt/gt_half-val.txt', print_results=False)['COMBINED']
    for field in [f for fields in REPORTED_FIELDS.values() for f in fields]:
        assert from_test[f'motchallenge-metric/{field}'] == pytest.approx(from_files[field], abs=1e-9), field
    # every row of gt_half-val.txt is a target: the dropped ones are missed, the rest found
    assert (from_files['CLR_TP'], from_files['CLR_FN']) == (kept, gt_rows - kept)


def test_ground_truth_file_rows_are_renumbered_like_the_half_split(border_mot):
    """The metric's ground truth of the tested frames (the rows of gt.txt, renumbered) is gt_half-val.txt."""
    gt_file = osp.join(border_mot, 'train', 'TINY-01', 'gt', 'gt.txt')
    rows = renumber_frames(read_gt(gt_file), {n: n - 7 for n in range(8, 13)})  # half-val: frames 8..12
    half_val = np.loadtxt(osp.join(border_mot, 'train', 'TINY-01', 'gt', 'gt_half-val.txt'), delimiter=',')
    np.testing.assert_array_equal(rows, half_val)
    assert os.path.getsize(gt_file) > 0 and len(rows) == 5 * (2 + len(BORDER_BOXES))
