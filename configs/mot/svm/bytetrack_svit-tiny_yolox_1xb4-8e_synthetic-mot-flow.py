# The tiny S-ViT tracker (configs/_base_/models/bytetrack_svit-tiny_yolox.py) trained from scratch on a CPU on a
# synthetic MOT set (svm/datasets/synthetic/mot.py: MOT17 layout, 320x192 frames), tested on its validation
# sequences with TrackEval; here the crowd-flow set, the other synthetic-set configs change the data root and the
# epochs:
#   bytetrack_svit-tiny_yolox_1xb4-15e_synthetic-mot.py       `make demo`
#   bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-hard.py   streaming vs frame-based, `make mot-claims`
# Crowd-flow (tools/misc/generate_synthetic_mot.py --preset flow): 60-frame sequences in which everyone walks
# left, or everyone walks right; the MOT17 layout plus mmaction2 frame lists of the direction. This config is
# stage 1 of the track recognition model (docs/track_recognition.md, `make track-recognition-demo`): stage 2 trains an action head
# on its frozen backbone (configs/track_recognition/svm/action-head_svit-tiny-frozen_1xb8-8x1x1-10e_synthetic-mot-flow.py);
# configs/track_recognition/svm/bytetrack-action-head_svit-tiny_yolox_synthetic-mot-flow.py joins them.
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/bytetrack_svit-tiny_yolox.py',
    '../../_base_/datasets/mot17_clip_train_halfval_test.py',
    '../../_base_/schedules/svit_mot_adamw_10e.py',
]
from svm.utils.pipeline_config import set_step_args  # noqa: E402

data_root = 'data/synthetic_mot_flow/'
img_scale = (160, 96)  # (w, h): half the generated size, enough for the CPU budget
frame_strides = (1, 2, 3, 4)

model = dict(
    data_preprocessor=dict(
        batch_augments=[
            dict(type='BatchSyncRandomResize', random_size_range=(64, 128), size_divisor=32, interval=1)
        ]))

# The recipe's pipelines (configs/_base_/datasets/mot17_clip_train_halfval_test.py) at this size: these arguments
# replace the base's in every step of the named types. Mosaic always on: RandomAffine's negative border expects
# its 2x canvas. The last epochs train without Mosaic, RandomAffine and MixUp (YOLOXModeSwitchHook below), on the
# plain frames.
pipeline_args = dict(
    ClipFrameSample=dict(strides=frame_strides),
    ClipMosaic=dict(img_scale=img_scale),
    ClipRandomAffine=dict(scaling_ratio_range=(0.7, 1.3), border=(-img_scale[0] // 2, -img_scale[1] // 2)),
    ClipMixUp=dict(img_scale=img_scale, ratio_range=(0.8, 1.2)),
    Resize=dict(scale=img_scale))
clip_loading, train_pipeline, test_pipeline = set_step_args(
    [_base_.clip_loading, _base_.train_pipeline, _base_.test_pipeline], pipeline_args)
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    sampler=dict(ratios=(1, )),
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='VideoFrameConcatDataset',
            datasets=[
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
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/val_cocoformat.json',
        data_prefix=dict(img_path='val'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# 16 sequences of 60 frames: 240 iterations of 4 clips per epoch.
max_epochs = 8
base_lr = 5e-3  # from scratch: YOLOX's objectness grows slowly at lower rates
optim_wrapper = dict(type='OptimWrapper', _delete_=True, optimizer=dict(type='AdamW', lr=base_lr, weight_decay=0.05),
                     paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
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
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1),
    visualization=dict(type='TrackVisualizationHook', draw=False, frame_interval=1))  # --show-dir: every frame
visualizer = dict(type='SVMTrackLocalVisualizer', _delete_=True, vis_backends=_base_.vis_backends, name='visualizer')
log_processor = dict(window_size=20)
randomness = dict(seed=0)
