# A child config: inherits toy_base.py and overrides a nested key, as task configs do.
_base_ = ['./toy_base.py']
model = dict(hidden=16)
test_dataloader = dict(
    batch_size=8,
    num_workers=0,
    dataset=dict(type='ToyRegressionDataset', size=16),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
test_cfg = dict(type='TestLoop')
test_evaluator = dict(type='ToyMSE')
custom_hooks = [dict(type='SaveRankWeightsHook')]
