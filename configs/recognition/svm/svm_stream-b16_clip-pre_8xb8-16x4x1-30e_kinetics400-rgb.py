# S-ViT-B/16 (streaming encoder) + temporal decoder on Kinetics-400, 16 frames at stride 4, from CLIP.
# The recogniser's base (configs/_base_/models/recognizer_svit-b16_temporal-decoder.py) is for its 400 classes.
_base_ = [
    '../../_base_/models/recognizer_svit-b16_temporal-decoder.py',
    '../../_base_/datasets/kinetics400_video.py',
    '../../_base_/schedules/recognition_adamw_layer-decay_30e.py',
    '../../_base_/default_runtime.py',
]
default_scope = 'mmaction'
custom_imports = dict(imports=['svm.tasks.recognition'], allow_failed_imports=False)

visualizer = dict(type='ActionVisualizer')
