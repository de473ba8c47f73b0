# S-ViT MOT model of the public release (docs/model.md, "The MOT model"): ByteTrack whose YOLOX detector runs on a
# streaming S-ViT-B/16 encoder: window 14 in all 12 blocks, no class token, residual conv blocks after blocks
# 3/6/9/12, outputs of blocks 6/9/12 (each with its own LayerNorm), a memory of 32 frames merged when full; then
# the simple pyramid to [384, 768, 1536] channels, YOLOX PAFPN (256 ch, 4 CSP blocks) and a one-class YOLOX head.
# The encoder and pyramid alone: svit-b16_simple-pyramid.py.
default_scope = 'mmdet'
custom_imports = dict(imports=['svm.tasks.mot'], allow_failed_imports=False)
model = dict(
    type='StreamingByteTrack',
    clip_forward='parallel',
    data_preprocessor=dict(
        type='ClipTrackDataPreprocessor',
        # CLIP's pixel statistics (RGB); images are loaded BGR.
        mean=[122.771, 116.746, 104.094],
        std=[68.501, 66.632, 70.323],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        # Multi-scale training, (18 ... 32) x 32, one size per batch so per clip.
        batch_augments=[
            dict(type='BatchSyncRandomResize', random_size_range=(576, 1024), size_divisor=32, interval=10)
        ]),
    detector=dict(
        type='YOLOX',
        backbone=dict(
            type='SViT',
            arch='b16',
            img_size=224,
            attn_mode='stream',
            window_size=14,
            memory_len=32,
            memory_policy='merge',
            with_cls_token=False,
            out_indices=(5, 8, 11),
            out_type='featmap',
            residual_block_indices=(2, 5, 8, 11),
            drop_path_rate=0.1,
            with_cp=True,
            pretrained='checkpoints/clip/ViT-B-16.pt'),
        neck=[
            dict(type='SimplePyramid', in_channels=768, out_channels=[384, 768, 1536]),
            dict(type='YOLOXPAFPN', in_channels=[384, 768, 1536], out_channels=256, num_csp_blocks=4),
        ],
        bbox_head=dict(
            type='YOLOXHead', num_classes=1, in_channels=256, feat_channels=256, strides=(8, 16, 32)),
        train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)),
        test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.7))),
    tracker=dict(
        type='ByteTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thrs=dict(high=0.7, low=0.1),
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
        num_frames_retain=30))
