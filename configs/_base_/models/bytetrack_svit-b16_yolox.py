# S-ViT MOT model of the public release (docs/model.md, "The MOT model"): ByteTrack whose YOLOX
# detector runs on a streaming S-ViT-B/16 (window 14, residual conv blocks after blocks 3/6/9/12, outputs
# of blocks 6/9/12 through a simple pyramid to [384, 768, 1536] channels), YOLOX PAFPN (256 ch, 4 CSP
# blocks) and a one-class YOLOX head. The encoder and the pyramid are those of svit_b16_mot.py.
_base_ = ['./svit_b16_mot.py']
model = dict(
    _delete_=True,
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
        backbone=_base_.model.backbone,
        neck=[
            _base_.model.neck,
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
