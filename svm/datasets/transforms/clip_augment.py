"""Clip-consistent augmentation: one random draw per clip, applied to every frame.

mmcv's :class:`TransformBroadcaster` with ``share_random_params=True`` applies a transform to each
frame of a clip while the transform's ``@cache_randomness`` methods return the draw of the first
frame. mmdet's RandomAffine, YOLOXHSVRandomAug, RandomFlip and RandomChoiceResize draw their
randomness in such methods and broadcast as they are. Mosaic and MixUp draw inside ``transform``
(mosaic centre, apply-or-not, mixup scale jitter, flip, crop offset): :class:`SeededRandomness`
gives them one cached seed per clip for numpy's generator, so every frame repeats the same draws.

The ``Clip*`` classes are the broadcast forms of the mixing transforms that
:class:`mmdet.datasets.MultiImageMixDataset` drives; their names are what YOLOXModeSwitchHook's
``skip_type_keys`` switch off in the last epochs. A mixing transform receives ``mix_results`` as a
list of clips (one per ``get_indexes`` index); frame ``t`` of the clip is mixed with frame ``t``
of each of those clips.
"""
from typing import Dict, List

import numpy as np
from mmcv.transforms import TransformBroadcaster
from mmcv.transforms.utils import cache_randomness
from mmdet.datasets.transforms import MixUp, Mosaic, RandomAffine

from svm.registry import MMDET_TRANSFORMS


class SeededRandomness:
    """Mixin: run ``transform`` with numpy's global generator seeded by a cached draw.

    Outside a clip broadcast every call draws a fresh seed, so the transform is as random as the
    original; inside ``cache_random_params`` all frames get the same seed and hence the same draws
    (the frames of a clip have the same sizes, so the sequence of draws is the same too). The
    global generator state is restored afterwards.
    """
    _methods_with_randomness: List[str] = []  # own list: filled by @cache_randomness below

    @cache_randomness
    def _draw_seed(self) -> int:
        return int(np.random.randint(2**31 - 1))

    def transform(self, results: dict) -> dict:
        seed = self._draw_seed()
        state = np.random.get_state()
        np.random.seed(seed)
        try:
            return super().transform(results)
        finally:
            np.random.set_state(state)


class SeededMosaic(SeededRandomness, Mosaic):
    """mmdet's Mosaic whose in-transform draws come from a cacheable seed."""


class SeededMixUp(SeededRandomness, MixUp):
    """mmdet's MixUp whose in-transform draws come from a cacheable seed."""


def split_clips(clips: List[Dict[str, list]]) -> List[List[dict]]:
    """``mix_results`` as K clips (dicts of per-frame lists) -> T lists of K frame dicts."""
    num_frames = {len(v) for clip in clips for v in clip.values()}
    if len(num_frames) != 1:
        raise ValueError(f'mixed clips must all have the same number of frames, got {sorted(num_frames)}')
    return [[{k: v[t] for k, v in clip.items()} for clip in clips] for t in range(num_frames.pop())]


class ClipBroadcast(TransformBroadcaster):
    """Apply one mmdet transform (built from ``kwargs``) to every frame of a clip with shared random
    parameters; forwards ``get_indexes`` for mixing transforms."""
    wrapped_type: type

    def __init__(self, **kwargs):
        self.wrapped = self.wrapped_type(**kwargs)
        super().__init__(transforms=[self.wrapped], share_random_params=True)

    def transform(self, results: dict) -> dict:
        if 'mix_results' in results:
            results['mix_results'] = split_clips(results['mix_results'])
        return super().transform(results)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.wrapped!r})'


@MMDET_TRANSFORMS.register_module()
class ClipMosaic(ClipBroadcast):
    """Mosaic of four clips, frame by frame, with one centre (and one apply-or-not) per clip.
    Takes :class:`mmdet.datasets.transforms.Mosaic`'s arguments."""
    wrapped_type = SeededMosaic

    def get_indexes(self, dataset) -> List[int]:
        return self.wrapped.get_indexes(dataset)


@MMDET_TRANSFORMS.register_module()
class ClipMixUp(ClipBroadcast):
    """MixUp of two clips, frame by frame, with one scale jitter, flip and crop per clip.
    Takes :class:`mmdet.datasets.transforms.MixUp`'s arguments."""
    wrapped_type = SeededMixUp

    def get_indexes(self, dataset) -> int:
        return self.wrapped.get_indexes(dataset)


@MMDET_TRANSFORMS.register_module()
class ClipRandomAffine(ClipBroadcast):
    """RandomAffine with one warp per clip. Takes :class:`mmdet.datasets.transforms.RandomAffine`'s
    arguments."""
    wrapped_type = RandomAffine
