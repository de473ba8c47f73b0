# S-ViT-B/16 (streaming encoder) + temporal decoder on Something-Something V2, 16 uniformly sampled
# frames (one per segment), from CLIP.
_base_ = [
    '../../_base_/models/recognizer_svit-b16_temporal-decoder.py',
    '../../_base_/datasets/sthv2_video.py',
    '../../_base_/schedules/recognition_adamw_layer-decay_30e.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmaction'
custom_imports = dict(imports=['svm.tasks.recognition'], allow_failed_imports=False)
num_classes = 174

# 174 classes: the head and the base's Mixup/CutMix.
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(blending=dict(augments=[
        dict(augment, num_classes=num_classes) for augment in _base_.model.data_preprocessor.blending.augments
    ])))

visualizer = dict(type='ActionVisualizer')
