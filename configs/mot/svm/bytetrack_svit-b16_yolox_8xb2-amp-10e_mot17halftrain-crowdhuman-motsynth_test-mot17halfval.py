# Test of the S-ViT MOT model on MOT17 half-val: frames stream through S-ViT with a memory of 32
# frames (oldest entries merged when full), ByteTrack, linear interpolation of gaps (5 ... 20
# frames), TrackEval HOTA / CLEAR / Identity. Paper: MOTA 79.7, HOTA 68.1, IDF1 80.9.
#   bash tools/dist_test.sh configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth_test-mot17halfval.py 8 --checkpoint CKPT
# Memory-length study: --cfg-options model.detector.backbone.memory_len=8 (or
# tools/experiments/memory_sweep.py). MOTChallenge result files: --cfg-options
# test_evaluator.outfile_prefix=work_dirs/results (files in work_dirs/results/default-tracker).
_base_ = ['./bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py']

model = dict(detector=dict(backbone=dict(memory_len=32, memory_policy='merge')))
test_cfg = dict(type='TestLoop', fp16=True)
