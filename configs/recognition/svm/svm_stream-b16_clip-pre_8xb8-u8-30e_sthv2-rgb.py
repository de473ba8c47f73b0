# svm_stream-b16_clip-pre_8xb8-u16-30e_sthv2-rgb.py with 8 uniformly sampled frames instead of 16: only the
# frame sampling and the clip length change.
_base_ = [
    '../../_base_/models/recognizer_svit-b16_temporal-decoder.py',
    '../../_base_/datasets/sthv2_video.py',
    '../../_base_/schedules/recognition_adamw_layer-decay_30e.py',
    '../../_base_/default_runtime.py',
]
from svm.utils.pipeline_config import set_step_args  # noqa: E402

default_scope = 'mmaction'
custom_imports = dict(imports=['svm.tasks.recognition'], allow_failed_imports=False)
num_classes = 174
num_frames = 8

# The base's pipelines with this sampling (the sampler sits inside the VideoDecodeGuard's decoding steps).
pipeline_args = dict(UniformSample=dict(clip_len=num_frames))
train_pipeline, val_pipeline, test_pipeline = set_step_args(
    [_base_.train_pipeline, _base_.val_pipeline, _base_.test_pipeline], pipeline_args)

# 174 classes: the head and the base's Mixup/CutMix.
model = dict(
    backbone=dict(memory_len=num_frames),
    cls_head=dict(num_classes=num_classes, num_frames=num_frames),
    data_preprocessor=dict(blending=dict(augments=[
        dict(augment, num_classes=num_classes) for augment in _base_.model.data_preprocessor.blending.augments
    ])))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

visualizer = dict(type='ActionVisualizer')
