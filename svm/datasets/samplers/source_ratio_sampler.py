"""Frame sampling from several datasets at fixed ratios, resampled every epoch."""
import math
from typing import Iterator, Optional, Sequence

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from svm.registry import MMDET_DATA_SAMPLERS


def _find_concat(dataset):
    """The dataset with ``cumulative_sizes`` inside wrappers such as MultiImageMixDataset."""
    inner = dataset
    while not hasattr(inner, 'source_sizes'):
        if not hasattr(inner, 'dataset'):
            raise TypeError(f'SourceRatioSampler needs a VideoFrameConcatDataset (possibly wrapped, e.g. '
                            f'by MultiImageMixDataset), got {type(dataset).__name__}')
        inner = inner.dataset
    return inner


@MMDET_DATA_SAMPLERS.register_module()
class SourceRatioSampler(Sampler):
    """Each epoch, take ``ratios[k]`` x (frames of dataset k) frames of every dataset, shuffled.

    A ratio of 1 takes every frame once; 0.1 takes a fresh random 10% each epoch (MOTSynth in the
    S-ViT recipe); 2.5 takes every frame twice plus a random half. Works in distributed training:
    all ranks draw the same epoch list and take disjoint slices of it.

    Args:
        dataset: a :class:`VideoFrameConcatDataset`, possibly inside MultiImageMixDataset.
        ratios: one non-negative ratio per concatenated dataset.
        seed: random seed shared by all ranks (default: a synchronised random one).
    """

    def __init__(self, dataset, ratios: Sequence[float], seed: Optional[int] = None) -> None:
        self.dataset = dataset
        concat = _find_concat(dataset)
        if not concat._fully_initialized:
            concat.full_init()
        self.sizes = concat.source_sizes()
        if len(ratios) != len(self.sizes):
            raise ValueError(f'SourceRatioSampler: {len(ratios)} ratios given for {len(self.sizes)} '
                             'datasets; give one ratio per dataset')
        if any(r < 0 for r in ratios):
            raise ValueError(f'SourceRatioSampler: ratios must be >= 0, got {list(ratios)}')
        self.ratios = list(ratios)
        self.offsets = np.cumsum([0] + self.sizes[:-1]).tolist()
        self.counts = [int(round(r * n)) for r, n in zip(self.ratios, self.sizes)]
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.num_samples = math.ceil(sum(self.counts) / self.world_size)
        self.total_size = self.num_samples * self.world_size

    def epoch_indices(self, epoch: int) -> np.ndarray:
        """The whole (all-rank) list of global frame indices of one epoch."""
        rng = np.random.default_rng(self.seed + epoch)
        parts = []
        for offset, size, count in zip(self.offsets, self.sizes, self.counts):
            repeats, rest = divmod(count, size) if size else (0, 0)
            local = np.concatenate([np.tile(np.arange(size), repeats), rng.choice(size, rest, replace=False)])
            parts.append(local.astype(np.int64) + offset)
        indices = rng.permutation(np.concatenate(parts))
        # Pad so that every rank gets the same number of samples.
        return np.resize(indices, self.total_size) if len(indices) else indices

    def __iter__(self) -> Iterator[int]:
        indices = self.epoch_indices(self.epoch)[self.rank:self.total_size:self.world_size]
        return iter(indices.tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
