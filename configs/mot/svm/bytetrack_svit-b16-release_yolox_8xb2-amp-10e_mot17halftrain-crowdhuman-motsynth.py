# The authors' release recipe, setting by setting (github yuzhms/Streaming-Video-Model @ 46989d2:
# configs/mot/svm/svm_base.py, configs/_base_/models/yolox_x_vit.py, mmtrack/core/runner/seq_runner.py),
# on svm's paper config (bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py: the same
# _base_ files). docs/mot.md ("The release's recipe") lists every setting with the release's
# value, this config's and svm's own, and why svm's own differs where it does.
#   bash tools/dist_train.sh configs/mot/svm/bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py 8
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/bytetrack_svit-b16_yolox.py',
    '../../_base_/datasets/mot17_clip_train_halfval_test.py',
    '../../_base_/schedules/svit_mot_adamw_10e.py',
]
from svm.utils.pipeline_config import drop_steps  # noqa: E402

num_frames = 2  # frames per training clip; also the release's memory length outside svm_test.py
max_epochs = 10
base_lr = 2.5e-4
sync_bn_norm = dict(type='SyncBN', momentum=0.03, eps=0.001)

model = dict(
    # Each frame step is a one-frame clip from an empty memory (see train_cfg).
    clip_forward='parallel',
    data_preprocessor=dict(
        # ImageNet's pixel statistics (RGB); images are loaded BGR.
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        # The data preprocessor pads after normalising, with 0: the release's padding.
        pad_size_divisor=32,
        pad_value=0,
        # One input size per clip: a new size every num_frames frame iterations.
        batch_augments=[
            dict(type='BatchSyncRandomResize', random_size_range=(576, 1024), size_divisor=32, interval=num_frames)
        ]),
    detector=dict(
        backbone=dict(
            memory_len=num_frames,  # the release validates during training with its training memory (2, merge)
            memory_policy='merge',
            drop_path_rate=0.0,
            t2d_init='release',
            reuse_clip_ln_post=True),
        neck=[
            _base_.model.detector.neck[0],
            dict(_base_.model.detector.neck[1], norm_cfg=sync_bn_norm),
        ],
        bbox_head=dict(norm_cfg=sync_bn_norm)))


# The release's pipelines pad with 0 after normalisation: no Pad here (the data preprocessor pads).
train_pipeline, test_pipeline = drop_steps([_base_.train_pipeline, _base_.test_pipeline], ['Pad'])
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# The release's sequence runner: every frame of a clip is a training iteration with its own optimizer
# step, EMA update and lr step (twice svm's iterations per epoch); validation every epoch.
train_cfg = dict(
    _delete_=True, type='FrameSteppedTrainLoop', max_epochs=max_epochs, num_frames=num_frames, val_interval=1)

# mmcv's custom_keys, as the release writes them: a matching key sets lr and weight decay and the norm/bias
# rules no longer apply, so every backbone and adapter parameter is decayed; only neck and head norms and
# biases are not. New parts at 1x: residual blocks, adapter, the new norms of blocks 6 and 9; the rest of the
# backbone (T2D and CLIP's ln_post on block 12 included) at 0.1x.
optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper',
    loss_scale=dict(init_scale=512.),
    optimizer=dict(type='AdamW', lr=base_lr, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'detector.backbone.conv_blocks.': dict(lr_mult=1.0),
            'detector.neck.0.': dict(lr_mult=1.0),
            'detector.backbone.out_norms.0.': dict(lr_mult=1.0),
            'detector.backbone.out_norms.1.': dict(lr_mult=1.0),
            'detector.backbone.': dict(lr_mult=0.1),
        }))

# mmdet 2.x's YOLOX lr hook: quadratic warm-up over the first epoch, cosine to 0.05x, then 0.05x for the
# last `len(data_loader)` iterations. The release counts those in clips while its iterations are frames,
# so the constant part is the last half epoch.
param_scheduler = [
    dict(type='QuadraticWarmupLR', by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.05,
        begin=1,
        end=max_epochs - 1 / num_frames,
        T_max=max_epochs - 1 - 1 / num_frames,
        by_epoch=True,
        convert_to_iter_based=True),
    dict(type='ConstantLR', by_epoch=True, factor=1, begin=max_epochs - 1 / num_frames, end=max_epochs),
]

# No YOLOXModeSwitchHook (commented out in the release): Mosaic/MixUp to the end, no L1 loss.
custom_hooks = [
    dict(type='SyncNormHook', priority=48),
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0001, update_buffers=True, priority=49),
]

default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=10, save_best='motchallenge-metric/HOTA', rule='greater'),
    visualization=dict(type='TrackVisualizationHook', draw=False))
visualizer = dict(type='SVMTrackLocalVisualizer', _delete_=True, vis_backends=_base_.vis_backends, name='visualizer')
randomness = dict(seed=1024)
