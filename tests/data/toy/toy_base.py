_base_ = ['../../../configs/_base_/default_runtime.py']
custom_imports = dict(imports=['svm.engine.hooks', 'helpers.toy_task'], allow_failed_imports=False)
default_scope = 'mmengine'

model = dict(type='ToyRegressor', in_features=4, hidden=8)
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    dataset=dict(type='ToyRegressionDataset', size=32),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=6, val_interval=1000)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=0.01, betas=(0.9, 0.999), weight_decay=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=3),
                   dict(type='CosineAnnealingLR', by_epoch=False, begin=3, end=6, T_max=3)]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=2, max_keep_ckpts=-1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=True)
