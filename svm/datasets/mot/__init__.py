from .video_frame_concat_dataset import VideoFrameConcatDataset

__all__ = ['VideoFrameConcatDataset']
