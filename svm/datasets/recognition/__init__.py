from .annotation_lists import (VideoEntry, index_videos, read_label_map, resolve_videos, write_label_map,
                               write_video_list)
from .checked_video_dataset import CheckedVideoDataset
from .decode_guard import VideoDecodeError, VideoDecodeGuard
from .pipelines import RecognitionPipelineParts, count_test_views, pipeline_steps, split_recognition_pipeline
from .pyav_loading import PyAVInitWithFrameCount

__all__ = [
    'CheckedVideoDataset', 'PyAVInitWithFrameCount', 'RecognitionPipelineParts', 'VideoDecodeError',
    'VideoDecodeGuard', 'VideoEntry', 'count_test_views', 'index_videos', 'pipeline_steps', 'read_label_map',
    'resolve_videos', 'split_recognition_pipeline', 'write_label_map', 'write_video_list'
]
