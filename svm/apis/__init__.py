from .online_recognition import OnlineRecognizer, frame_pipeline_from_test_pipeline
from .tracking import TrackedFrame, Tracks, init_tracker, reset_tracker, track_video
from .video_sources import FrameProgress, VideoSource, open_video_source

__all__ = [
    'OnlineRecognizer', 'frame_pipeline_from_test_pipeline', 'init_tracker', 'track_video', 'reset_tracker',
    'Tracks', 'TrackedFrame', 'open_video_source', 'VideoSource', 'FrameProgress'
]
