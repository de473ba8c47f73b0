# A tiny S-ViT tracker for CPU tests: the paper's pipeline (clips, clip-consistent Mosaic/RandomAffine/MixUp/HSV/
# flip, frame-indexed dataset mixing, streaming ByteTrack, TrackEval after interpolation) at toy size: the tiny
# tracker of configs/_base_/models/bytetrack_svit-tiny_yolox.py, 96x64 inputs.
# Data: MOTChallenge layout under `data_root` converted by tools/dataset_converters/mot2coco.py
# --split-train (train on half-train, test on half-val). Python configs resolve `data_root` at load
# time, so point the config elsewhere with
#   --cfg-options train_dataloader.dataset.dataset.datasets.0.data_root=DIR \
#       val_dataloader.dataset.data_root=DIR test_dataloader.dataset.data_root=DIR
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/bytetrack_svit-tiny_yolox.py',
    '../../_base_/datasets/mot17_clip_train_halfval_test.py',
    '../../_base_/schedules/svit_mot_adamw_10e.py',
]
from svm.utils.pipeline_config import set_step_args  # noqa: E402

data_root = 'data/tiny_mot/'
img_scale = (96, 64)  # (w, h)
frame_strides = (1, 2)

# The recipe's pipelines (configs/_base_/datasets/mot17_clip_train_halfval_test.py) at toy size: these arguments
# replace the base's in every step of the named types.
pipeline_args = dict(
    ClipFrameSample=dict(strides=frame_strides),
    ClipMosaic=dict(img_scale=img_scale),
    ClipRandomAffine=dict(scaling_ratio_range=(0.8, 1.2), border=(-img_scale[0] // 2, -img_scale[1] // 2)),
    ClipMixUp=dict(img_scale=img_scale, ratio_range=(0.8, 1.2)),
    Resize=dict(scale=img_scale))
clip_loading, train_pipeline, test_pipeline = set_step_args(
    [_base_.clip_loading, _base_.train_pipeline, _base_.test_pipeline], pipeline_args)
train_dataloader = dict(
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
                    ann_file='annotations/half-train_cocoformat.json',
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
        ann_file='annotations/half-val_cocoformat.json',
        data_prefix=dict(img_path='train'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 2
base_lr = 5e-3  # from scratch: YOLOX's objectness grows slowly at lower rates
optim_wrapper = dict(type='OptimWrapper', _delete_=True, optimizer=dict(type='AdamW', lr=base_lr, weight_decay=0.05),
                     paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True, begin=0, end=max_epochs)]
auto_scale_lr = dict(enable=False, base_batch_size=2)  # lr for 1 process x 2 clips (--auto-scale-lr)
custom_hooks = [
    # mmdet's hook switches when epoch + 1 >= max_epochs - num_last_epochs: 0 -> the last epoch only.
    dict(type='YOLOXModeSwitchHook', num_last_epochs=0,
         skip_type_keys=('ClipMosaic', 'ClipRandomAffine', 'ClipMixUp'), priority=48),
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1),
    visualization=dict(type='TrackVisualizationHook', draw=False, frame_interval=1))  # --show-dir: every frame
visualizer = dict(type='SVMTrackLocalVisualizer', _delete_=True, vis_backends=_base_.vis_backends, name='visualizer')
log_processor = dict(window_size=1)
