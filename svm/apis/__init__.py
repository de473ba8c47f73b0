from svm.utils import mmaction_compat  # noqa: F401  (before mmaction.models is imported)
from .annotated_video import (RANDOM_WEIGHTS_WARNING, write_recognized_video, write_tracked_action_video,
                             write_tracked_video)
from .multi_stream import MultiStreamRecognizer, MultiStreamTracker, track_videos
from .online_recognition import OnlineRecognizer, RecognizedFrame, frame_pipeline_from_test_pipeline, recognize_video
from .track_recognition import TrackedActionFrame, inference_track_recognizer, separate_models
from .tracking import TrackedFrame, Tracks, init_tracker, reset_tracker, track_video
from .video_sources import FrameProgress, VideoSource, open_video_source

__all__ = [
    'OnlineRecognizer', 'RecognizedFrame', 'frame_pipeline_from_test_pipeline', 'recognize_video', 'init_tracker',
    'track_video', 'inference_track_recognizer', 'TrackedActionFrame', 'separate_models', 'reset_tracker', 'Tracks',
    'TrackedFrame',
    'open_video_source', 'VideoSource', 'FrameProgress', 'write_recognized_video', 'write_tracked_action_video',
    'write_tracked_video', 'RANDOM_WEIGHTS_WARNING', 'MultiStreamRecognizer', 'MultiStreamTracker', 'track_videos'
]
