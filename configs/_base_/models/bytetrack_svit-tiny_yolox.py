# The tiny S-ViT tracker of the CPU configs, demos and tests: bytetrack_svit-b16_yolox.py at toy size, from
# scratch (no CLIP weights): S-ViT arch 'tiny' (3 blocks of width 32, 2 heads, patch 8), global attention, a
# memory of 4 frames merged when full, the outputs of all three blocks and a residual conv block after the last;
# simple pyramid to [16, 32, 64], YOLOX PAFPN (16 ch, 1 CSP block), one-class YOLOX head with one stacked conv.
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
        batch_augments=[
            dict(type='BatchSyncRandomResize', random_size_range=(64, 96), size_divisor=32, interval=1)
        ]),
    detector=dict(
        type='YOLOX',
        backbone=dict(
            type='SViT',
            arch='tiny',
            img_size=32,
            attn_mode='stream',
            window_size=None,
            memory_len=4,
            memory_policy='merge',
            with_cls_token=False,
            out_indices=(0, 1, 2),
            out_type='featmap',
            residual_block_indices=(2, ),
            drop_path_rate=0.0,
            with_cp=False,
            pretrained=None),
        neck=[
            dict(type='SimplePyramid', in_channels=32, out_channels=[16, 32, 64]),
            dict(type='YOLOXPAFPN', in_channels=[16, 32, 64], out_channels=16, num_csp_blocks=1),
        ],
        bbox_head=dict(
            type='YOLOXHead', num_classes=1, in_channels=16, feat_channels=16, stacked_convs=1, strides=(4, 8, 16)),
        train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)),
        test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.7))),
    tracker=dict(
        type='ByteTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thrs=dict(high=0.5, low=0.1),
        init_track_thr=0.5,
        weight_iou_with_det_scores=True,
        match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
        num_frames_retain=30))
