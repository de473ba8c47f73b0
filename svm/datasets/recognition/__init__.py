from .annotation_lists import (VideoEntry, index_videos, read_label_map, resolve_videos, write_label_map,
                               write_video_list)
from .checked_video_dataset import CheckedVideoDataset
from .decode_guard import VideoDecodeError, VideoDecodeGuard, pipeline_steps
from .pyav_loading import PyAVInitWithFrameCount

__all__ = [
    'CheckedVideoDataset', 'PyAVInitWithFrameCount', 'VideoDecodeError', 'VideoDecodeGuard', 'VideoEntry',
    'index_videos', 'pipeline_steps', 'read_label_map', 'resolve_videos', 'write_label_map', 'write_video_list'
]
