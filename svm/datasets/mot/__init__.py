"""Multi-object tracking data.

- :mod:`.mot_challenge`: the MOTChallenge files (``seqinfo.ini``, ``gt.txt``, ``det.txt``, tracker results),
  read with row checks and written, for the converters, the synthetic benchmark, the metric and the tests.
- :mod:`.coco_video`: MOTChallenge sequences to mmdet's COCO-video json (tools/dataset_converters/mot2coco.py).
- :mod:`.motsynth`: MOTSynth's videos to frames and its annotations to COCO-video json.
- :class:`VideoFrameConcatDataset`: datasets mixed by frame, for training.
"""
from .video_frame_concat_dataset import VideoFrameConcatDataset

__all__ = ['VideoFrameConcatDataset']
