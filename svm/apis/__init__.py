from .online_recognition import OnlineRecognizer, frame_pipeline_from_test_pipeline

__all__ = ['OnlineRecognizer', 'frame_pipeline_from_test_pipeline']
