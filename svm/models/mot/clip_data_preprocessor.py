"""Data preprocessor for training on clips."""
from typing import List, Optional

from mmdet.models.data_preprocessors import TrackDataPreprocessor
from mmengine.model import ModuleList

from svm.registry import MMDET_MODELS


@MMDET_MODELS.register_module()
class ClipTrackDataPreprocessor(TrackDataPreprocessor):
    """TrackDataPreprocessor whose batch augmentations see every frame of every clip.

    mmdet's TrackDataPreprocessor applies batch augmentations (YOLOX's BatchSyncRandomResize, the
    recipe's multi-scale training) only to one-frame samples. Here they run on the flattened
    ``(N*T, C, H, W)`` batch and its per-frame data samples, then the clips are put back together:
    BatchSyncRandomResize picks one size per batch, so all frames of a clip share their scale.

    Output: ``inputs`` (N, T, C, H, W) and ``data_samples`` (N TrackDataSamples of T frames).
    """

    def __init__(self, batch_augments: Optional[List[dict]] = None, **kwargs):
        super().__init__(batch_augments=None, **kwargs)
        if kwargs.get('use_det_processor', False):
            raise ValueError('ClipTrackDataPreprocessor handles clips: use_det_processor must be False')
        self.clip_batch_augments = (ModuleList([MMDET_MODELS.build(aug) for aug in batch_augments])
                                    if batch_augments else None)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        if not (training and self.clip_batch_augments):
            return data
        inputs, track_samples = data['inputs'], data['data_samples']
        num_clips, num_frames = inputs.shape[:2]
        frames = inputs.flatten(0, 1)
        frame_samples = [s[t] for s in track_samples for t in range(num_frames)]
        for augment in self.clip_batch_augments:
            frames, frame_samples = augment(frames, frame_samples)
        for b, track_sample in enumerate(track_samples):
            track_sample.video_data_samples = frame_samples[b * num_frames:(b + 1) * num_frames]
        return dict(inputs=frames.view(num_clips, num_frames, *frames.shape[1:]).contiguous(),
                    data_samples=track_samples)
