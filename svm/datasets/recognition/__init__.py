from .annotation_lists import (VideoEntry, index_videos, read_label_map, resolve_videos, write_label_map,
                               write_video_list)
from .pyav_loading import PyAVInitWithFrameCount

__all__ = [
    'PyAVInitWithFrameCount', 'VideoEntry', 'index_videos', 'read_label_map', 'resolve_videos', 'write_label_map',
    'write_video_list'
]
