# Kinetics-400 from videos (mmaction2 VideoDataset, decord decoding); lists and label map written by
# tools/dataset_converters/k400_to_mmaction.py. Dense sampling: 16 frames at stride 4; testing averages
# 4 clips x 3 crops = 12 views. Training clips are flipped horizontally.
data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
ann_file_test = 'data/kinetics400/kinetics400_val_list_videos.txt'

# A missing or corrupt video stops the run with its path; to skip such videos with a warning instead:
# --cfg-options train_dataloader.dataset.pipeline.0.skip_corrupt=True
train_pipeline = [
    dict(type='VideoDecodeGuard', transforms=[
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1),
        dict(type='DecordDecode')]),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
val_pipeline = [
    dict(type='VideoDecodeGuard', transforms=[
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1, test_mode=True),
        dict(type='DecordDecode')]),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='VideoDecodeGuard', transforms=[
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=16, frame_interval=4, num_clips=4, test_mode=True),
        dict(type='DecordDecode')]),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]

dataset_type = 'CheckedVideoDataset'  # each `<video path> <label>` line checked, labels below num_classes
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, num_classes=400, ann_file=ann_file_train, data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, num_classes=400, ann_file=ann_file_val, data_prefix=dict(video=data_root_val),
        pipeline=val_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, num_classes=400, ann_file=ann_file_test, data_prefix=dict(video=data_root_val),
        pipeline=test_pipeline, test_mode=True))

# Prints top-1, top-5 and mean class accuracy.
val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'))
test_evaluator = val_evaluator
