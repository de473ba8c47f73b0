from .clip_data_preprocessor import ClipTrackDataPreprocessor
from .streaming_mot import StreamingByteTrack, StreamingMOTMixin, StreamingOCSORT
from .track_recognizer import (StreamingByteTrackRecognizer, assemble_track_recognizer_checkpoint,
                               assemble_track_recognizer_state)

__all__ = [
    'ClipTrackDataPreprocessor', 'StreamingByteTrack', 'StreamingMOTMixin', 'StreamingOCSORT',
    'StreamingByteTrackRecognizer', 'assemble_track_recognizer_checkpoint',
    'assemble_track_recognizer_state'
]
