# The S-ViT-B/16 encoder and simple pyramid of the MOT model (bytetrack_svit-b16_yolox.py) on their own, as a
# partial `model` (backbone and neck), for tools/analysis_tools/get_flops.py and the backbone tests.
_base_ = ['./bytetrack_svit-b16_yolox.py']
model = dict(_delete_=True, backbone=_base_.model.detector.backbone, neck=_base_.model.detector.neck[0])
