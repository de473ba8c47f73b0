# configs/recognition/svm/synthetic_stream-tiny_8x1x1_order-actions.py with the frame-based encoder (spatial attention only):
# the same model, data and training budget otherwise (tools/analysis_tools/compare_encoders.py).
_base_ = ['./synthetic_stream-tiny_8x1x1_order-actions.py']
model = dict(backbone=dict(attn_mode='space'))
