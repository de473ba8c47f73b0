# S-ViT-B/16 encoder, the streaming one of docs/model.md ("The three encoders"), on its own: the recogniser's
# backbone (recognizer_svit-b16_temporal-decoder.py) with a memory of 32 frames, as a partial `model` for
# tools/analysis_tools/get_flops.py and the backbone tests.
_base_ = ['./recognizer_svit-b16_temporal-decoder.py']
model = dict(_delete_=True, backbone=dict(_base_.model.backbone, memory_len=32))
