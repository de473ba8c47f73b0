from .frame_stepped_loop import FrameBatchLoader, FrameSteppedTrainLoop, split_clip_batch

__all__ = ['FrameBatchLoader', 'FrameSteppedTrainLoop', 'split_clip_batch']
