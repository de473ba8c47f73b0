# The tiny streaming S-ViT recogniser on the synthetic temporal-order action benchmark
# (svm/datasets/synthetic/actions.py), here its two-class form: a textured object approaches or
# recedes. Both classes show exactly the same frames, in opposite orders, so only temporal modelling
# can tell them apart. The temporal decoder has no temporal position embedding (it sees the frames as
# a set), so that all order information must come from the encoder: the configs for the frame-based
# ('space') and clip-based ('clip') encoders differ from this one only in backbone.attn_mode, and
# tools/experiments/encoder_comparison.py trains the three under the same budget.
_base_ = [
    '../../_base_/models/recognizer_svit-w64_temporal-decoder.py',
    '../../_base_/datasets/video_recognition.py',
    '../../_base_/schedules/recognition_adamw_layer-decay_30e.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmaction'
custom_imports = dict(imports=['svm.tasks.recognition'], allow_failed_imports=False)
num_frames = 8
num_classes = 2
width = 64

# The tiny recogniser with 3 blocks.
model = dict(
    backbone=dict(
        arch=dict(num_layers=3),
        attn_mode='stream',
        memory_len=num_frames,
        # Trained from scratch: the T2D branch starts at full strength (the 1e-4 default keeps a
        # CLIP-initialised encoder close to its frame model, and there is none here).
        alpha_init=1.0),
    cls_head=dict(
        num_classes=num_classes,
        in_channels=width,
        num_frames=num_frames,
        frame_tokens=('cls', 'patch_mean'),
        num_layers=1,
        temporal_pos_embed=None,
        average_clips='prob'),
    data_preprocessor=dict(mean=[127.5, 127.5, 127.5], std=[64.0, 64.0, 64.0]))

data_root = 'data/synthetic_actions_scale2'
# The benchmark under data_root (tools/experiments/encoder_comparison.py generates it from this when
# absent; by hand: tools/misc/generate_synthetic_actions.py --motions scale --num-classes 2 ...).
synthetic_benchmark = dict(seed=0, num_train=400, num_val=100, size=64, num_frames=num_frames,
                           motions=['scale'], num_classes=num_classes, fps=8)
# No flips, crops or temporal jitter: a horizontal flip turns "moves right" into "moves left" and a
# turn clockwise into anticlockwise, which would mislabel the video.
# Decoding runs inside VideoDecodeGuard, which names the video when decord cannot read it.
train_pipeline = [
    dict(type='VideoDecodeGuard', transforms=[
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=num_frames, frame_interval=1, num_clips=1),
        dict(type='DecordDecode')]),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
test_pipeline = [
    dict(type='VideoDecodeGuard', transforms=[
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=num_frames, frame_interval=1, num_clips=1, test_mode=True),
        dict(type='DecordDecode')]),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        num_classes=num_classes, ann_file=f'{data_root}/train_list.txt', data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        num_classes=num_classes, ann_file=f'{data_root}/val_list.txt', data_prefix=dict(video=data_root),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 24
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(lr=2e-3), paramwise_cfg=dict(layer_decay_rate=0.9, backbone_lr_mult=1.0))
auto_scale_lr = dict(enable=False, base_batch_size=16)  # lr for 1 process x 16 clips (--auto-scale-lr)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
visualizer = dict(type='ActionVisualizer')
randomness = dict(seed=0)
