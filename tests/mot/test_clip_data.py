"""Training data: clip sampling, clip-consistent augmentation, frame-indexed mixing, ratio sampling."""
import json
import logging
import os.path as osp
from collections import Counter

import numpy as np
import pytest
import torch
from mmdet.datasets import MultiImageMixDataset
from mmdet.datasets.transforms import Mosaic
from mmdet.registry import TRANSFORMS
from mmengine.registry import init_default_scope

from svm.datasets.mot import VideoFrameConcatDataset
from svm.datasets.samplers import SourceRatioSampler
from svm.datasets.transforms import ClipFrameSample, ClipMosaic

init_default_scope('mmdet')
PEDESTRIAN = dict(classes=('pedestrian', ))
LOADING = dict(type='TransformBroadcaster', share_random_params=True,
               transforms=[dict(type='LoadImageFromFile'),
                           dict(type='LoadAnnotations', with_bbox=True, box_type=None)])


def video_infos(length):
    return dict(video_id=1, video_length=length, images=[dict(frame_id=i, img_path=f'{i}.jpg')
                                                          for i in range(length)])


def test_clip_frame_sample_strides_and_bounds():
    sampler = ClipFrameSample(num_frames=3, strides=(1, 2, 3, 4))
    seen = set()
    for key in range(10):
        for _ in range(20):
            out = sampler(dict(video_infos(10), key_frame_id=key))
            ids = out['frame_id']
            steps = set(np.diff(ids).tolist())
            assert len(steps) == 1 and steps <= {1, 2, 3, 4} and 0 <= ids[0] and ids[-1] <= 9
            assert ids[0] == min(key, 9 - 2 * steps.pop())  # starts at the key frame unless too late
            seen.add(ids[1] - ids[0])
    assert seen == {1, 2, 3, 4}
    # A still image (one-frame video) becomes a clip of copies, each its own object.
    out = sampler(dict(video_infos(1), key_frame_id=0))
    assert out['img_path'] == ['0.jpg'] * 3 and out['video_length'] == [3] * 3


