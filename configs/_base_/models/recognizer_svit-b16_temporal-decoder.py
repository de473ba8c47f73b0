# Action recogniser: CLIP-initialised S-ViT-B/16 frame encoder (parallel mode over each clip) -> temporal
# decoder -> linear classifier. The encoder is the streaming one of docs/model.md ("The three encoders"): CLIP
# ViT-B/16 layout, global attention, class token, T2D over a memory of stop-gradient frames with new query/output
# projections; the three encoders differ only in backbone.attn_mode: 'space' (frame-based), 'stream' (S-ViT),
# 'clip' (clip-based). The encoders alone: svit-b16-{stream,space,clip}.py.
num_frames = 16
num_classes = 400
model = dict(
    type='SViTRecognizer',
    backbone=dict(
        type='SViT',
        arch='b16',
        img_size=224,
        attn_mode='stream',
        window_size=None,
        # Frame t sees at most the T frames of its training clip: the same memory at test time.
        memory_len=num_frames,
        memory_policy='fifo',
        with_cls_token=True,
        out_indices=(-1, ),
        out_type='tokens',
        drop_path_rate=0.1,
        alpha_init=1e-4,
        pretrained='checkpoints/clip/ViT-B-16.pt'),
    cls_head=dict(
        type='TemporalDecoderHead',
        num_classes=num_classes,
        in_channels=768,
        num_frames=num_frames,
        frame_tokens=('cls', 'patch_mean'),
        num_layers=2,
        num_queries=1,
        temporal_pos_embed='learned',
        dropout_ratio=0.5,
        label_smooth_eps=0.1,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        # CLIP's normalisation; decord/PyAV decode RGB.
        mean=[122.771, 116.746, 104.094],
        std=[68.501, 66.632, 70.323],
        format_shape='NCTHW',
        # Mixup or CutMix (one drawn per batch) of the training clips, on labels over `num_classes`; a
        # config with other classes rewrites `num_classes` in each augment (see the SSv2 configs).
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
                dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes),
            ])),
    # Encode the test views in chunks of 4 clips (12 views x 16 frames of ViT-B at once need ~25 GB).
    test_cfg=dict(max_testing_views=4))
