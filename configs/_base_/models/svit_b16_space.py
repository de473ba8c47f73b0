# Frame-based ViT-B/16 encoder (SPEC section 2): the S-ViT-B/16 layout without T2D.
_base_ = './svit_b16_stream.py'
model = dict(backbone=dict(attn_mode='space'))
