"""The temporal decoder of S-ViT for sequence-based tasks (docs/model.md, "The temporal decoder"), as an
mmaction2 head.

Learnable video queries cross-attend to the per-frame features of the frame encoder (its class tokens,
the mean of its patch tokens or all its patch tokens; an encoder without a class token, such as the
windowed S-ViT of the MOT release, offers only the latter two), which carry a temporal position
embedding; a few pre-norm decoder layers turn the queries into the video-level feature, which a linear
layer classifies. Losses, label smoothing, soft (mixup/cutmix) labels and multi-view score averaging
come from mmaction2's :class:`BaseHead`.
"""
import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmaction.models.heads import BaseHead
from mmaction.utils import ConfigType

from svm.registry import MMACTION_MODELS

FRAME_TOKEN_KINDS = ('cls', 'patch_mean', 'patches')
TEMPORAL_POS_EMBEDS = ('learned', 'sincos', None)


def sincos_temporal_embedding(num_frames: int, dims: int) -> torch.Tensor:
    """Fixed 1-D sine-cosine position embedding of shape (num_frames, dims), as in "Attention is all you
    need"; unlike a learned one it extends to any number of frames."""
    if dims % 2:
        raise ValueError(f'sincos temporal position embedding needs an even width, got {dims}')
    position = torch.arange(num_frames, dtype=torch.float32)[:, None]
    inv_freq = torch.exp(torch.arange(0, dims, 2, dtype=torch.float32) * (-math.log(10000.0) / dims))
    embed = torch.zeros(num_frames, dims)
    embed[:, 0::2] = torch.sin(position * inv_freq)
    embed[:, 1::2] = torch.cos(position * inv_freq)
    return embed


