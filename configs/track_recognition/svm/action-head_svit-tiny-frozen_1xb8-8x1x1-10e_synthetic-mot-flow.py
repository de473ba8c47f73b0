# Stage 2 of the track recognition model (docs/track_recognition.md): the action head trained as an mmaction2 recogniser on
# the FROZEN encoder of the stage-1 tracker (configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-flow.py).
# The backbone is the tracker's S-ViT (configs/_base_/models/bytetrack_svit-tiny_yolox.py) with out_type='tokens',
# loaded from the tracker's checkpoint; give that checkpoint on the command line:
#   --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/track_recognition_demo/tracker/epoch_8.pth
# Frozen, the encoder runs without a backward pass and keeps the tracker's weights exactly, so one encoder
# pass per frame can serve both heads. Data: the mmaction2 frame lists that
# tools/misc/generate_synthetic_mot.py --preset flow writes beside the MOT files; frames are resized as the
# tracker's test pipeline resizes them (320x192 -> 160x96) and normalised with its statistics (CLIP's).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/bytetrack_svit-tiny_yolox.py',
    '../../_base_/models/temporal-decoder_svit-tiny_synthetic-mot-flow.py',
]
default_scope = 'mmaction'
custom_imports = dict(imports=['svm.tasks.recognition'], allow_failed_imports=False)
data_root = 'data/synthetic_mot_flow/'
img_scale = (160, 96)  # (w, h), the tracker's test size
tracker_checkpoint = 'work_dirs/track_recognition_demo/tracker/epoch_8.pth'

model = dict(
    _delete_=True,
    type='SViTRecognizer',
    freeze_backbone=True,
    backbone=dict(
        _base_.model.detector.backbone,
        out_type='tokens',
        init_cfg=dict(type='Pretrained', checkpoint=tracker_checkpoint, prefix='detector.backbone.')),
    cls_head=_base_.action_head,
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=_base_.model.data_preprocessor.mean,
        std=_base_.model.data_preprocessor.std,
        format_shape='NCTHW'))

num_frames = _base_.action_num_frames
# No flips or crops: a horizontal flip turns "walks left" into "walks right".
train_pipeline = [
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=1, num_clips=1),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=1, num_clips=3, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
frame_list = dict(type='RawframeDataset', data_prefix=dict(img=data_root), filename_tmpl='{:06d}.jpg',
                  start_index=1)
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # 16 videos: each epoch draws 8 random clips of each
    dataset=dict(
        type='RepeatDataset',
        times=8,
        dataset=dict(frame_list, ann_file=data_root + 'annotations/train_flow_rawframes.txt',
                     pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(frame_list, ann_file=data_root + 'annotations/val_flow_rawframes.txt', pipeline=test_pipeline,
                 test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

max_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05), clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)  # lr for 1 process x 8 clips (--auto-scale-lr)
default_hooks = dict(logger=dict(interval=4), checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
log_processor = dict(window_size=4)
visualizer = dict(type='ActionVisualizer')
randomness = dict(seed=0)
