"""Clip-consistent augmentation (ClipMosaic, ClipRandomAffine, ClipMixUp under shared parameters) of the
frames of a training clip, alone and through the tiny config's whole clip pipeline."""
import numpy as np
import torch
from mmdet.datasets import MultiImageMixDataset
from mmdet.datasets.transforms import Mosaic
from mmdet.registry import DATASETS, TRANSFORMS
from mmengine.registry import init_default_scope

from svm.datasets.transforms import ClipMosaic
from helpers import CLIP_LOADING, tiny_mot_config

init_default_scope('mmdet')


class UnsharedClipMosaic(ClipMosaic):
    """Control: mmdet's Mosaic as is, whose centre is drawn per frame even under shared parameters."""
    wrapped_type = Mosaic


TRANSFORMS.register_module(module=UnsharedClipMosaic, force=True)


def clip_pipeline(mosaic_type):
    return [
        dict(type=mosaic_type, img_scale=(96, 64), pad_val=114.0, bbox_clip_border=False, prob=1.0),
        dict(type='ClipRandomAffine', scaling_ratio_range=(0.5, 1.5), max_rotate_degree=20,
             border=(-48, -32), bbox_clip_border=False),
        dict(type='ClipMixUp', img_scale=(96, 64), ratio_range=(0.8, 1.6), pad_val=114.0, bbox_clip_border=False),
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=[dict(type='YOLOXHSVRandomAug'), dict(type='RandomFlip', prob=0.5),
                         dict(type='Resize', scale=(96, 64), keep_ratio=True),
                         dict(type='Pad', size_divisor=32, pad_val=dict(img=(114.0, 114.0, 114.0)))]),
        dict(type='PackTrackInputs'),
    ]


def still_clips(clip_sources, mosaic_type):
    """Clips of two copies of a still image through the augmentation: shared parameters keep the
    copies identical, per-frame parameters would not."""
    inner = dict(type='VideoFrameConcatDataset',
                 datasets=clip_sources([dict(type='ClipFrameSample', num_frames=2), CLIP_LOADING])[1:])
    return MultiImageMixDataset(inner, clip_pipeline(mosaic_type))


def test_clip_frames_share_augmentation_parameters(tiny_mot_clip_sources):
    np.random.seed(0)
    ds = still_clips(tiny_mot_clip_sources, 'ClipMosaic')
    for i in range(6):
        sample = ds[i % len(ds)]
        imgs, (f0, f1) = sample['inputs'], sample['data_samples']
        assert imgs.shape == (2, 3, 64, 96)
        assert torch.equal(imgs[0], imgs[1])
        assert torch.equal(f0.gt_instances.bboxes, f1.gt_instances.bboxes)
    # and the augmentation did change the image (mosaic of four images, warp, mixup ...)
    original = ds.dataset[0]['img'][0]
    assert not np.array_equal(imgs[0].permute(1, 2, 0).numpy(), original)


def test_unshared_mosaic_control_breaks_the_copies(tiny_mot_clip_sources):
    np.random.seed(0)
    ds = still_clips(tiny_mot_clip_sources, 'UnsharedClipMosaic')
    differs = [not torch.equal(ds[i]['inputs'][0], ds[i]['inputs'][1]) for i in range(4)]
    assert any(differs)


def test_real_clip_keeps_its_motion_under_shared_augmentation(tiny_mot_clip_sources):
    """Two frames of a moving video: with one warp and flip per clip, the boxes of an object in the
    two frames differ by the (transformed) motion, not by different warps: same box size."""
    np.random.seed(1)
    pipeline = [dict(type='ClipFrameSample', num_frames=2, strides=(1, )), CLIP_LOADING]
    inner = dict(type='VideoFrameConcatDataset', datasets=tiny_mot_clip_sources(pipeline)[:1])
    ds = MultiImageMixDataset(inner, [
        dict(type='ClipRandomAffine', scaling_ratio_range=(0.5, 1.5), border=(0, 0), max_translate_ratio=0.0,
             max_rotate_degree=0.0, max_shear_degree=0.0),
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=[dict(type='RandomFlip', prob=0.5)]),
        dict(type='PackTrackInputs')])
    checked = 0
    for i in range(4):
        f0, f1 = ds[i]['data_samples']
        b0, b1 = f0.gt_instances.bboxes, f1.gt_instances.bboxes
        if len(b0) == len(b1) == 2:  # both objects stayed in view
            wh0, wh1 = b0[:, 2:] - b0[:, :2], b1[:, 2:] - b1[:, :2]
            torch.testing.assert_close(wh0, wh1, atol=1e-3, rtol=1e-4)
            assert not torch.equal(b0, b1)  # the objects moved
            checked += 1
    assert checked >= 2


def test_tiny_config_training_samples_have_boxes_on_their_objects(tiny_mot):
    """Through the tiny config's whole clip pipeline (mosaic, warp, mixup, HSV, flip), every gt box
    still sits on a coloured object (the scene is grey) and every coloured object is in a box."""
    cfg = tiny_mot_config(tiny_mot['root'])
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    np.random.seed(2)
    for i in range(0, 14, 3):
        sample = ds[i]
        for img, frame_sample in zip(sample['inputs'], sample['data_samples']):
            boxes = frame_sample.gt_instances.bboxes
            assert len(boxes) >= 2
            img = img.permute(1, 2, 0).numpy().astype(int)
            coloured = (img.max(-1) - img.min(-1)) > 40
            boxed = np.zeros_like(coloured)
            for x1, y1, x2, y2 in boxes.round().int().tolist():
                boxed[max(y1 - 1, 0):y2 + 1, max(x1 - 1, 0):x2 + 1] = True
            assert (coloured & ~boxed).sum() < 0.05 * coloured.sum(), i
            for x1, y1, x2, y2 in boxes.round().int().tolist():
                cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
                core = img[max(cy - 2, 0):cy + 3, max(cx - 2, 0):cx + 3]
                if core.size == 0:  # centre outside the image (boxes may cross the border)
                    continue
                saturation = core.max(-1) - core.min(-1)
                assert np.median(saturation) > 30, (i, (x1, y1, x2, y2))
