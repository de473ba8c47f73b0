"""Frame sampling of a training clip from a video (or a still image)."""
import copy
import logging
import os.path as osp
import random
from typing import Dict, List, Sequence, Set

from mmdet.datasets.transforms import BaseFrameSample
from mmengine.logging import print_log

from svm.registry import MMDET_TRANSFORMS


@MMDET_TRANSFORMS.register_module()
class ClipFrameSample(BaseFrameSample):
    """Sample ``num_frames`` frames of one video, evenly spaced by a stride drawn from ``strides``.

    The clip starts at the key frame (the one the sampler picked, or a random one) and is shifted
    back where it would run past the end of the video; a video shorter than the clip repeats its
    last frame, so a still image (a one-frame video, e.g. CrowdHuman) becomes a clip of copies.
    A video of two or more frames that is shorter than the clip's span is warned about, once per
    video in each process (each dataloader worker): its last frame stands in for the clip frames past
    its end, so its clips do not have the motion the stride asks for. Still images are not: copying
    them is what they are sampled for.

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
        self._warned_videos: Set[str] = set()  # videos already warned about as too short

    def sampling_frames(self, video_length: int, key_frame_id: int) -> List[int]:
        """Frame indices of the clip that starts at (or before) ``key_frame_id``, at a random stride."""
        return self.clip_frame_ids(video_length, key_frame_id, random.choice(self.strides))

    def clip_frame_ids(self, video_length: int, key_frame_id: int, stride: int) -> List[int]:
        """Frame indices of the clip at ``stride`` that starts at (or before) ``key_frame_id``."""
        span = (self.num_frames - 1) * stride
        start = max(min(key_frame_id, video_length - 1 - span), 0)
        return [min(start + i * stride, video_length - 1) for i in range(self.num_frames)]

    def transform(self, video_infos: dict) -> Dict[str, list]:
        video_length = video_infos['video_length']
        key_frame_id = video_infos.get('key_frame_id')
        if key_frame_id is None:
            key_frame_id = random.randrange(video_length)
        # The stride is drawn here, after the key frame as in sampling_frames, so that the random
        # draws (and so the clips of a seeded run) are the same as when sampling_frames drew it.
        stride = random.choice(self.strides)
        frame_ids = self.clip_frame_ids(video_length, key_frame_id, stride)
        if video_length > 1 and (self.num_frames - 1) * stride >= video_length:
            self._warn_short_video(video_infos, stride)
        # Copies: a repeated frame must not share mutable annotations with its twin.
        clip_infos = dict(video_infos, images=[copy.deepcopy(video_infos['images'][i]) for i in frame_ids])
        return self.prepare_data(clip_infos, list(range(self.num_frames)))

    def _warn_short_video(self, video_infos: dict, stride: int) -> None:
        """Say, once per video, that the video is too short for the clip and its last frame fills it."""
        name = video_name(video_infos)
        if name in self._warned_videos:
            return
        self._warned_videos.add(name)
        span = (self.num_frames - 1) * stride + 1
        print_log(f'video {name} has {video_infos["video_length"]} frames, fewer than the {span} that a clip '
                  f'of {self.num_frames} frames at stride {stride} spans: the clip frames past its end are '
                  f'replaced by its last frame (said once per video; strides={self.strides})', logger='current',
                  level=logging.WARNING)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, strides={self.strides}, '
                f'collect_video_keys={self.collect_video_keys})')


def video_name(video_infos: dict) -> str:
    """A name for a video in messages: its frames' folder (and id), else its id."""
    images = video_infos.get('images') or [{}]
    first = images[0].get('img_path') or images[0].get('file_name')
    video_id = video_infos.get('video_id')
    if first is None:
        return f'video_id={video_id}'
    return f'{osp.dirname(first)} (video_id={video_id})' if video_id is not None else osp.dirname(first)
