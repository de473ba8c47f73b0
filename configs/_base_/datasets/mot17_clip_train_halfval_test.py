# Data of the S-ViT MOT recipe (docs/mot.md): 2-frame clips (strides 1...4) of MOT17 half-train, CrowdHuman
# train + val (still images as clips of copies) and MOTSynth (a fresh 10% of its frames each epoch), at
# 1440x800; test on MOT17 half-val. See docs/mot.md "Data preparation" for the layout.
# Train: clips of `num_frames` frames (stride drawn from `frame_strides`) from frame-indexed, mixed sources
# (VideoFrameConcatDataset; SourceRatioSampler draws them by ratio); Mosaic, RandomAffine, MixUp, HSV, flip,
# resize and pad with one random draw per clip.
# Test: MOTChallenge videos streamed frame by frame (TrackImgSampler), TrackEval's HOTA/CLEAR/Identity after
# linear interpolation of track gaps.
# Configs on other data replace the sources (train_dataloader.dataset.dataset.datasets, sampler.ratios) and the
# test videos. A config at another size rewrites the pipelines below with its own step arguments
# (svm.utils.pipeline_config.set_step_args; e.g. configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py):
# mmengine evaluates this file before the config that inherits it, so overriding `img_scale` alone changes no
# pipeline.
img_scale = (1440, 800)  # (w, h)
num_frames = 2
frame_strides = (1, 2, 3, 4)
backend_args = None

# The first steps of every training source: draw a clip, load its frames and boxes.
clip_loading = [
    dict(type='ClipFrameSample', num_frames=num_frames, strides=frame_strides),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='LoadAnnotations', with_bbox=True, box_type=None),
        ]),
]
train_pipeline = [
    dict(type='ClipMosaic', img_scale=img_scale, pad_val=114.0, bbox_clip_border=False),
    dict(
        type='ClipRandomAffine',
        scaling_ratio_range=(0.1, 2),
        border=(-img_scale[0] // 2, -img_scale[1] // 2),
        bbox_clip_border=False),
    dict(type='ClipMixUp', img_scale=img_scale, ratio_range=(0.8, 1.6), pad_val=114.0, bbox_clip_border=False),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='YOLOXHSVRandomAug'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='Resize', scale=img_scale, keep_ratio=True, clip_object_border=False),
            dict(type='Pad', size_divisor=32, pad_val=dict(img=(114.0, 114.0, 114.0))),
            dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=False),
        ]),
    dict(type='PackTrackInputs'),
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='Resize', scale=img_scale, keep_ratio=True),
            dict(type='Pad', size_divisor=32, pad_val=dict(img=(114.0, 114.0, 114.0))),
            dict(type='LoadTrackAnnotations'),
        ]),
    dict(type='PackTrackInputs'),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='SourceRatioSampler', ratios=(1, 1, 1, 0.1)),
    dataset=dict(
        type='MultiImageMixDataset',
        dataset=dict(
            type='VideoFrameConcatDataset',
            datasets=[
                dict(
                    type='MOTChallengeDataset',
                    data_root='data/MOT17/',
                    ann_file='annotations/half-train_cocoformat.json',
                    data_prefix=dict(img_path='train'),
                    metainfo=dict(classes=('pedestrian', )),
                    pipeline=clip_loading),
                dict(
                    type='BaseVideoDataset',
                    data_root='data/crowdhuman/',
                    ann_file='annotations/crowdhuman_train.json',
                    data_prefix=dict(img_path='train'),
                    metainfo=dict(classes=('pedestrian', )),
                    pipeline=clip_loading),
                dict(
                    type='BaseVideoDataset',
                    data_root='data/crowdhuman/',
                    ann_file='annotations/crowdhuman_val.json',
                    data_prefix=dict(img_path='val'),
                    metainfo=dict(classes=('pedestrian', )),
                    pipeline=clip_loading),
                dict(
                    type='MOTChallengeDataset',
                    data_root='data/MOTSynth/',
                    ann_file='annotations/motsynth_train.json',
                    data_prefix=dict(img_path='frames'),
                    metainfo=dict(classes=('pedestrian', )),
                    pipeline=clip_loading),
            ],
            ignore_keys=['classes']),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    pin_memory=True,
    drop_last=False,
    # Frames of a video in order, whole videos per process: the streaming memory resets per video.
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type='MOTChallengeDataset',
        data_root='data/MOT17/',
        ann_file='annotations/half-val_cocoformat.json',
        data_prefix=dict(img_path='train'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='MOTTrackEvalMetric',
    metric=['HOTA', 'CLEAR', 'Identity'],
    postprocess_tracklet_cfg=[dict(type='InterpolateTracklets', min_num_frames=5, max_num_frames=20)])
test_evaluator = val_evaluator
