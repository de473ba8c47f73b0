"""SourceRatioSampler: every video frame once an epoch, a fresh subset of the other sources each epoch."""
from collections import Counter

import pytest
from mmengine.registry import init_default_scope

from svm.datasets.mot import VideoFrameConcatDataset
from svm.datasets.samplers import SourceRatioSampler

init_default_scope('mmdet')


def test_source_ratio_sampler_resamples_every_epoch(tiny_mot_clip_sources, monkeypatch):
    ds = VideoFrameConcatDataset(tiny_mot_clip_sources([]))
    sampler = SourceRatioSampler(ds, ratios=(1, 0.5), seed=0)
    assert len(sampler) == 14 + 2
    subsets = []
    for epoch in range(4):
        sampler.set_epoch(epoch)
        indices = list(sampler)
        counts = Counter(indices)
        assert sorted(i for i in counts if i < 14) == list(range(14))  # every video frame once
        assert all(c == 1 for c in counts.values())
        subsets.append(frozenset(i for i in indices if i >= 14))
        assert len(subsets[-1]) == 2 and subsets[-1] <= set(range(14, 18))
    assert len(set(subsets)) > 1  # a fresh subset is drawn across epochs
    twice = SourceRatioSampler(ds, ratios=(0, 2), seed=0)
    assert Counter(twice) == {i: 2 for i in range(14, 18)}
    # distributed: two ranks take disjoint halves of the same epoch list
    ranks = []
    for rank in (0, 1):
        monkeypatch.setattr('svm.datasets.samplers.source_ratio_sampler.get_dist_info', lambda r=rank: (r, 2))
        s = SourceRatioSampler(ds, ratios=(1, 0.5), seed=0)
        ranks.append(list(s))
    assert len(ranks[0]) == len(ranks[1]) == 8
    assert sorted(ranks[0] + ranks[1]) == sorted(SourceRatioSampler(ds, ratios=(1, 0.5), seed=0).epoch_indices(0))
    with pytest.raises(ValueError, match='2 datasets'):
        SourceRatioSampler(ds, ratios=(1, ))
