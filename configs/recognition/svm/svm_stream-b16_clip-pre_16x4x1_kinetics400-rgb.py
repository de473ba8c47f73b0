# S-ViT-B/16 (streaming encoder) + temporal decoder on Kinetics-400, 16 frames at stride 4, from CLIP.
_base_ = [
    '../../_base_/models/recognizer_svit-b16_temporal-decoder.py',
    '../../_base_/datasets/kinetics400_video.py',
    '../../_base_/schedules/recognition_adamw_layer-decay_30e.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmaction'
num_classes = 400

model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
                dict(type='CutmixBlending', alpha=1.0, num_classes=num_classes),
            ])))

visualizer = dict(type='ActionVisualizer')
