# S-ViT with another mmdet tracker: OC-SORT (mmdet's OCSORTTracker settings) on the streaming
# YOLOX detector; training is the same as ByteTrack's (the tracker has no weights). tools/test.py with this
# config tests as the paper's test config does: MOT17 half-val, fp16.
_base_ = ['./bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py']

model = dict(
    type='StreamingOCSORT',
    tracker=dict(
        _delete_=True,
        type='OCSORTTracker',
        motion=dict(type='KalmanFilter'),
        obj_score_thr=0.3,
        init_track_thr=0.7,
        weight_iou_with_det_scores=True,
        match_iou_thr=0.3,
        num_tentatives=3,
        vel_consist_weight=0.2,
        vel_delta_t=3,
        num_frames_retain=30))

test_cfg = dict(type='TestLoop', fp16=True)
