# MOT17 test-server submission: tracks the MOT17 test videos and writes MOTChallenge result files
# (no ground truth, no scores) to work_dirs/mot17_test_submission/default-tracker/<video>.txt. The tracker
# runs as in the half-val test (the _test-mot17halfval config): a memory of 32 frames, merged when full, fp16.
#   python tools/dataset_converters/mot2coco.py -i data/MOT17 -o data/MOT17/annotations
#   bash tools/dist_test.sh configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth_test-mot17test.py 8 --checkpoint CKPT
_base_ = ['./bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py']

model = dict(detector=dict(backbone=dict(memory_len=32, memory_policy='merge')))
test_dataloader = dict(
    dataset=dict(ann_file='annotations/test_cocoformat.json', data_prefix=dict(img_path='test')))
test_evaluator = dict(format_only=True, outfile_prefix='work_dirs/mot17_test_submission')
test_cfg = dict(type='TestLoop', fp16=True)
