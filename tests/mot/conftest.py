"""Tiny MOT data in the official formats, written by the tests (no downloads)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from svm.datasets.mot.coco_video import convert_mot_challenge
from svm.datasets.mot.mot_challenge import SeqInfo, write_gt, write_results, write_seqinfo
from tests.conftest import REPO_ROOT

H, W = 64, 96
COLORS = [(40, 40, 220), (40, 200, 40), (220, 60, 40)]  # BGR


def tiny_track(seq_idx: int, obj: int, frame: int):
    """Box (x, y, w, h), 1-based pixel coordinates as in MOT files, of object ``obj`` at 0-based ``frame``."""
    x0, y0 = 8 + 44 * obj, 10 + 6 * seq_idx
    vx, vy = (2, 1) if obj == 0 else (-1, 2)
    return [x0 + vx * frame, y0 + vy * frame, 16, 24]


def render_frame(boxes) -> np.ndarray:
    img = np.full((H, W, 3), 110, np.uint8)
    img[::8] = 100  # faint texture so frames are not flat
    for i, (x, y, w, h) in enumerate(boxes):
        x, y = int(x) - 1, int(y) - 1
        img[max(y, 0):y + h, max(x, 0):x + w] = COLORS[i % len(COLORS)]
    return img


def tiny_seqinfo(name: str, length: int, im_dir: str = 'img1') -> SeqInfo:
    """The seqinfo.ini of a tiny sequence (W x H frames at 10 fps)."""
    return SeqInfo(name=name, length=length, width=W, height=H, frame_rate=10, im_dir=im_dir)


def write_tiny_mot(root: str, num_seqs: int = 2, num_frames: int = 12, num_objs: int = 2) -> dict:
    """MOT17 layout: <root>/train/TINY-0i/{seqinfo.ini, img1/*.jpg, gt/gt.txt, det/det.txt}.

    Returns {seq name: gt rows (frame, id, x, y, w, h)}.
    """
    gts = {}
    for s in range(num_seqs):
        name = f'TINY-0{s + 1}'
        seq_dir = osp.join(root, 'train', name)
        for sub in ('img1', 'gt', 'det'):
            os.makedirs(osp.join(seq_dir, sub), exist_ok=True)
        write_seqinfo(seq_dir, tiny_seqinfo(name, num_frames))
        rows = []
        for f in range(num_frames):
            boxes = [tiny_track(s, o, f) for o in range(num_objs)]
            cv2.imwrite(osp.join(seq_dir, 'img1', f'{f + 1:06d}.jpg'), render_frame(boxes))
            rows += [(f + 1, o + 1, *box) for o, box in enumerate(boxes)]
        box_rows = np.array(rows, dtype=np.float64).reshape(-1, 6)
        ones = np.ones((len(box_rows), 1))
        write_gt(osp.join(seq_dir, 'gt', 'gt.txt'), np.hstack([box_rows, ones, ones, ones]))  # conf, class, vis
        detections = np.hstack([box_rows[:, :1], -ones, box_rows[:, 2:], 0.9 * ones])  # id -1, score 0.9
        write_results(osp.join(seq_dir, 'det', 'det.txt'), detections)  # det.txt has the results' format
        gts[name] = rows
    return gts


@pytest.fixture(scope='session')
def tiny_mot(tmp_path_factory):
    """Tiny MOT sequences converted as mot2coco.py --split-train --convert-det converts them."""
    root = str(tmp_path_factory.mktemp('tiny_mot'))
    gts = write_tiny_mot(root)
    convert_mot_challenge(root, osp.join(root, 'annotations'), split_train=True, convert_det=True)
    return dict(root=root, gts=gts)


TINY_CONFIG = osp.join(REPO_ROOT, 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py')


def tiny_data_options(root: str) -> list:
    """--cfg-options that point the tiny config at data under ``root``."""
    root = root.rstrip('/') + '/'
    return [f'train_dataloader.dataset.dataset.datasets.0.data_root={root}',
            f'val_dataloader.dataset.data_root={root}', f'test_dataloader.dataset.data_root={root}']
