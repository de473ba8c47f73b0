# S-ViT MOT training (docs/mot.md): streaming ByteTrack + YOLOX on S-ViT-B/16, trained on
# 2-frame clips of MOT17 half-train + CrowdHuman + 10% MOTSynth, 8 GPUs x 2 clips, 10 epochs, fp16.
#   bash tools/dist_train.sh configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py 8
# Needs the CLIP ViT-B/16 weights at checkpoints/clip/ViT-B-16.pt (see README).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/bytetrack_svit-b16_yolox.py',
    '../../_base_/datasets/mot17_clip_train_halfval_test.py',
    '../../_base_/schedules/svit_mot_adamw_10e.py',
]
default_scope = 'mmdet'
custom_imports = dict(imports=['svm.tasks.mot'], allow_failed_imports=False)

default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=3),
    visualization=dict(type='TrackVisualizationHook', draw=False))
visualizer = dict(type='SVMTrackLocalVisualizer', _delete_=True, vis_backends=_base_.vis_backends, name='visualizer')
