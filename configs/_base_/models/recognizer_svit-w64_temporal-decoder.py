# A tiny recogniser for CPU runs, from scratch (no CLIP weights): the layout of
# recognizer_svit-b16_temporal-decoder.py with an S-ViT of 2 blocks of width 64, 2 heads and patch 16 (wider than
# the tracker's arch 'tiny', with patch 16 for 64x64 frames), a memory of its 8-frame clips, a one-layer temporal
# decoder, no dropout, label smoothing or Mixup/CutMix, for 2 classes.
num_frames = 8
num_classes = 2
width = 64
model = dict(
    type='SViTRecognizer',
    backbone=dict(
        type='SViT',
        arch=dict(embed_dims=width, num_layers=2, num_heads=2, patch_size=16),
        img_size=64,
        attn_mode='stream',
        window_size=None,
        memory_len=num_frames,
        memory_policy='fifo',
        with_cls_token=True,
        out_indices=(-1, ),
        out_type='tokens',
        drop_path_rate=0.,
        alpha_init=1e-4,
        pretrained=None),
    cls_head=dict(
        type='TemporalDecoderHead',
        num_classes=num_classes,
        in_channels=width,
        num_frames=num_frames,
        frame_tokens=('cls', 'patch_mean'),
        num_layers=1,
        num_queries=1,
        temporal_pos_embed='learned',
        dropout_ratio=0.,
        label_smooth_eps=0.,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        # CLIP's normalisation; decord/PyAV decode RGB.
        mean=[122.771, 116.746, 104.094],
        std=[68.501, 66.632, 70.323],
        format_shape='NCTHW',
        blending=None),
    test_cfg=dict(max_testing_views=4))
