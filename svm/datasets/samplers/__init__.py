from .source_ratio_sampler import SourceRatioSampler

__all__ = ['SourceRatioSampler']
