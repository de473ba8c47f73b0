"""tools/misc/browse_dataset.py and svm/analysis/browse_dataset.py: the training pipeline of the tiny MOT config on
tiny MOT data, and of the tiny recognition config on the toy videos, drawn as images."""
import copy
import json
import os.path as osp

import cv2
import numpy as np

from svm.analysis.browse_dataset import browse_dataset, build_train_dataset, decode_instance_ids, draw_mot_sample
from helpers import TINY_MOT_CONFIG, TOY_RECOGNITION_CONFIG, run_tool, tiny_data_options
from svm.utils.config_checks import resolve_config


def test_mot_clips_side_by_side(tiny_mot, tmp_path):
    """The command line on the tiny MOT config."""
    proc = run_tool(['python', 'tools/misc/browse_dataset.py', TINY_MOT_CONFIG, '--output-dir', tmp_path, '--num', '2',
                     '--cfg-options', *tiny_data_options(tiny_mot['root'])])
    paths = sorted(str(p) for p in tmp_path.glob('*_mot.png'))
    assert len(paths) == 2 and f'wrote 2 images to {tmp_path}' in proc.stdout
    image = cv2.imread(paths[0])
    # two 96x64 frames, upscaled 4x, side by side under a header
    assert image.shape[1] > 2 * 4 * 96 and image.shape[0] > 4 * 64


def test_mot_instance_ids_survive_the_pipeline(tiny_mot):
    """Without the mixing transforms every frame keeps its own boxes: the ids drawn are the ground truth's."""
    cfg = resolve_config(TINY_MOT_CONFIG, dict(o.split('=', 1) for o in tiny_data_options(tiny_mot['root'])))
    cfg.train_dataloader.dataset.pipeline = [
        step for step in cfg.train_dataloader.dataset.pipeline if not step['type'].startswith('Clip')]
    dataset, folded_ids = build_train_dataset(copy.deepcopy(cfg))
    assert folded_ids
    with open(osp.join(tiny_mot['root'], 'annotations', 'half-train_cocoformat.json')) as f:
        coco = json.load(f)
    ids_of_image = {}
    for ann in coco['annotations']:
        ids_of_image.setdefault(ann['image_id'], set()).add(ann['instance_id'])
    for index in (0, len(dataset) - 1):
        packed = dataset[index]
        for frame in packed['data_samples']:
            ids, labels = decode_instance_ids(frame.gt_instances.labels)
            assert set(labels.tolist()) == {0}
            assert set(ids.tolist()) == ids_of_image[frame.metainfo['img_id']]
        image = draw_mot_sample(packed, folded_ids)
        assert image.ndim == 3 and image.dtype == np.uint8


def test_recognition_clip_strip(toy_videos, tmp_path):
    cfg = resolve_config(TOY_RECOGNITION_CONFIG, {
        'train_dataloader.dataset.ann_file': str(toy_videos['train']),
        'train_dataloader.dataset.data_prefix.video': str(toy_videos['root'])})
    paths = browse_dataset(cfg, str(tmp_path / 'out'), num=2, class_names=['left-to-right', 'right-to-left'])
    assert [osp.basename(p) for p in paths] == ['000000_recognition.png', '000007_recognition.png']
    image = cv2.imread(paths[1])
    # one clip of 8 frames of 64x64 (after RandomCrop), upscaled 2x, in a row: header + 128 rows
    assert image.shape[0] == 22 + 128 and image.shape[1] == 8 * 128 + 7 * 6
    # train_07 is class 1, a blue square (RGB frames written as BGR: blue stays blue)
    frames = image[22:]
    blue = (frames[..., 0] > 150) & (frames[..., 2] < 80)
    assert blue.sum() > 1000
