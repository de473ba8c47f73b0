# Optimisation of the S-ViT MOT recipe (docs/mot.md): AdamW, lr 2.5e-4 for 8 GPUs x 2 clips,
# weight decay 0.05 (none on norms and biases), backbone at 0.1x lr except its new parts
# (residual conv blocks, output norms; the pyramid adapter sits in the neck at 1x); 10 epochs of
# YOLOX's schedule (quadratic warm-up over the first epoch, cosine to 0.05x, last epoch at 0.05x
# without Mosaic/MixUp), EMA with momentum 1e-4, fp16.
max_epochs = 10
num_last_epochs = 1
base_lr = 2.5e-4

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    # mmengine's custom_keys would also override the norm/bias decay rules inside the backbone.
    constructor='CLIPLayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=base_lr, weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        backbone='detector.backbone.',
        backbone_lr_mult=0.1,
        backbone_new_parts=('conv_blocks.', 'out_norms.')))

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='QuadraticWarmupLR', by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min_ratio=0.05,  # of each group's own lr (the backbone's 0.1x included)
        begin=1,
        T_max=max_epochs - num_last_epochs - 1,  # reaches 0.05x where it ends
        end=max_epochs - num_last_epochs,
        by_epoch=True,
        convert_to_iter_based=True),
    dict(type='ConstantLR', by_epoch=True, factor=1, begin=max_epochs - num_last_epochs, end=max_epochs),
]

custom_hooks = [
    dict(
        type='YOLOXModeSwitchHook',
        # mmdet's hook switches when epoch + 1 >= max_epochs - num_last_epochs: 0 -> the last epoch only.
        num_last_epochs=num_last_epochs - 1,
        skip_type_keys=('ClipMosaic', 'ClipRandomAffine', 'ClipMixUp'),
        priority=48),
    dict(type='SyncNormHook', priority=48),
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0001, update_buffers=True, priority=49),
]

# 8 GPUs x 2 clips; `tools/train.py --auto-scale-lr` scales every lr by (processes x batch) / 16.
auto_scale_lr = dict(enable=False, base_batch_size=16)
