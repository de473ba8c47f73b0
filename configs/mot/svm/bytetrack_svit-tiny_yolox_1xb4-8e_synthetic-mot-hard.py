# Streaming vs frame-based S-ViT on the hard synthetic MOT set (the paper's MOT claims in miniature:
# tools/experiments/stream_vs_space.py, `make mot-claims`, docs/demo.md). The `make demo` tracker
# (bytetrack_svit-tiny_yolox_1xb4-15e_synthetic-mot.py: tiny S-ViT + YOLOX + ByteTrack, test size 160x96; its
# recipe and 8 epochs from bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-flow.py) trained
# on data/synthetic_mot_hard, generated with
#   python tools/misc/generate_synthetic_mot.py --out data/synthetic_mot_hard --preset hard
# (4 training and 2 validation sequences of 150 frames: long occlusions behind pillars, trees and each other,
# look-alikes that cross, people who stop, camera shake).
# The encoder is the one option the comparison changes, on the command line:
#   --cfg-options model.detector.backbone.attn_mode=space    (frame-based: no memory)
#   --cfg-options model.detector.backbone.attn_mode=stream   (S-ViT, the default here)
# and the seed with `randomness.seed=N`. Training clips stay 2 frames (the memory of a training clip is its
# earlier frame); the test-time memory length is model.detector.backbone.memory_len.
_base_ = ['./bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-flow.py']
data_root = 'data/synthetic_mot_hard/'

model = dict(detector=dict(backbone=dict(attn_mode='stream')))

train_dataloader = dict(dataset=dict(dataset=dict(
    datasets=[dict(source, data_root=data_root) for source in _base_.train_dataloader.dataset.dataset.datasets])))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

# The budget of every run of the comparison (same for both encoders; tools/experiments/stream_vs_space.py
# --epochs changes it for all runs): the base's 8 epochs of 150 iterations here (600 frames, batches of 4 clips).
