# S-ViT-B/16 encoder of the public MOT release (docs/model.md, "The MOT model"): window 14 in all 12
# blocks, no class token, residual conv blocks after blocks 3/6/9/12, outputs of blocks 6/9/12 (each with its own
# LayerNorm), a memory of 32 frames merged when full; then the simple pyramid to [384, 768, 1536].
# The whole tracker: configs/_base_/models/bytetrack_svit-b16_yolox.py.
default_scope = 'mmdet'
model = dict(
    backbone=dict(
        type='SViT',
        arch='b16',
        img_size=224,
        attn_mode='stream',
        window_size=14,
        memory_len=32,
        memory_policy='merge',
        with_cls_token=False,
        out_indices=(5, 8, 11),
        out_type='featmap',
        residual_block_indices=(2, 5, 8, 11),
        drop_path_rate=0.1,
        with_cp=True,
        pretrained='checkpoints/clip/ViT-B-16.pt'),
    neck=dict(type='SimplePyramid', in_channels=768, out_channels=[384, 768, 1536]))
