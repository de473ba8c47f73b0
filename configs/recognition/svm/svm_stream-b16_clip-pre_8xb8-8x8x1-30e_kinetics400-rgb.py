# svm_stream-b16_clip-pre_8xb8-16x4x1-30e_kinetics400-rgb.py with 8 frames at stride 8 instead of 16 at stride 4:
# only the frame sampling and the clip length change.
_base_ = [
    '../../_base_/models/recognizer_svit-b16_temporal-decoder.py',
    '../../_base_/datasets/kinetics400_video.py',
    '../../_base_/schedules/recognition_adamw_layer-decay_30e.py',
    '../../_base_/default_runtime.py',
]
from svm.utils.pipeline_config import set_step_args  # noqa: E402

default_scope = 'mmaction'
custom_imports = dict(imports=['svm.tasks.recognition'], allow_failed_imports=False)
num_frames = 8

# The base's pipelines with this sampling (the sampler sits inside the VideoDecodeGuard's decoding steps).
pipeline_args = dict(SampleFrames=dict(clip_len=num_frames, frame_interval=8))
train_pipeline, val_pipeline, test_pipeline = set_step_args(
    [_base_.train_pipeline, _base_.val_pipeline, _base_.test_pipeline], pipeline_args)

model = dict(backbone=dict(memory_len=num_frames), cls_head=dict(num_frames=num_frames))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

visualizer = dict(type='ActionVisualizer')
