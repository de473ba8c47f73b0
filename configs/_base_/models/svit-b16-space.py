# Frame-based ViT-B/16 encoder (docs/model.md, "The three encoders"): the S-ViT-B/16 layout without T2D.
_base_ = './svit-b16-stream.py'
model = dict(backbone=dict(attn_mode='space'))