class TemporalDecoderLayer(nn.Module):
    """Pre-norm Transformer decoder layer: (query self-attention), cross-attention to the frame
    features, MLP. Self-attention among the queries exists only when there is more than one query.

    Args:
        dims: width C of queries and frame features.
        num_heads: attention heads.
        num_queries: number of video queries.
        mlp_ratio: hidden width of the MLP relative to ``dims``.
    """

    def __init__(self, dims: int, num_heads: int, num_queries: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        if num_queries > 1:
            self.norm_self = nn.LayerNorm(dims)
            self.self_attn = nn.MultiheadAttention(dims, num_heads, batch_first=True)
        self.norm_query = nn.LayerNorm(dims)
        self.norm_memory = nn.LayerNorm(dims)
        self.cross_attn = nn.MultiheadAttention(dims, num_heads, batch_first=True)
        self.norm_mlp = nn.LayerNorm(dims)
        hidden = int(dims * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dims, hidden), nn.GELU(), nn.Linear(hidden, dims))

    def forward(self, queries: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """queries: (N, Q, C); memory: (N, S, C) frame tokens with their position embedding.
        Returns the updated queries, (N, Q, C)."""
        if hasattr(self, 'self_attn'):
            q = self.norm_self(queries)
            queries = queries + self.self_attn(q, q, q, need_weights=False)[0]
        memory = self.norm_memory(memory)
        queries = queries + self.cross_attn(self.norm_query(queries), memory, memory, need_weights=False)[0]
        return queries + self.mlp(self.norm_mlp(queries))


@MMACTION_MODELS.register_module()
class TemporalDecoderHead(BaseHead):
    """Temporal decoder + linear classifier over the per-frame tokens of a frame encoder.

    Args:
        num_classes: number of action classes.
        in_channels: width C of the frame encoder's tokens (768 for ViT-B).
        num_frames: frames per clip in training; the length of a learned temporal position embedding,
            and so the longest clip such an embedding accepts.
        frame_tokens: which tokens of each frame the decoder reads, any of ``'cls'`` (the class
            token), ``'patch_mean'`` (the mean of the patch tokens) and ``'patches'`` (all h*w patch
            tokens). With more than one kind, a learned type embedding tells them apart.
        with_cls_token: whether each frame's tokens start with a class token, (N, T, 1 + h*w, C), as
            from an S-ViT with ``with_cls_token=True``; False for patch tokens only, (N, T, h*w, C)
            (a windowed S-ViT), which rules out ``'cls'`` in ``frame_tokens``.
        num_layers: decoder layers.
        num_queries: learnable video queries; their outputs are averaged into the video feature.
        num_heads: attention heads of the decoder (default: one per 64 channels).
        mlp_ratio: MLP width of the decoder layers relative to ``in_channels``.
        temporal_pos_embed: ``'learned'`` (one vector per frame index), ``'sincos'`` (fixed) or None.
        dropout_ratio: dropout on the video feature before the classifier.
        loss_cls, label_smooth_eps, topk, average_clips, init_cfg: as in mmaction2's ``BaseHead``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_frames: int,
                 frame_tokens: Sequence[str] = ('cls', ),
                 with_cls_token: bool = True,
                 num_layers: int = 1,
                 num_queries: int = 1,
                 num_heads: Optional[int] = None,
                 mlp_ratio: float = 4.0,
                 temporal_pos_embed: Optional[str] = 'learned',
                 dropout_ratio: float = 0.5,
                 loss_cls: ConfigType = dict(type='CrossEntropyLoss'),
                 average_clips: Optional[str] = 'prob',
                 init_cfg: ConfigType = dict(type='TruncNormal', layer='Linear', std=0.02),
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, loss_cls=loss_cls, average_clips=average_clips,
                         init_cfg=init_cfg, **kwargs)
        frame_tokens = tuple(frame_tokens)
        unknown = [kind for kind in frame_tokens if kind not in FRAME_TOKEN_KINDS]
        if not frame_tokens or unknown or len(set(frame_tokens)) != len(frame_tokens):
            raise ValueError(f'TemporalDecoderHead: frame_tokens must be distinct kinds out of '
                             f'{FRAME_TOKEN_KINDS}, got {frame_tokens}')
        if 'cls' in frame_tokens and not with_cls_token:
            raise ValueError(f"TemporalDecoderHead: frame_tokens {frame_tokens} read the class token ('cls'), "
                             "but with_cls_token=False says the frames have none; use 'patch_mean' or 'patches'")
        if temporal_pos_embed not in TEMPORAL_POS_EMBEDS:
            raise ValueError(f'TemporalDecoderHead: temporal_pos_embed must be one of '
                             f'{TEMPORAL_POS_EMBEDS}, got {temporal_pos_embed!r}')
        if num_layers < 1 or num_queries < 1 or num_frames < 1:
            raise ValueError('TemporalDecoderHead: num_layers, num_queries and num_frames must be >= 1, got '
                             f'{num_layers}, {num_queries}, {num_frames}')
        num_heads = num_heads or max(1, in_channels // 64)
        if in_channels % num_heads:
            raise ValueError(f'TemporalDecoderHead: in_channels={in_channels} is not divisible by '
                             f'num_heads={num_heads}')
        self.num_frames = num_frames
        self.frame_tokens = frame_tokens
        self.num_prefix_tokens = int(with_cls_token)
        self.temporal_pos_embed_type = temporal_pos_embed

        self.queries = nn.Parameter(torch.zeros(1, num_queries, in_channels))
        nn.init.trunc_normal_(self.queries, std=0.02)
        if temporal_pos_embed == 'learned':
            self.temporal_pos_embed = nn.Parameter(torch.zeros(num_frames, in_channels))
            nn.init.trunc_normal_(self.temporal_pos_embed, std=0.02)
        if len(frame_tokens) > 1:
            self.token_type_embed = nn.Parameter(torch.zeros(len(frame_tokens), in_channels))
            nn.init.trunc_normal_(self.token_type_embed, std=0.02)
        self.layers = nn.ModuleList(
            TemporalDecoderLayer(in_channels, num_heads, num_queries, mlp_ratio) for _ in range(num_layers))
        self.norm = nn.LayerNorm(in_channels)
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio > 0 else nn.Identity()
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def frame_memory(self, x: torch.Tensor) -> torch.Tensor:
        """The tokens the decoder reads, with their position and type embeddings.

        x: (N, T, P + h*w, C) encoder tokens of T frames, class token first if there is one (P = 1 with
            ``with_cls_token``, else 0).
        Returns (N, T * k, C), frame-major, k tokens per frame (k = 1 per 'cls' / 'patch_mean', h*w for 'patches').
        """
        if x.dim() != 4:
            raise ValueError(f'TemporalDecoderHead expects frame tokens of shape (N, T, P + h*w, C), '
                             f'got {tuple(x.shape)}')
        num_frames = x.shape[1]
        patches = x[:, :, self.num_prefix_tokens:]
        parts = []
        for kind in self.frame_tokens:
            if kind == 'cls':
                parts.append(x[:, :, :1])
            elif kind == 'patch_mean':
                parts.append(patches.mean(dim=2, keepdim=True))
            else:  # 'patches'
                parts.append(patches)
        if hasattr(self, 'token_type_embed'):
            parts = [part + self.token_type_embed[i] for i, part in enumerate(parts)]
        tokens = torch.cat(parts, dim=2)  # (N, T, k, C)
        if self.temporal_pos_embed_type == 'learned':
            if num_frames > self.num_frames:
                raise ValueError(f'TemporalDecoderHead: a clip of {num_frames} frames is longer than the learned '
                                 f'temporal position embedding (num_frames={self.num_frames})')
            tokens = tokens + self.temporal_pos_embed[:num_frames, None]
        elif self.temporal_pos_embed_type == 'sincos':
            embed = sincos_temporal_embedding(num_frames, x.shape[-1]).to(tokens)
            tokens = tokens + embed[:, None]
        return tokens.flatten(1, 2)

    def video_feature(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, T, P + h*w, C) frame tokens (see :meth:`frame_memory`) -> (N, C) video-level feature."""
        memory = self.frame_memory(x)
        queries = self.queries.expand(x.shape[0], -1, -1)
        for layer in self.layers:
            queries = layer(queries, memory)
        return self.norm(queries).mean(dim=1)

    def forward(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """x: (N, T, P + h*w, C) frame tokens of N clips (P = 1 with a class token, else 0) -> (N, num_classes)
        class scores."""
        return self.fc_cls(self.dropout(self.video_feature(x)))
