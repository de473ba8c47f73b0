# S-ViT-B/16 encoder, the streaming one of docs/model.md ("The three encoders"): CLIP ViT-B/16 layout, global
# attention, class token, T2D over a memory of 32 stop-gradient frames with new query/output projections.
# A partial `model`: recognisers inherit it and add their type and head (see
# configs/_base_/models/recognizer_svit-b16_temporal-decoder.py for the complete recogniser).
model = dict(
    backbone=dict(
        type='SViT',
        arch='b16',
        img_size=224,
        attn_mode='stream',
        window_size=None,
        memory_len=32,
        memory_policy='fifo',
        with_cls_token=True,
        out_indices=(-1, ),
        out_type='tokens',
        drop_path_rate=0.1,
        alpha_init=1e-4,
        pretrained='checkpoints/clip/ViT-B-16.pt'))
