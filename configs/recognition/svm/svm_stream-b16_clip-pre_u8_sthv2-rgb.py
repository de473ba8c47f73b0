# 8 uniformly sampled frames instead of 16: only the frame sampling and the clip length change.
_base_ = ['./svm_stream-b16_clip-pre_u16_sthv2-rgb.py']
num_frames = 8


def _with_args(pipeline, args):
    """``pipeline`` with ``args[type]`` merged into its steps of that type, nested ``transforms`` included.
    Functions of a config do not reach the configs that inherit it: each config that needs one defines it."""
    return [dict(step, transforms=_with_args(step['transforms'], args)) if 'transforms' in step else
            dict(step, **args.get(step['type'], {})) for step in pipeline]


# The base's pipelines with this sampling (the sampler sits inside the VideoDecodeGuard's decoding steps).
pipeline_args = dict(UniformSample=dict(clip_len=num_frames))
train_pipeline = _with_args(_base_.train_pipeline, pipeline_args)
val_pipeline = _with_args(_base_.val_pipeline, pipeline_args)
test_pipeline = _with_args(_base_.test_pipeline, pipeline_args)

model = dict(backbone=dict(memory_len=num_frames), cls_head=dict(num_frames=num_frames))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
