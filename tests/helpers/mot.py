"""Tiny MOT data in the official formats, written by the tests (no downloads), and the tiny tracker config.

``write_tiny_mot`` writes MOT17-layout sequences of 96x64 frames in which coloured boxes move on a grey
scene; the tiny config (``TINY_MOT_CONFIG``) trains and tracks on them in seconds on the CPU.
"""
import copy
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from svm.datasets.mot.coco_video import convert_mot_challenge
from svm.datasets.mot.mot_challenge import SeqInfo, write_gt, write_results, write_seqinfo

from .tools import REPO_ROOT

H, W = 64, 96  # frame size of the tiny sequences
COLORS = [(40, 40, 220), (40, 200, 40), (220, 60, 40)]  # BGR, one per object
TINY_MOT_CONFIG = str(REPO_ROOT / 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py')

PEDESTRIAN = dict(classes=('pedestrian', ))  # the metainfo of a one-class dataset
# loading of every frame of a clip, as the MOT configs load them
CLIP_LOADING = dict(type='TransformBroadcaster', share_random_params=True,
                    transforms=[dict(type='LoadImageFromFile'),
                                dict(type='LoadAnnotations', with_bbox=True, box_type=None)])


def tiny_track(seq_idx: int, obj: int, frame: int) -> List[int]:
    """Box (x, y, w, h), 1-based pixel coordinates as in MOT files, of object ``obj`` at 0-based ``frame``."""
    x0, y0 = 8 + 44 * obj, 10 + 6 * seq_idx
    vx, vy = (2, 1) if obj == 0 else (-1, 2)
    return [x0 + vx * frame, y0 + vy * frame, 16, 24]


def render_frame(boxes: Sequence[Sequence[int]]) -> np.ndarray:
    """A (H, W, 3) BGR frame: the boxes (x, y, w, h; 1-based) filled in their colours on a grey scene."""
    img = np.full((H, W, 3), 110, np.uint8)
    img[::8] = 100  # faint texture so frames are not flat
    for i, (x, y, w, h) in enumerate(boxes):
        x, y = int(x) - 1, int(y) - 1
        img[max(y, 0):y + h, max(x, 0):x + w] = COLORS[i % len(COLORS)]
    return img


def tiny_seqinfo(name: str, length: int, im_dir: str = 'img1') -> SeqInfo:
    """The seqinfo.ini of a tiny sequence (W x H frames at 10 fps)."""
    return SeqInfo(name=name, length=length, width=W, height=H, frame_rate=10, im_dir=im_dir)


def write_tiny_mot(root: str, num_seqs: int = 2, num_frames: int = 12, num_objs: int = 2) -> Dict[str, list]:
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


def write_converted_tiny_mot(root: str) -> Dict[str, list]:
    """The tiny sequences under ``root``, converted as mot2coco.py --split-train --convert-det converts
    them (``<root>/annotations``). Returns their gt rows as :func:`write_tiny_mot`."""
    gts = write_tiny_mot(root)
    convert_mot_challenge(root, osp.join(root, 'annotations'), split_train=True, convert_det=True)
    return gts


def tiny_data_options(root: str) -> List[str]:
    """--cfg-options that point the tiny config at data under ``root``."""
    root = root.rstrip('/') + '/'
    return [f'train_dataloader.dataset.dataset.datasets.0.data_root={root}',
            f'val_dataloader.dataset.data_root={root}', f'test_dataloader.dataset.data_root={root}']


def tiny_mot_config(data_root: Optional[str] = None) -> Config:
    """The tiny tracker config, pointed at the converted tiny data under ``data_root`` if given."""
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    if data_root is not None:
        cfg.merge_from_dict(dict(option.split('=') for option in tiny_data_options(data_root)))
    return cfg


def build_seeded_tracker(model_cfg: Config, **backbone_options) -> torch.nn.Module:
    """The tracker of ``model_cfg`` (backbone arguments replaced by ``backbone_options``), weights
    initialised from seed 0."""
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.detector.backbone.update(backbone_options)
    torch.manual_seed(0)
    # in mmdet's scope whatever test ran before: mmdet's models build their parts from the current scope
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def tiny_mot_train_batch(data_root: str) -> dict:
    """The first batch of the tiny config's train loader over the converted tiny data under
    ``data_root`` (seed 0): the pseudo-collated clips of PackTrackInputs. The augmentations draw from the
    global random generators, seeded here so that the batch is the same in every run."""
    from mmengine.runner import set_random_seed
    cfg = tiny_mot_config(data_root)
    cfg.train_dataloader.sampler = dict(type='SourceRatioSampler', ratios=(1, ), seed=0)
    set_random_seed(0)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))


def write_still_image_json(data_root: str, out_file: str, num: int = 4) -> str:
    """A COCO json without video ids (CrowdHuman-like) over the first ``num`` frames of the converted
    tiny data under ``data_root``. Returns ``out_file``."""
    with open(osp.join(data_root, 'annotations', 'train_cocoformat.json')) as f:
        src = json.load(f)
    images = [dict(im, video_id=None) for im in src['images'][:num]]
    for im in images:
        del im['video_id']
    ids = {im['id'] for im in images}
    anns = [a for a in src['annotations'] if a['image_id'] in ids]
    with open(out_file, 'w') as f:
        json.dump(dict(images=images, annotations=anns, categories=src['categories'][:1]), f)
    return out_file


def tiny_mot_sources(data_root: str, still_ann_file: str, pipeline: list) -> List[dict]:
    """Configs of two datasets with ``pipeline``, as a MOT training mix has them: the half-train video
    frames of the converted tiny data under ``data_root`` (14) and the still images of ``still_ann_file``
    (see :func:`write_still_image_json`)."""
    return [
        dict(type='MOTChallengeDataset', data_root=data_root, ann_file='annotations/half-train_cocoformat.json',
             data_prefix=dict(img_path='train'), metainfo=PEDESTRIAN, pipeline=pipeline),
        dict(type='BaseVideoDataset', data_root=data_root, ann_file=still_ann_file,
             data_prefix=dict(img_path='train'), metainfo=PEDESTRIAN, pipeline=pipeline),
    ]
