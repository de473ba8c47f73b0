from svm.utils import mmaction_compat  # noqa: F401  (before mmaction.models is imported)
from .temporal_decoder_head import TemporalDecoderHead, TemporalDecoderLayer, sincos_temporal_embedding

__all__ = ['TemporalDecoderHead', 'TemporalDecoderLayer', 'sincos_temporal_embedding']
