# `make demo`: the tiny S-ViT tracker (configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py)
# trained from scratch on a CPU on the synthetic MOT benchmark (svm/datasets/synthetic/mot.py:
# MOT17 layout, 320x192 frames, train/SYN-01..04, val/SYN-51..52), tested on its validation
# sequences with TrackEval. tools/demo_main.py generates and converts the data, then runs
# tools/train.py and tools/test.py with this config.
_base_ = ['./bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py']
data_root = 'data/synthetic_mot/'
img_scale = (160, 96)  # (w, h): half the generated size, enough for the CPU budget
frame_strides = (1, 2, 3, 4)

model = dict(
    data_preprocessor=dict(
        batch_augments=[
            dict(type='BatchSyncRandomResize', random_size_range=(64, 128), size_divisor=32, interval=1)
        ]))

# The tiny config's pipelines at this size: these arguments replace its own (MixUp keeps its ratio range).
# Mosaic always on: RandomAffine's negative border expects its 2x canvas. The last epochs train
# without Mosaic, RandomAffine and MixUp (YOLOXModeSwitchHook below), on the plain frames.
pipeline_args = dict(
    ClipFrameSample=dict(strides=frame_strides),
    ClipMosaic=dict(img_scale=img_scale),
    ClipRandomAffine=dict(scaling_ratio_range=(0.7, 1.3), border=(-img_scale[0] // 2, -img_scale[1] // 2)),
    ClipMixUp=dict(img_scale=img_scale),
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
# tools/demo_main.py tests the last checkpoint with tools/test.py at once: no second evaluation of it at the end
# of training (add --cfg-options train_cfg.val_interval=15 to validate there)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs + 1)
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
