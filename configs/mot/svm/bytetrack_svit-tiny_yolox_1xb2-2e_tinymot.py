# A tiny S-ViT tracker for CPU tests and demos: the paper's pipeline (clips, clip-consistent
# Mosaic/RandomAffine/MixUp/HSV/flip, frame-indexed dataset mixing, streaming ByteTrack, TrackEval
# after interpolation) at toy size: S-ViT with 3 blocks of width 32 and patch 8, 96x64 inputs.
# Data: MOTChallenge layout under `data_root` converted by tools/dataset_converters/mot2coco.py
# --split-train (train on half-train, test on half-val). Python configs resolve `data_root` at load
# time, so point the config elsewhere with
#   --cfg-options train_dataloader.dataset.dataset.datasets.0.data_root=DIR \
#       val_dataloader.dataset.data_root=DIR test_dataloader.dataset.data_root=DIR
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/bytetrack_svit-b16_yolox.py',
    '../../_base_/datasets/mot_challenge_clips.py',
    '../../_base_/schedules/svit_mot_adamw_10e.py',
]
default_scope = 'mmdet'
data_root = 'data/tiny_mot/'
img_scale = (96, 64)  # (w, h)
frame_strides = (1, 2)

model = dict(
    data_preprocessor=dict(
        batch_augments=[
            dict(type='BatchSyncRandomResize', random_size_range=(64, 96), size_divisor=32, interval=1)
        ]),
    detector=dict(
        backbone=dict(
            arch=dict(_delete_=True, embed_dims=32, num_layers=3, num_heads=2, patch_size=8),
            img_size=32,
            window_size=None,
            memory_len=4,
            out_indices=(0, 1, 2),
            residual_block_indices=(2, ),
            drop_path_rate=0.0,
            with_cp=False,
            pretrained=None),
        neck=[
            dict(type='SimplePyramid', in_channels=32, out_channels=[16, 32, 64]),
            dict(type='YOLOXPAFPN', in_channels=[16, 32, 64], out_channels=16, num_csp_blocks=1),
        ],
        bbox_head=dict(in_channels=16, feat_channels=16, stacked_convs=1, strides=(4, 8, 16)),
        test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.7))),
    tracker=dict(obj_score_thrs=dict(high=0.5, low=0.1), init_track_thr=0.5))

# The recipe's pipelines (configs/_base_/datasets/mot_challenge_clips.py) at toy size: these arguments
# replace the base's in every step of the named types.
pipeline_args = dict(
    ClipFrameSample=dict(strides=frame_strides),
    ClipMosaic=dict(img_scale=img_scale),
    ClipRandomAffine=dict(scaling_ratio_range=(0.8, 1.2), border=(-img_scale[0] // 2, -img_scale[1] // 2)),
    ClipMixUp=dict(img_scale=img_scale, ratio_range=(0.8, 1.2)),
    Resize=dict(scale=img_scale))


def _with_args(pipeline, args):
    """``pipeline`` with ``args[type]`` merged into its steps of that type, nested ``transforms`` included.
    Functions of a config do not reach the configs that inherit it: each config that needs one defines it."""
    return [dict(step, transforms=_with_args(step['transforms'], args)) if 'transforms' in step else
            dict(step, **args.get(step['type'], {})) for step in pipeline]


clip_loading = _with_args(_base_.clip_loading, pipeline_args)
train_pipeline = _with_args(_base_.train_pipeline, pipeline_args)
test_pipeline = _with_args(_base_.test_pipeline, pipeline_args)
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    sampler=dict(ratios=(1, )),
    dataset=dict(
        dataset=dict(datasets=[
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
