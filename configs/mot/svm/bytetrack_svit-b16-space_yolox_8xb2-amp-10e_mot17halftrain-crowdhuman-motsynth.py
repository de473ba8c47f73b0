# Frame-based baseline of the paper's MOT comparison: the paper's model and recipe
# (bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py) with S-ViT's temporal (T2D)
# attention off (attn_mode='space'), so every frame is encoded on its own.
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/bytetrack_svit-b16_yolox.py',
    '../../_base_/datasets/mot17_clip_train_halfval_test.py',
    '../../_base_/schedules/svit_mot_adamw_10e.py',
]

model = dict(detector=dict(backbone=dict(attn_mode='space')))
default_hooks = dict(visualization=dict(type='TrackVisualizationHook', draw=False))
visualizer = dict(type='SVMTrackLocalVisualizer', _delete_=True, vis_backends=_base_.vis_backends, name='visualizer')
