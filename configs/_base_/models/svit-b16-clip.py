# Clip-based ViT-B/16 encoder (docs/model.md, "The three encoders"): T2D over the whole clip in both
# directions, with its own query/key/value/output projections and gradient.
_base_ = './svit-b16-stream.py'
model = dict(backbone=dict(attn_mode='clip'))
