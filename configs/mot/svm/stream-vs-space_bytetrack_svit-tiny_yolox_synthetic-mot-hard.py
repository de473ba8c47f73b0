# Streaming vs frame-based S-ViT on the hard synthetic MOT set (the paper's MOT claims in miniature:
# tools/analysis_tools/stream_vs_space.py, `make mot-claims`, docs/demo.md). The `make demo` tracker
# (demo_bytetrack_svit-tiny_yolox_synthetic-mot.py: tiny S-ViT + YOLOX + ByteTrack, test size 160x96) trained
# on data/synthetic_mot_hard, generated with
#   python tools/misc/generate_synthetic_mot.py --out data/synthetic_mot_hard --preset hard
# (4 training and 2 validation sequences of 150 frames: long occlusions behind pillars, trees and each other,
# look-alikes that cross, people who stop, camera shake).
# The encoder is the one option the comparison changes, on the command line:
#   --cfg-options model.detector.backbone.attn_mode=space    (frame-based: no memory)
#   --cfg-options model.detector.backbone.attn_mode=stream   (S-ViT, the default here)
# and the seed with `randomness.seed=N`. Training clips stay 2 frames (the memory of a training clip is its
# earlier frame); the test-time memory length is model.detector.backbone.memory_len.
_base_ = ['./demo_bytetrack_svit-tiny_yolox_synthetic-mot.py']
data_root = 'data/synthetic_mot_hard/'

model = dict(detector=dict(backbone=dict(attn_mode='stream')))

train_dataloader = dict(
    dataset=dict(
        dataset=dict(datasets=[
            dict(
                type='MOTChallengeDataset',
                data_root=data_root,
                ann_file='annotations/train_cocoformat.json',
                data_prefix=dict(img_path='train'),
                metainfo=dict(classes=('pedestrian', )),
                pipeline=_base_.clip_loading)
        ])))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

# The budget of every run of the comparison (same for both encoders; tools/analysis_tools/stream_vs_space.py
# --epochs changes it for all runs): 8 epochs of 150 iterations (600 frames, batches of 4 clips).
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.05, by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
