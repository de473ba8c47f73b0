from .conv_block import LayerNorm2d, ResBottleneckBlock
from .kv_memory import KVMemory
from .t2d_attention import SpaceTimeAttention

__all__ = ['KVMemory', 'LayerNorm2d', 'ResBottleneckBlock', 'SpaceTimeAttention']
