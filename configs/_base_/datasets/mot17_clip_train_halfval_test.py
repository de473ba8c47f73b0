# Data of the S-ViT MOT recipe (docs/mot.md): 2-frame clips (strides 1...4) of MOT17 half-train, CrowdHuman
# train + val (still images as clips of copies) and MOTSynth (a fresh 10% of its frames each epoch), at
# 1440x800; test on MOT17 half-val. Pipelines, samplers and evaluation: mot_challenge_clips.py. See
# docs/mot.md "Data preparation" for the layout.
_base_ = ['./mot_challenge_clips.py']

pedestrian = dict(classes=('pedestrian', ))
train_sources = [
    dict(
        type='MOTChallengeDataset',
        data_root='data/MOT17/',
        ann_file='annotations/half-train_cocoformat.json',
        data_prefix=dict(img_path='train'),
        metainfo=pedestrian,
        pipeline=_base_.clip_loading),
    dict(
        type='BaseVideoDataset',
        data_root='data/crowdhuman/',
        ann_file='annotations/crowdhuman_train.json',
        data_prefix=dict(img_path='train'),
        metainfo=pedestrian,
        pipeline=_base_.clip_loading),
    dict(
        type='BaseVideoDataset',
        data_root='data/crowdhuman/',
        ann_file='annotations/crowdhuman_val.json',
        data_prefix=dict(img_path='val'),
        metainfo=pedestrian,
        pipeline=_base_.clip_loading),
    dict(
        type='MOTChallengeDataset',
        data_root='data/MOTSynth/',
        ann_file='annotations/motsynth_train.json',
        data_prefix=dict(img_path='frames'),
        metainfo=pedestrian,
        pipeline=_base_.clip_loading),
]
source_ratios = (1, 1, 1, 0.1)

train_dataloader = dict(
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(ratios=source_ratios),
    dataset=dict(dataset=dict(datasets=train_sources, ignore_keys=['classes'])))
val_dataloader = dict(
    num_workers=2,
    persistent_workers=True,
    pin_memory=True,
    dataset=dict(
        data_root='data/MOT17/',
        ann_file='annotations/half-val_cocoformat.json',
        data_prefix=dict(img_path='train')))
test_dataloader = val_dataloader
