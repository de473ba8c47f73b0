# The paper's frame-based encoder (spatial attention only): the streaming config with only the
# encoder changed.
_base_ = ['./svm_stream-b16_clip-pre_8xb8-u8-30e_sthv2-rgb.py']
model = dict(backbone=dict(attn_mode='space'))
