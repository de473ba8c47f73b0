_base_ = ['./video_recognition.py']

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

train_dataloader = dict(dataset=dict(
    num_classes=400, ann_file=ann_file_train, data_prefix=dict(video=data_root), pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    num_classes=400, ann_file=ann_file_val, data_prefix=dict(video=data_root_val), pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(
    num_classes=400, ann_file=ann_file_test, data_prefix=dict(video=data_root_val), pipeline=test_pipeline))
