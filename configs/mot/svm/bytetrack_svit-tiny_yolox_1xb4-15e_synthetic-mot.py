# `make demo`: the tiny S-ViT tracker of the synthetic-set configs (bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-flow.py:
# model, pipelines at 160x96, optimiser, hooks) trained for 15 epochs on the synthetic MOT benchmark
# (svm/datasets/synthetic/mot.py: MOT17 layout, 320x192 frames, train/SYN-01..04, val/SYN-51..52), tested on its
# validation sequences with TrackEval. tools/demo_main.py generates and converts the data, then runs
# tools/train.py and tools/test.py with this config.
_base_ = ['./bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-flow.py']
data_root = 'data/synthetic_mot/'

train_dataloader = dict(dataset=dict(dataset=dict(
    datasets=[dict(source, data_root=data_root) for source in _base_.train_dataloader.dataset.dataset.datasets])))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_epochs = 15
# tools/demo_main.py tests the last checkpoint with tools/test.py at once: no second evaluation of it at the end
# of training (add --cfg-options train_cfg.val_interval=15 to validate there)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs + 1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.05, by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True),
]
default_hooks = dict(checkpoint=dict(interval=max_epochs))
