# Stage 1 of the unified tracker + recogniser (docs/unified.md, `make unified-demo`): the tiny S-ViT tracker of
# `make demo` trained on the synthetic crowd-flow set (tools/misc/generate_synthetic_mot.py --preset flow:
# 60-frame sequences in which everyone walks left, or everyone walks right; the MOT17 layout plus
# mmaction2 frame lists of the direction). Stage 2 trains an action head on its frozen backbone
# (action-head_svit-tiny-frozen_synthetic-mot-flow.py); the unified model joins them
# (bytetrack-action-head_svit-tiny_synthetic-mot-flow.py).
_base_ = ['../../mot/svm/demo_bytetrack_svit-tiny_yolox_synthetic-mot.py']
data_root = 'data/synthetic_mot_flow/'

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

# 16 sequences of 60 frames: 240 iterations of 4 clips per epoch (twice the demo's), so fewer epochs.
max_epochs = 8
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.05, by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
