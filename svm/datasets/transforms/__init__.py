from .clip_augment import ClipMixUp, ClipMosaic, ClipRandomAffine, SeededMixUp, SeededMosaic
from .clip_sampling import ClipFrameSample

__all__ = ['ClipFrameSample', 'ClipMixUp', 'ClipMosaic', 'ClipRandomAffine', 'SeededMixUp', 'SeededMosaic']
