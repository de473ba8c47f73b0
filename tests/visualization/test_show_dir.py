"""tools/test.py <MOT config> --show-dir draws every tested frame: ground truth beside the tracks
(mmdet 3.3's TrackLocalVisualizer failed on the ground truth's ``instances_ids`` and on seaborn)."""
import glob
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.structures import InstanceData

from svm.testing import H, TINY_MOT_CONFIG, W, run_tool, tiny_data_options


def test_show_dir_writes_ground_truth_and_tracks(tiny_mot, tmp_path):
    # an untrained model (no --checkpoint): it tracks noise, which is drawn all the same
    run_tool(['python', 'tools/test.py', TINY_MOT_CONFIG, '--work-dir', tmp_path, '--show-dir', 'vis', '--cfg-options',
              *tiny_data_options(tiny_mot['root'])])
    images = sorted(glob.glob(osp.join(tmp_path, '*', 'vis', '*', '*.jpg')))
    # <work_dir>/<timestamp>/vis/<video>/<frame>.jpg, every frame of the 2 half-val videos (frame_interval=1)
    assert [osp.relpath(p, osp.dirname(osp.dirname(p))) for p in images] == [
        f'TINY-0{v}/{f:06d}.jpg' for v in (1, 2) for f in range(8, 13)]
    drawn = cv2.imread(images[0])
    assert drawn.shape == (H, 2 * W, 3)  # ground truth | tracks
    frame = cv2.imread(osp.join(tiny_mot['root'], 'train', 'TINY-01', 'img1', '000008.jpg'))
    assert np.abs(drawn[:, :W].astype(int) - frame.astype(int)).max() > 100  # the ground-truth boxes are drawn


def test_visualizer_draws_either_id_field_and_empty_frames(tmp_path):
    from mmdet.structures import DetDataSample

    from svm.visualization import SVMTrackLocalVisualizer
    vis = SVMTrackLocalVisualizer(name='test_visualizer_ids')
    vis.dataset_meta = dict(classes=('pedestrian', ))
    image = np.full((H, W, 3), 100, np.uint8)
    sample = DetDataSample()
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[10., 10., 30., 40.]]), labels=torch.tensor([0]),
                                       instances_ids=torch.tensor([3]))  # as mmdet's PackTrackInputs packs it
    sample.pred_track_instances = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long),
                                               scores=torch.zeros(0), instances_id=torch.zeros(0, dtype=torch.long))
    vis.add_datasample('frame', image, sample, out_file=str(tmp_path / 'frame.png'))
    drawn = cv2.imread(str(tmp_path / 'frame.png'))
    assert drawn.shape == (H, 2 * W, 3)
    assert (drawn[:, :W] != 100).any() and (drawn[:, W:] == 100).all()  # a box on the left, none on the right
