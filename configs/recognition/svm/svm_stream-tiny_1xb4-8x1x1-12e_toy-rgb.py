# A tiny S-ViT recogniser (configs/_base_/models/recognizer_svit-w64_temporal-decoder.py: 2 blocks of width 64,
# 64x64 frames, 8-frame clips, no CLIP weights) that trains on a CPU in seconds: smoke tests and small benchmarks.
# Its data are mmaction2 video lists under data/toy_videos; point it elsewhere by overriding
# {train,val,test}_dataloader.dataset.ann_file and .data_prefix.video.
_base_ = [
    '../../_base_/models/recognizer_svit-w64_temporal-decoder.py',
    '../../_base_/datasets/video_recognition.py',
    '../../_base_/schedules/recognition_adamw_layer-decay_30e.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmaction'
custom_imports = dict(imports=['svm.tasks.recognition'], allow_failed_imports=False)
data_root = 'data/toy_videos'
train_pipeline = [
    dict(type='VideoDecodeGuard', transforms=[
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=_base_.num_frames, frame_interval=1, num_clips=1),
        dict(type='DecordDecode')]),
    dict(type='Resize', scale=(-1, 64)),
    dict(type='RandomCrop', size=64),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='VideoDecodeGuard', transforms=[
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=_base_.num_frames, frame_interval=1, num_clips=2, test_mode=True),
        dict(type='DecordDecode')]),
    dict(type='Resize', scale=(-1, 64)),
    dict(type='ThreeCrop', crop_size=64),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(
        num_classes=_base_.num_classes, ann_file=f'{data_root}/train_list_videos.txt', data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(
        num_classes=_base_.num_classes, ann_file=f'{data_root}/val_list_videos.txt', data_prefix=dict(video=data_root),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=1e-3), paramwise_cfg=dict(layer_decay_rate=0.9, backbone_lr_mult=1.0))
auto_scale_lr = dict(enable=False, base_batch_size=4)  # lr for 1 process x 4 clips (--auto-scale-lr)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.1, by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=max_epochs))
visualizer = dict(type='ActionVisualizer')
