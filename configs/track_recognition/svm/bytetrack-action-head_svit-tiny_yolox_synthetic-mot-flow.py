# The track recognition model (docs/track_recognition.md): the stage-1 tracker and the stage-2 action head on one streaming S-ViT
# pass per frame. Per frame: the tracks (ByteTrack) and the running scores of the crowd's walking direction
# over the last 8 frames. Its weights come from the two stages' checkpoints:
#   python tools/model_converters/assemble_track_recognizer.py TRACKER.pth ACTION_HEAD.pth track_recognizer.pth
# Test it as a tracker (tools/test.py: HOTA, MOTA, IDF1; the action scores ride along), run it on a video
# with demo/track_recognition_demo.py. It is not trained as one model (its loss() says how to train the stages).
_base_ = [
    '../../mot/svm/bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-flow.py',
    '../../_base_/models/temporal-decoder_svit-tiny_synthetic-mot-flow.py',
]
# a tracker with mmaction2's action head: both tasks' modules
custom_imports = dict(imports=['svm.tasks.mot', 'svm.tasks.recognition'], allow_failed_imports=False)
model = dict(type='StreamingByteTrackRecognizer', action_head=_base_.action_head,
             action_window=_base_.action_num_frames)
