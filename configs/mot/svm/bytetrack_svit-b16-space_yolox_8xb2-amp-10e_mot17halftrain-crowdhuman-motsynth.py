# Frame-based baseline of the paper's MOT comparison: the same model and recipe with S-ViT's
# temporal (T2D) attention off (attn_mode='space'), so every frame is encoded on its own.
_base_ = ['./bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py']

model = dict(detector=dict(backbone=dict(attn_mode='space')))
