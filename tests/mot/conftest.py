"""Tiny MOT data in the official formats, written by the tests (no downloads)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from tests.conftest import REPO_ROOT, run_tool

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


def write_seqinfo(seq_dir: str, name: str, length: int, im_dir: str = 'img1') -> None:
    with open(osp.join(seq_dir, 'seqinfo.ini'), 'w') as f:
        f.write(f'[Sequence]\nname={name}\nimDir={im_dir}\nframeRate=10\nseqLength={length}\n'
                f'imWidth={W}\nimHeight={H}\nimExt=.jpg\n')


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
        write_seqinfo(seq_dir, name, num_frames)
        rows = []
        with open(osp.join(seq_dir, 'gt', 'gt.txt'), 'w') as gt, \
                open(osp.join(seq_dir, 'det', 'det.txt'), 'w') as det:
            for f in range(num_frames):
                boxes = [tiny_track(s, o, f) for o in range(num_objs)]
                cv2.imwrite(osp.join(seq_dir, 'img1', f'{f + 1:06d}.jpg'), render_frame(boxes))
                for o, (x, y, w, h) in enumerate(boxes):
                    gt.write(f'{f + 1},{o + 1},{x},{y},{w},{h},1,1,1.0\n')
                    det.write(f'{f + 1},-1,{x},{y},{w},{h},0.9\n')
                    rows.append((f + 1, o + 1, x, y, w, h))
        gts[name] = rows
    return gts


@pytest.fixture(scope='session')
def tiny_mot(tmp_path_factory):
    """Tiny MOT sequences converted with mot2coco --split-train --convert-det."""
    root = str(tmp_path_factory.mktemp('tiny_mot'))
    gts = write_tiny_mot(root)
    run_tool(['python', 'tools/dataset_converters/mot2coco.py', '-i', root, '-o',
              osp.join(root, 'annotations'), '--split-train', '--convert-det'])
    return dict(root=root, gts=gts)


TINY_CONFIG = osp.join(REPO_ROOT, 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py')


def tiny_data_options(root: str) -> list:
    """--cfg-options that point the tiny config at data under ``root``."""
    root = root.rstrip('/') + '/'
    return [f'train_dataloader.dataset.dataset.datasets.0.data_root={root}',
            f'val_dataloader.dataset.data_root={root}', f'test_dataloader.dataset.data_root={root}']
