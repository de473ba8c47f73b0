"""Attention of an S-ViT block: intra-frame self-attention plus T2D inter-frame attention (docs/model.md,
"T2D attention")."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .kv_memory import (StreamMemory, causal_frame_mask, column_frames, from_column_layout, from_row_layout,
                        row_frames, to_column_layout, to_row_layout)

ATTN_MODES = ('space', 'stream', 'clip')
T2D_INITS = ('trunc_normal', 'release')


class SpaceTimeAttention(nn.Module):
    """Multi-head attention of one block, named like CLIP's ``nn.MultiheadAttention`` so it loads CLIP.

    ``attn_mode``:
      - ``'space'``: intra-frame self-attention only (the frame-based encoder).
      - ``'stream'``: plus T2D over the block's memory of stop-gradient keys/values of the current and
        previous frames, with new query/output projections (S-ViT).
      - ``'clip'``: plus T2D over all frames of the clip in both directions, with its own
        query/key/value/output projections and gradient (the clip-based encoder).

    T2D: a query at (h, w) attends to the memory tokens (tau, h', w) (temporal-height) and,
    separately, (tau, h, w') (temporal-width), inside its window in windowed blocks;
    y = out_proj(y_space) + alpha * t2d_out_proj(o_th + o_tw), alpha per channel. The class token, if
    any, takes part in the spatial attention only.

    Args:
        embed_dims: C.
        num_heads: number of heads.
        attn_mode: ``'space'``, ``'stream'`` or ``'clip'``.
        window_size: side of the square attention windows, or None for global attention.
        memory_len: L, frames a 'stream' query sees in parallel mode (the memory's length when streaming).
        alpha_init: initial value of alpha.
        t2d_init: initialisation of T2D's new projections: ``'trunc_normal'`` (std 0.02, zero bias, as
            ViT heads) or ``'release'`` (the authors' release: xavier-uniform query (and key/value)
            projections, PyTorch's default Linear initialisation for the output projection, zero biases).
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 attn_mode: str = 'stream',
                 window_size: Optional[int] = None,
                 memory_len: int = 32,
                 alpha_init: float = 1e-4,
                 t2d_init: str = 'trunc_normal') -> None:
        super().__init__()
        if attn_mode not in ATTN_MODES:
            raise ValueError(f'attn_mode must be one of {ATTN_MODES}, got {attn_mode!r}')
        if t2d_init not in T2D_INITS:
            raise ValueError(f't2d_init must be one of {T2D_INITS}, got {t2d_init!r}')
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by num_heads {num_heads}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.attn_mode = attn_mode
        self.window_size = window_size or None
        self.memory_len = memory_len
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dims, embed_dims))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dims))
        self.out_proj = nn.Linear(embed_dims, embed_dims)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.out_proj.bias)
        if attn_mode != 'space':
            self.t2d_q_proj = nn.Linear(embed_dims, embed_dims)
            self.t2d_out_proj = nn.Linear(embed_dims, embed_dims)
            self.t2d_alpha = nn.Parameter(torch.full((embed_dims, ), float(alpha_init)))
            input_linears = [self.t2d_q_proj]
            if attn_mode == 'clip':
                self.t2d_kv_proj = nn.Linear(embed_dims, 2 * embed_dims)
                input_linears.append(self.t2d_kv_proj)
            for linear in input_linears + [self.t2d_out_proj]:
                if t2d_init == 'trunc_normal':
                    nn.init.trunc_normal_(linear.weight, std=0.02)
                elif linear is not self.t2d_out_proj:  # 'release'; its output projection keeps nn.Linear's init
                    nn.init.xavier_uniform_(linear.weight)
                nn.init.zeros_(linear.bias)

    def extra_repr(self) -> str:
        return (f'embed_dims={self.embed_dims}, num_heads={self.num_heads}, attn_mode={self.attn_mode}, '
                f'window_size={self.window_size}, memory_len={self.memory_len}')

    def forward(self, x: Tensor, hw: Tuple[int, int], num_frames: int,
                memory: Optional[StreamMemory] = None) -> Tensor:
        """
        Args:
            x: (B * T, P + H * W, C) normalised tokens, frame-major rows, P = 0 or 1 class token
                (windowed blocks take no class token).
            hw: (H, W), the patch map size.
            num_frames: T (1 when streaming).
            memory: 'stream' only: the block's memory of B streams, for one streaming step (T = 1): the
                frame's keys and values are appended to it and T2D attends to what it holds. Without it,
                'stream' attends causally within the T frames given (parallel mode).
        Returns:
            (B * T, P + H * W, C).
        """
        H, W = hw
        num_prefix = x.shape[1] - H * W
        if self.window_size is None:
            y, patches, k, v = self._global_attention(x, hw)
        else:
            y, patches, k, v = self._window_attention(x, hw)
        y = self.out_proj(y)
        if self.attn_mode != 'space':
            o_t = self._t2d(patches, k, v, hw, num_frames, memory)
            y[:, num_prefix:] += self.t2d_alpha * self.t2d_out_proj(o_t)  # the class token has no T2D
        return y

    def _global_attention(self, x: Tensor, hw: Tuple[int, int]) -> Tuple[Tensor, ...]:
        """Self-attention over all tokens of each frame.

        Returns:
            y: (N, S, C) before the output projection; patches: (N, 1, H, 1, W, C) the normalised patch
            tokens as a one-window map; k, v: (N, 1, H, 1, W, heads, hd) their keys and values.
        """
        (H, W), (N, S, C) = hw, x.shape
        heads, head_dim, num_prefix = self.num_heads, C // self.num_heads, S - H * W
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        q, k, v = qkv.view(N, S, 3, heads, head_dim).permute(2, 0, 3, 1, 4)  # (N, heads, S, hd) each
        y = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(N, S, C)
        patch_k, patch_v = (t[:, :, num_prefix:].transpose(1, 2).reshape(N, 1, H, 1, W, heads, head_dim)
                            for t in (k, v))
        return y, x[:, num_prefix:].reshape(N, 1, H, 1, W, C), patch_k, patch_v

    def _window_attention(self, x: Tensor, hw: Tuple[int, int]) -> Tuple[Tensor, ...]:
        """Self-attention inside windows; as in ViTDet, the normalised map is padded with zeros to whole
        windows and the padded tokens take part.

        Returns:
            y: (N, H * W, C) before the output projection; patches: (N, nh, wh, nw, ww, C) the padded map
            in windows; k, v: (N, nh, wh, nw, ww, heads, hd).
        """
        (H, W), (N, _, C) = hw, x.shape
        heads, head_dim, ws = self.num_heads, C // self.num_heads, self.window_size
        pad_h, pad_w = -H % ws, -W % ws
        nh, nw = (H + pad_h) // ws, (W + pad_w) // ws
        patches = F.pad(x.view(N, H, W, C), (0, 0, 0, pad_w, 0, pad_h)).view(N, nh, ws, nw, ws, C)
        qkv = F.linear(patches, self.in_proj_weight, self.in_proj_bias)
        qkv = qkv.view(N, nh, ws, nw, ws, 3, heads, head_dim)
        q, k, v = qkv.permute(5, 0, 1, 3, 6, 2, 4, 7).reshape(3, N * nh * nw, heads, ws * ws, head_dim)
        y = F.scaled_dot_product_attention(q, k, v)
        y = y.view(N, nh, nw, heads, ws, ws, head_dim).permute(0, 1, 4, 2, 5, 3, 6)
        y = y.reshape(N, H + pad_h, W + pad_w, C)[:, :H, :W].reshape(N, H * W, C)
        return y, patches, qkv[..., 1, :, :], qkv[..., 2, :, :]

    def _t2d(self, patches: Tensor, k: Tensor, v: Tensor, hw: Tuple[int, int], num_frames: int,
             memory: Optional[StreamMemory] = None) -> Tensor:
        """T2D of the map's queries; returns o_th + o_tw, (N, H * W, C), before the output projection.

        Args:
            patches: (N, nh, wh, nw, ww, C), the normalised (padded) patch map in windows.
            k, v: (N, nh, wh, nw, ww, heads, hd), the block's keys and values of the same tokens.
            memory: the streams' memory for a streaming step (see :meth:`forward`).
        """
        (H, W), (N, nh, wh, nw, ww, heads, head_dim) = hw, k.shape
        B, T = N // num_frames, num_frames
        map_shape = (B, T, nh, wh, nw, ww, heads, head_dim)
        q = self.t2d_q_proj(patches).view(map_shape)
        col_mask = row_mask = None
        if memory is not None:
            if self.attn_mode != 'stream':
                raise ValueError(f"a memory serves attn_mode 'stream', not {self.attn_mode!r}")
            if T != 1:
                raise ValueError(f'streaming takes one frame per stream, got {T}')
            memory.append(k, v)
            k_col, v_col, k_row, v_row = memory.read()
            col_mask, row_mask = memory.read_masks()  # None, None unless some stream has empty slots
        else:
            if self.attn_mode == 'clip':  # own keys/values, with gradient, all frames
                k, v = self.t2d_kv_proj(patches).view(*map_shape[:6], 2, heads, head_dim).unbind(6)
            else:  # parallel 'stream': stop-gradient keys/values, frame t sees the L up to t
                k, v = k.detach().view(map_shape), v.detach().view(map_shape)
                if T > 1:
                    cols, rows = column_frames(T, wh, k.device), row_frames(T, ww, k.device)
                    col_mask = causal_frame_mask(cols, cols, self.memory_len)
                    row_mask = causal_frame_mask(rows, rows, self.memory_len)
            k_col, v_col, k_row, v_row = (to_column_layout(k), to_column_layout(v), to_row_layout(k),
                                          to_row_layout(v))
        o_col = F.scaled_dot_product_attention(to_column_layout(q), k_col, v_col, attn_mask=col_mask)
        o_row = F.scaled_dot_product_attention(to_row_layout(q), k_row, v_row, attn_mask=row_mask)
        o_t = from_column_layout(o_col, map_shape) + from_row_layout(o_row, map_shape)
        return o_t.reshape(N, nh * wh, nw * ww, heads * head_dim)[:, :H, :W].reshape(N, H * W, -1)
