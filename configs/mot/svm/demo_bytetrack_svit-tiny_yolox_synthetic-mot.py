# `make demo`: the tiny S-ViT tracker (configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py)
# trained from scratch on a CPU on the synthetic MOT benchmark (svm/datasets/synthetic/mot.py:
# MOT17 layout, 320x192 frames, train/SYN-01..04, val/SYN-51..52), tested on its validation
# sequences with TrackEval. tools/demo_main.py generates and converts the data, then runs
# tools/train.py and tools/test.py with this config.
_base_ = ['./bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py']
data_root = 'data/synthetic_mot/'
img_scale = (160, 96)  # (w, h): half the generated size, enough for the CPU budget

model = dict(
    data_preprocessor=dict(
        batch_augments=[
            dict(type='BatchSyncRandomResize', random_size_range=(64, 128), size_divisor=32, interval=1)
        ]))

clip_loading = [
    dict(type='ClipFrameSample', num_frames=2, strides=(1, 2, 3, 4)),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True, box_type=None)]),
]
# Mosaic always on: RandomAffine's negative border expects its 2x canvas. The last epochs train
# without Mosaic, RandomAffine and MixUp (YOLOXModeSwitchHook below), on the plain frames.
train_pipeline = [
    dict(type='ClipMosaic', img_scale=img_scale, pad_val=114.0, bbox_clip_border=False),
    dict(
        type='ClipRandomAffine',
        scaling_ratio_range=(0.7, 1.3),
        border=(-img_scale[0] // 2, -img_scale[1] // 2),
        bbox_clip_border=False),
    dict(type='ClipMixUp', img_scale=img_scale, ratio_range=(0.8, 1.2), pad_val=114.0, bbox_clip_border=False),
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
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=img_scale, keep_ratio=True),
            dict(type='Pad', size_divisor=32, pad_val=dict(img=(114.0, 114.0, 114.0))),
            dict(type='LoadTrackAnnotations'),
        ]),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        dataset=dict(datasets=[
            dict(
                type='MOTChallengeDataset',
                data_root=data_root,
                ann_file='annotations/train_cocoformat.json',
                data_prefix=dict(img_path='train'),
                metainfo=dict(classes=('pedestrian', )),
                pipeline=clip_loading)
        ]),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/val_cocoformat.json',
        data_prefix=dict(img_path='val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 15
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
auto_scale_lr = dict(enable=False, base_batch_size=4)  # lr for 1 process x 4 clips (--auto-scale-lr)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.05, by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True),
]
custom_hooks = [
    # mmdet switches when epoch + 1 >= max_epochs - num_last_epochs: 1 -> the last two epochs.
    dict(type='YOLOXModeSwitchHook', num_last_epochs=1,
         skip_type_keys=('ClipMosaic', 'ClipRandomAffine', 'ClipMixUp'), priority=48),
]
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
log_processor = dict(window_size=20)
randomness = dict(seed=0)
