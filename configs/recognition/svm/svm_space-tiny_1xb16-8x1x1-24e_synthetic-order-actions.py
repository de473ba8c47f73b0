# svm_stream-tiny_1xb16-8x1x1-24e_synthetic-order-actions.py with the frame-based encoder (spatial attention only):
# the same model, data and training budget otherwise (tools/experiments/encoder_comparison.py).
_base_ = ['./svm_stream-tiny_1xb16-8x1x1-24e_synthetic-order-actions.py']
model = dict(backbone=dict(attn_mode='space'))
