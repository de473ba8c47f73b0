"""Frame sampling of a training clip from a video (or a still image)."""
import copy
import random
from typing import Dict, List, Sequence

from mmdet.datasets.transforms import BaseFrameSample

from svm.registry import MMDET_TRANSFORMS


@MMDET_TRANSFORMS.register_module()
class ClipFrameSample(BaseFrameSample):
    """Sample ``num_frames`` frames of one video, evenly spaced by a stride drawn from ``strides``.

    The clip starts at the key frame (the one the sampler picked, or a random one) and is shifted
    back where it would run past the end of the video; a video shorter than the clip repeats its
    last frame, so a still image (a one-frame video, e.g. CrowdHuman) becomes a clip of copies.

    Args:
        num_frames: frames per clip.
        strides: strides to draw from, uniformly.
        collect_video_keys: video-level keys copied into every frame.

    Output: mmdet's video format, a dict of per-frame lists (``img_path``, ``instances`` ...).
    """

    def __init__(self,
                 num_frames: int = 2,
                 strides: Sequence[int] = (1, ),
                 collect_video_keys: List[str] = ['video_id', 'video_length']):
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if not strides or any(int(s) != s or s < 1 for s in strides):
            raise ValueError(f'strides must be positive integers, got {strides}')
        super().__init__(collect_video_keys=collect_video_keys)
        self.num_frames = num_frames
        self.strides = tuple(strides)

    def sampling_frames(self, video_length: int, key_frame_id: int) -> List[int]:
        """Frame indices of the clip that starts at (or before) ``key_frame_id``."""
        stride = random.choice(self.strides)
        span = (self.num_frames - 1) * stride
        start = max(min(key_frame_id, video_length - 1 - span), 0)
        return [min(start + i * stride, video_length - 1) for i in range(self.num_frames)]

    def transform(self, video_infos: dict) -> Dict[str, list]:
        video_length = video_infos['video_length']
        key_frame_id = video_infos.get('key_frame_id')
        if key_frame_id is None:
            key_frame_id = random.randrange(video_length)
        frame_ids = self.sampling_frames(video_length, key_frame_id)
        # Copies: a repeated frame must not share mutable annotations with its twin.
        clip_infos = dict(video_infos, images=[copy.deepcopy(video_infos['images'][i]) for i in frame_ids])
        return self.prepare_data(clip_infos, list(range(self.num_frames)))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, strides={self.strides}, '
                f'collect_video_keys={self.collect_video_keys})')
