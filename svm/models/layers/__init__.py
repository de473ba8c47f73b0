"""The layers of S-ViT (torch only): T2D attention, its key/value memory and the streaming state, the residual
conv blocks and stochastic depth."""
from .conv_block import LayerNorm2d, ResBottleneckBlock
from .drop_path import DropPath, drop_path
from .kv_memory import ExplicitKVMemory, KVMemory, StreamingState, StreamMemory
from .t2d_attention import SpaceTimeAttention

__all__ = ['DropPath', 'ExplicitKVMemory', 'KVMemory', 'LayerNorm2d', 'ResBottleneckBlock', 'SpaceTimeAttention',
           'StreamMemory', 'StreamingState', 'drop_path']
