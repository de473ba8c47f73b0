"""tools/test.py <MOT config> --show-dir draws every tested frame: ground truth beside the tracks
(mmdet 3.3's TrackLocalVisualizer failed on the ground truth's ``instances_ids`` and on seaborn), on a canvas of
the frame's size, into the folder the help and the log name."""
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from helpers import H, TINY_MOT_CONFIG, W, cfg_options, run_tool, tiny_data_options


def test_show_dir_writes_ground_truth_and_tracks(tiny_mot, tmp_path):
    # an untrained model (no --checkpoint): it tracks noise, which is drawn all the same
    proc = run_tool(['python', 'tools/test.py', TINY_MOT_CONFIG, '--work-dir', tmp_path, '--show-dir', 'vis',
                     '--cfg-options', *tiny_data_options(tiny_mot['root'])])
    images = sorted(glob.glob(osp.join(tmp_path, '*', 'vis', '*', '*.jpg')))
    # <work_dir>/<timestamp>/vis/<video>/<frame>.jpg, as the help says, every frame of the 2 half-val videos
    assert [osp.relpath(p, osp.dirname(osp.dirname(p))) for p in images] == [
        f'TINY-0{v}/{f:06d}.jpg' for v in (1, 2) for f in range(8, 13)]
    assert not osp.exists(tmp_path / 'vis')  # no empty folder where the images are not
    assert f'--show-dir: drawing every tested frame into {osp.dirname(osp.dirname(images[0]))}' in proc.stdout
    drawn = cv2.imread(images[0])
    assert drawn.shape == (H, 2 * W, 3)  # ground truth | tracks
    frame = cv2.imread(osp.join(tiny_mot['root'], 'train', 'TINY-01', 'img1', '000008.jpg'))
    assert np.abs(drawn[:, :W].astype(int) - frame.astype(int)).max() > 100  # the ground-truth boxes are drawn


@pytest.mark.parametrize('options, interval', [([], 1), (['default_hooks.visualization.frame_interval=5'], 5)])
def test_show_dir_draws_every_frame_unless_told(tmp_path, options, interval):
    """The MOT17 configs keep mmdet's frame_interval=30, which drew nothing of a sequence shorter than 30
    frames; --show-dir draws every frame unless --cfg-options sets the interval."""
    from svm.utils.runner import config_for_testing, show_dir_message
    config = tmp_path / 'mot17_like.py'  # the interval of the MOT17 configs (mmdet's default)
    config.write_text(f'_base_ = [{TINY_MOT_CONFIG!r}]\ndefault_hooks = dict(visualization=dict(frame_interval=30))\n')
    work_dir = tmp_path / 'work'
    cfg = config_for_testing(str(config), cfg_options=cfg_options(*options) if options else None,
                             work_dir=str(work_dir), show_dir='vis')
    hook = cfg.default_hooks.visualization
    assert hook.draw and hook.test_out_dir == 'vis' and hook.frame_interval == interval
    which = 'every tested frame' if interval == 1 else 'one tested frame in 5'
    assert show_dir_message(cfg, '/w', 'ts') == f'--show-dir: drawing {which} into /w/ts/vis'
    assert os.listdir(work_dir) == []  # nothing written where the images will not go


def _visualizer():
    from svm.visualization import SVMTrackLocalVisualizer
    vis = SVMTrackLocalVisualizer(name=f'test_visualizer_{np.random.randint(1 << 30)}')
    vis.dataset_meta = dict(classes=('pedestrian', ))
    return vis


def _sample(gt_boxes, pred_boxes):
    from mmdet.structures import DetDataSample
    sample = DetDataSample()
    n, m = len(gt_boxes), len(pred_boxes)
    sample.gt_instances = InstanceData(bboxes=torch.tensor(gt_boxes, dtype=torch.float32).reshape(n, 4),
                                       labels=torch.zeros(n, dtype=torch.long),
                                       instances_ids=torch.arange(1, n + 1))  # as mmdet's PackTrackInputs packs it
    sample.pred_track_instances = InstanceData(
        bboxes=torch.tensor(pred_boxes, dtype=torch.float32).reshape(m, 4), labels=torch.zeros(m, dtype=torch.long),
        scores=torch.full((m, ), 0.9), instances_id=torch.arange(1, m + 1))
    return sample


def test_visualizer_draws_either_id_field_and_empty_frames(tmp_path):
    vis = _visualizer()
    image = np.full((H, W, 3), 100, np.uint8)
    vis.add_datasample('frame', image, _sample([[10., 10., 30., 40.]], []), out_file=str(tmp_path / 'frame.png'))
    drawn = cv2.imread(str(tmp_path / 'frame.png'))
    assert drawn.shape == (H, 2 * W, 3)
    assert (drawn[:, :W] != 100).any() and (drawn[:, W:] == 100).all()  # a box on the left, none on the right


def test_boxes_outside_the_frame_keep_the_frame_size(tmp_path, recwarn):
    """MOT17's ground truth has boxes that reach past the frame (y = -42) and an untrained model's tracks can be
    anywhere: matplotlib widened the canvas to hold them, which shrank the frame into a white margin."""
    height, width = 1080, 1920
    rows, cols = np.mgrid[:height, :width]
    image = np.stack([rows % 256, cols % 256, (rows + cols) % 256], -1).astype(np.uint8)  # RGB, no flat area
    gt = [[100., -42., 300., 400.], [1800., 900., 2100., 1300.], [-500., -500., -100., -100.]]  # the last: outside
    pred = [[-5000., -5000., 9000., 9000.], [600., 300., 700., 600.]]
    _visualizer().add_datasample('frame', image, _sample(gt, pred), out_file=str(tmp_path / 'frame.png'))
    drawn = cv2.imread(str(tmp_path / 'frame.png'))[..., ::-1]
    assert drawn.shape == (height, 2 * width, 3)
    for panel in (drawn[:, :width], drawn[:, width:]):
        # the frame fills the panel at its own scale: apart from the boxes and their labels, pixel for pixel
        assert (panel == image).all(-1).mean() > 0.9
    assert not [w for w in recwarn if 'out of bounds' in str(w.message)]


def test_labels_grow_with_the_frame(tmp_path):
    """Track ids were drawn at the same point size on any frame: a few pixels high at 1080p."""
    changed = {}
    for height, width in ((240, 320), (1080, 1920)):
        image = np.full((height, width, 3), 100, np.uint8)
        out = str(tmp_path / f'{width}.png')
        _visualizer().add_datasample('frame', image, _sample([[20., 60., 120., 230.]], []), out_file=out)
        changed[width] = int((cv2.imread(out)[:, :width] != 100).any(-1).sum())  # the same box, and its label
    assert changed[1920] > 2 * changed[320]
