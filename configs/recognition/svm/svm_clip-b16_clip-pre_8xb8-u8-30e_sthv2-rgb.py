# The paper's clip-based encoder (T2D over the whole clip, both directions, with its own q/k/v/o
# projections): the streaming config with only the encoder changed.
_base_ = ['./svm_stream-b16_clip-pre_8xb8-u8-30e_sthv2-rgb.py']
model = dict(backbone=dict(attn_mode='clip'))
