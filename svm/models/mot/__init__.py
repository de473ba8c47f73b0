from .clip_data_preprocessor import ClipTrackDataPreprocessor
from .streaming_mot import StreamingByteTrack, StreamingMOTMixin, StreamingOCSORT

__all__ = ['ClipTrackDataPreprocessor', 'StreamingByteTrack', 'StreamingMOTMixin', 'StreamingOCSORT']
