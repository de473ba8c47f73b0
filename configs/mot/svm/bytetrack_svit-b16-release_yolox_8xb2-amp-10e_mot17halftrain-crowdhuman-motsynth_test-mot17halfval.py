# Test of the authors' released tracker (svm_mot17-half-val.pth) on MOT17 half-val, as the release's
# svm_test.py does it: ImageNet pixel statistics, padding with 0 after normalisation, a memory of 32 frames
# merged when full, detector threshold 0.01 / NMS 0.7, ByteTrack's thresholds, interpolation of 5...20-frame
# gaps, fp16. The release reports MOTA 79.7, HOTA 68.1, IDF1 80.9. Convert the model first (docs/mot.md):
#   python tools/model_converters/svm_release_to_svm.py svm_mot17-half-val.pth checkpoints/svit-b16_yolox_release_mot17halfval.pth
#   bash tools/dist_test.sh configs/mot/svm/bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth_test-mot17halfval.py 8 \
#       --checkpoint checkpoints/svit-b16_yolox_release_mot17halfval.pth
_base_ = ['./bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py']

# The weights come from the converted checkpoint, not from CLIP.
model = dict(detector=dict(backbone=dict(memory_len=32, memory_policy='merge', pretrained=None)))
test_cfg = dict(type='TestLoop', fp16=True)