class RecordedWarnings(logging.Handler):
    """Collects the WARNING messages of mmengine's current logger (where svm's print_log goes)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def logged_warnings():
    from mmengine.logging import MMLogger
    logger, handler = MMLogger.get_current_instance(), RecordedWarnings()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def named_video_infos(name, length):
    return dict(video_id=name, video_length=length,
                images=[dict(frame_id=i, img_path=f'{name}/img1/{i:06d}.jpg') for i in range(length)])


def test_clip_longer_than_its_video_is_warned_about_once_per_video(logged_warnings):
    sampler = ClipFrameSample(num_frames=3, strides=(2, ))  # spans 5 frames
    for _ in range(10):
        for key in range(4):
            out = sampler(dict(named_video_infos('SHORT-A', 4), key_frame_id=key))
            assert out['frame_id'] == [0, 2, 3]  # frame 4 is past the end: the last frame stands in
        sampler(dict(named_video_infos('SHORT-B', 2), key_frame_id=0))
        sampler(dict(named_video_infos('LONG', 5), key_frame_id=0))  # fits exactly
        sampler(dict(named_video_infos('STILL', 1), key_frame_id=0))  # a still image: copies by design
    assert logged_warnings == [
        f'video {name}/img1 (video_id={name}) has {length} frames, fewer than the 5 that a clip of 3 frames at '
        f'stride 2 spans: the clip frames past its end are replaced by its last frame (said once per video; '
        f'strides=(2,))'
        for name, length in (('SHORT-A', 4), ('SHORT-B', 2))]


def test_clip_sampling_draws_are_unchanged_by_the_warning():
    """The stride is still drawn after the key frame: seeded runs sample the same clips as before."""
    import random
    sampler = ClipFrameSample(num_frames=3, strides=(1, 2, 3))
    random.seed(0)
    clips = [sampler(video_infos(20))['frame_id'] for _ in range(5)]
    random.seed(0)
    expected = []
    for _ in range(5):
        key = random.randrange(20)
        expected.append(sampler.clip_frame_ids(20, key, random.choice((1, 2, 3))))
    assert clips == expected


def still_image_json(tiny_root, out_file, num=4):
    """A COCO json without video ids (CrowdHuman-like) over frames of the tiny MOT data."""
    src = json.load(open(osp.join(tiny_root, 'annotations', 'train_cocoformat.json')))
    images = [dict(im, video_id=None) for im in src['images'][:num]]
    for im in images:
        del im['video_id']
    ids = {im['id'] for im in images}
    anns = [a for a in src['annotations'] if a['image_id'] in ids]
    json.dump(dict(images=images, annotations=anns, categories=src['categories'][:1]), open(out_file, 'w'))
    return out_file


@pytest.fixture(scope='module')
def sources(tiny_mot, tmp_path_factory):
    root = tiny_mot['root']
    still = still_image_json(root, str(tmp_path_factory.mktemp('still') / 'still.json'))

    def build(pipeline):
        return [
            dict(type='MOTChallengeDataset', data_root=root, ann_file='annotations/half-train_cocoformat.json',
                 data_prefix=dict(img_path='train'), metainfo=PEDESTRIAN, pipeline=pipeline),
            dict(type='BaseVideoDataset', data_root=root, ann_file=still, data_prefix=dict(img_path='train'),
                 metainfo=PEDESTRIAN, pipeline=pipeline),
        ]
    return build


def test_video_frame_concat_indexes_frames(sources):
    ds = VideoFrameConcatDataset(sources([dict(type='ClipFrameSample', num_frames=2, strides=(1, ))]))
    assert len(ds) == 14 + 4 and ds.source_sizes() == [14, 4]
    assert ds.frame_index(0) == (0, 0, 0) and ds.frame_index(8) == (0, 1, 1) and ds.frame_index(15) == (1, 1, 0)
    clip = ds[8]  # video TINY-02, frame index 1: the clip starts there
    assert [p.split('train/')[-1] for p in clip['img_path']] == ['TINY-02/img1/000002.jpg',
                                                                   'TINY-02/img1/000003.jpg']
    still = ds[15]
    assert still['img_path'][0] == still['img_path'][1]


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


def still_clips(sources, mosaic_type):
    """Clips of two copies of a still image through the augmentation: shared parameters keep the
    copies identical, per-frame parameters would not."""
    inner = dict(type='VideoFrameConcatDataset',
                 datasets=sources([dict(type='ClipFrameSample', num_frames=2), LOADING])[1:])
    return MultiImageMixDataset(inner, clip_pipeline(mosaic_type))


def test_clip_frames_share_augmentation_parameters(sources):
    np.random.seed(0)
    ds = still_clips(sources, 'ClipMosaic')
    for i in range(6):
        sample = ds[i % len(ds)]
        imgs, (f0, f1) = sample['inputs'], sample['data_samples']
        assert imgs.shape == (2, 3, 64, 96)
        assert torch.equal(imgs[0], imgs[1])
        assert torch.equal(f0.gt_instances.bboxes, f1.gt_instances.bboxes)
    # and the augmentation did change the image (mosaic of four images, warp, mixup ...)
    original = ds.dataset[0]['img'][0]
    assert not np.array_equal(imgs[0].permute(1, 2, 0).numpy(), original)


def test_unshared_mosaic_control_breaks_the_copies(sources):
    np.random.seed(0)
    ds = still_clips(sources, 'UnsharedClipMosaic')
    differs = [not torch.equal(ds[i]['inputs'][0], ds[i]['inputs'][1]) for i in range(4)]
    assert any(differs)


def test_real_clip_keeps_its_motion_under_shared_augmentation(sources):
    """Two frames of a moving video: with one warp and flip per clip, the boxes of an object in the
    two frames differ by the (transformed) motion, not by different warps: same box size."""
    np.random.seed(1)
    pipeline = [dict(type='ClipFrameSample', num_frames=2, strides=(1, )), LOADING]
    inner = dict(type='VideoFrameConcatDataset', datasets=sources(pipeline)[:1])
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


def test_source_ratio_sampler_resamples_every_epoch(sources, monkeypatch):
    ds = VideoFrameConcatDataset(sources([]))
    sampler = SourceRatioSampler(ds, ratios=(1, 0.5), seed=0)
    assert len(sampler) == 14 + 2
    subsets = []
    for epoch in range(4):
        sampler.set_epoch(epoch)
        indices = list(sampler)
        counts = Counter(indices)
        assert sorted(i for i in counts if i < 14) == list(range(14))  # every video frame once
        assert all(c == 1 for c in counts.values())
        subsets.append(frozenset(i for i in indices if i >= 14))
        assert len(subsets[-1]) == 2 and subsets[-1] <= set(range(14, 18))
    assert len(set(subsets)) > 1  # a fresh subset is drawn across epochs
    twice = SourceRatioSampler(ds, ratios=(0, 2), seed=0)
    assert Counter(twice) == {i: 2 for i in range(14, 18)}
    # distributed: two ranks take disjoint halves of the same epoch list
    ranks = []
    for rank in (0, 1):
        monkeypatch.setattr('svm.datasets.samplers.source_ratio_sampler.get_dist_info', lambda r=rank: (r, 2))
        s = SourceRatioSampler(ds, ratios=(1, 0.5), seed=0)
        ranks.append(list(s))
    assert len(ranks[0]) == len(ranks[1]) == 8
    assert sorted(ranks[0] + ranks[1]) == sorted(SourceRatioSampler(ds, ratios=(1, 0.5), seed=0).epoch_indices(0))
    with pytest.raises(ValueError, match='2 datasets'):
        SourceRatioSampler(ds, ratios=(1, ))


def test_tiny_config_training_samples_have_boxes_on_their_objects(tiny_mot):
    """Through the tiny config's whole clip pipeline (mosaic, warp, mixup, HSV, flip), every gt box
    still sits on a coloured object (the scene is grey) and every coloured object is in a box."""
    from mmengine.config import Config

    from tests.mot.conftest import TINY_CONFIG, tiny_data_options
    from mmdet.registry import DATASETS
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict(dict(o.split('=') for o in tiny_data_options(tiny_mot['root'])))
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
