# 8 frames at stride 8 instead of 16 at stride 4: only the frame sampling and the clip length change.
_base_ = ['./svm_stream-b16_clip-pre_16x4x1_kinetics400-rgb.py']
num_frames = 8


def _sample(pipeline):  # the sampler sits inside the VideoDecodeGuard's decoding steps
    return [
        dict(step, clip_len=num_frames, frame_interval=8) if step['type'] == 'SampleFrames' else
        dict(step, transforms=_sample(step['transforms'])) if 'transforms' in step else step
        for step in pipeline
    ]


model = dict(backbone=dict(memory_len=num_frames), cls_head=dict(num_frames=num_frames))
train_dataloader = dict(dataset=dict(pipeline=_sample(_base_.train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=_sample(_base_.val_pipeline)))
test_dataloader = dict(dataset=dict(pipeline=_sample(_base_.test_pipeline)))
