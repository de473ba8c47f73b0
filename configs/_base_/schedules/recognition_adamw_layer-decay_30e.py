# Fine-tuning schedule of the CLIP-initialised recognisers: AdamW, layer-wise lr decay over the CLIP
# blocks and a 10x lower backbone lr (CLIPLayerDecayOptimWrapperConstructor), no weight decay on norms,
# biases and 1-D parameters; linear warm-up, then cosine decay. lr is for 64 clips per iteration
# (8 GPUs x 8 clips); `tools/train.py --auto-scale-lr` rescales it to another total batch.
max_epochs = 30
warmup_epochs = 3
base_lr = 1e-3

optim_wrapper = dict(
    constructor='CLIPLayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=base_lr, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(layer_decay_rate=0.85, backbone_lr_mult=0.1, flat_decay_mult=0.0),
    clip_grad=dict(max_norm=5.0, norm_type=2))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min_ratio=0.01, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         T_max=max_epochs - warmup_epochs, convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

auto_scale_lr = dict(enable=False, base_batch_size=64)
