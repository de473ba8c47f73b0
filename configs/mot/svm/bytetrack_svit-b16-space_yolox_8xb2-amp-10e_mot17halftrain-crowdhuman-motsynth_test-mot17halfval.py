# Test of the frame-based baseline on MOT17 half-val (no memory is used).
_base_ = ['./bytetrack_svit-b16-space_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py']

test_cfg = dict(type='TestLoop', fp16=True)
