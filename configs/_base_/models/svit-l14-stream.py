# S-ViT-L/14 encoder: CLIP ViT-L/14 layout (width 1024, 24 blocks, 16 heads, patch 14) with T2D.
_base_ = './svit-b16-stream.py'
model = dict(backbone=dict(arch='l14', drop_path_rate=0.2, pretrained='checkpoints/clip/ViT-L-14.pt'))
