"""S-ViT: the temporal-aware spatial encoder of the Streaming Video Model (Zhao et al., CVPR 2023).

Plain PyTorch: it builds, trains and streams without the OpenMMLab stack. Configs build it as
``type='SViT'`` through :mod:`svm.models.backbones.openmmlab`, which adds mmengine's ``init_cfg``.
The model is described in docs/model.md.
"""
import logging
from collections import OrderedDict
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from torch import Tensor, nn

from ..layers import DropPath, KVMemory, ResBottleneckBlock, SpaceTimeAttention, StreamingState, StreamMemory
from .clip_checkpoint import load_clip_visual

logger = logging.getLogger(__name__)

ARCH_SETTINGS = {
    'b16': dict(embed_dims=768, num_layers=12, num_heads=12, patch_size=16),
    'l14': dict(embed_dims=1024, num_layers=24, num_heads=16, patch_size=14),
    # The tiny tracker of the CPU configs, demos and tests (no CLIP weights of this size).
    'tiny': dict(embed_dims=32, num_layers=3, num_heads=2, patch_size=8),
}
OUT_TYPES = ('featmap', 'tokens')


class QuickGELU(nn.Module):
    """CLIP's GELU approximation x * sigmoid(1.702 x)."""

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    """A CLIP transformer block whose attention is :class:`SpaceTimeAttention`.

    Args:
        embed_dims: C.
        num_heads: number of heads.
        drop_path_rate: stochastic depth rate of both residual branches.
        **attn_kwargs: attn_mode, window_size, memory_len, alpha_init, t2d_init.
    """

    def __init__(self, embed_dims: int, num_heads: int, drop_path_rate: float = 0., **attn_kwargs) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(embed_dims)
        self.attn = SpaceTimeAttention(embed_dims, num_heads, **attn_kwargs)
        self.ln_2 = nn.LayerNorm(embed_dims)
        self.mlp = nn.Sequential(
            OrderedDict(c_fc=nn.Linear(embed_dims, 4 * embed_dims), gelu=QuickGELU(),
                        c_proj=nn.Linear(4 * embed_dims, embed_dims)))
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def forward(self, x: Tensor, hw: Tuple[int, int], num_frames: int,
                memory: Optional[StreamMemory] = None) -> Tensor:
        """x: (B * T, P + H * W, C) -> same shape; see :meth:`SpaceTimeAttention.forward`."""
        x = x + self.drop_path(self.attn(self.ln_1(x), hw, num_frames, memory))
        return x + self.drop_path(self.mlp(self.ln_2(x)))


class SViT(nn.Module):
    """S-ViT backbone in the layout and parameter names of CLIP's visual tower (docs/model.md, "S-ViT, the encoder").

    Input and modes:
      - ``(B, C, H, W)``: one streaming step, the next frame of each of B streams. 'stream' blocks append
        the frames' keys/values to the streams' memory and attend to it. The memory is a
        :class:`StreamingState`: the backbone's own by default (call :meth:`reset_memory` at each new
        video), or one given as ``state`` (:meth:`init_state`), e.g. to serve several sets of streams with
        one model: ``outs, state = backbone(frames, state=state)``; ``state.reset(indices)`` starts new
        videos in some streams while the others keep their memory. 'clip' cannot stream.
      - ``(B, T, C, H, W)``: a clip at once (parallel mode), from an empty memory. 'stream' lets frame t
        attend to frames t - L < tau <= t with stop-gradient keys/values, which equals streaming the
        clip frame by frame when memory_len >= T (and the 'fifo' policy otherwise); 'clip' attends to
        the whole clip; 'space' treats the frames independently. Parallel mode neither reads nor changes
        any streaming state.

    Args:
        arch: 'b16' (ViT-B/16), 'l14' (ViT-L/14), 'tiny' (width 32, 3 blocks, 2 heads, patch 8) or a dict
            with embed_dims, num_layers, num_heads, patch_size.
        img_size: pretraining image size; the position embedding has (img_size / patch_size)^2
            patch positions and is resized (bicubic) to the patch map of each input.
        in_channels: image channels.
        attn_mode: 'space' (frame-based), 'stream' (S-ViT) or 'clip' (clip-based).
        window_size: None or 0 for global attention in every block, an int for windows of that side in
            every block, or one such value per block.
        memory_len: L, frames held by each block's memory ('stream').
        memory_policy: 'fifo' (drop the oldest) or 'merge' (average the oldest into the next-oldest).
        with_cls_token: prepend CLIP's class token (global attention only).
        out_indices: blocks whose outputs are returned, in block order (negative counts from the end).
        out_type: 'featmap' -> (N, C, H/p, W/p) patch maps; 'tokens' -> the normed tokens of the block,
            (N, 1 + h*w, C) with the class token first, or (N, h*w, C) without a class token (windowed
            attention), patches in row-major order.
        residual_block_indices: blocks followed by a residual conv bottleneck block.
        drop_path_rate: stochastic depth, increasing linearly to this rate over the blocks.
        with_cp: gradient checkpointing of the blocks in parallel mode (streaming mutates the memory
            during the forward pass, so its steps are not recomputed).
        alpha_init: initial value of T2D's per-channel gate alpha.
        t2d_init: initialisation of T2D's new projections, 'trunc_normal' or 'release' (see
            :class:`SpaceTimeAttention`).
        reuse_clip_ln_post: the norm of the last block's output starts from CLIP's pretrained ``ln_post``
            when ``pretrained`` is loaded (as in the authors' MOT release; it needs the last block in
            ``out_indices``); otherwise every output norm is new.
        pretrained: a CLIP checkpoint (TorchScript archive, OpenAI or open_clip state dict) loaded by
            :meth:`init_weights`.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'b16',
                 img_size: int = 224,
                 in_channels: int = 3,
                 attn_mode: str = 'stream',
                 window_size: Union[None, int, Sequence[Optional[int]]] = None,
                 memory_len: int = 32,
                 memory_policy: str = 'fifo',
                 with_cls_token: bool = True,
                 out_indices: Sequence[int] = (-1, ),
                 out_type: str = 'featmap',
                 residual_block_indices: Sequence[int] = (),
                 drop_path_rate: float = 0.,
                 with_cp: bool = False,
                 alpha_init: float = 1e-4,
                 t2d_init: str = 'trunc_normal',
                 reuse_clip_ln_post: bool = False,
                 pretrained: Optional[str] = None) -> None:
        super().__init__()
        arch = self._parse_arch(arch)
        C, num_layers, p = arch['embed_dims'], arch['num_layers'], arch['patch_size']
        if img_size % p:
            raise ValueError(f'img_size {img_size} is not a multiple of patch_size {p}')
        if out_type not in OUT_TYPES:
            raise ValueError(f'out_type must be one of {OUT_TYPES}, got {out_type!r}')
        window_sizes = self._per_block(window_size, num_layers)
        if with_cls_token and any(window_sizes):
            raise ValueError(f'with_cls_token=True needs global attention (window_size=None), got '
                             f'window_size={window_size!r}: the class token belongs to no window')
        self.embed_dims, self.num_layers, self.patch_size = C, num_layers, p
        self.img_size = img_size
        self.attn_mode = attn_mode
        self.memory_len, self.memory_policy = memory_len, memory_policy
        self.with_cls_token = with_cls_token
        self.out_type = out_type
        self.out_indices = tuple(sorted({self._block_index(i, num_layers, 'out_indices') for i in out_indices}))
        if reuse_clip_ln_post and self.out_indices[-1] != num_layers - 1:
            raise ValueError(f'reuse_clip_ln_post=True puts CLIP\'s ln_post on the last block\'s output, but '
                             f'out_indices {tuple(out_indices)} do not include block {num_layers - 1}')
        self.reuse_clip_ln_post = reuse_clip_ln_post
        self.with_cp = with_cp
        self.pretrained = pretrained

        grid = img_size // p
        self.conv1 = nn.Conv2d(in_channels, C, kernel_size=p, stride=p, bias=False)
        scale = C**-0.5
        if with_cls_token:
            self.class_embedding = nn.Parameter(scale * torch.randn(C))
        self.positional_embedding = nn.Parameter(scale * torch.randn(int(with_cls_token) + grid * grid, C))
        self.ln_pre = nn.LayerNorm(C)
        dpr = [drop_path_rate * i / max(num_layers - 1, 1) for i in range(num_layers)]
        self.transformer = nn.ModuleDict(dict(
            resblocks=nn.ModuleList(
                ResidualAttentionBlock(
                    C, arch['num_heads'], dpr[i], attn_mode=attn_mode, window_size=window_sizes[i],
                    memory_len=memory_len, alpha_init=alpha_init, t2d_init=t2d_init)
                for i in range(num_layers))))
        self.conv_blocks = nn.ModuleDict({
            str(self._block_index(i, num_layers, 'residual_block_indices')): ResBottleneckBlock(C, C // 2)
            for i in residual_block_indices
        })
        self.out_norms = nn.ModuleList(nn.LayerNorm(C) for _ in self.out_indices)
        self._pos_cache: Dict[tuple, Tensor] = {}
        self.stream_state = self.init_state()  # of the calls without a state of their own

    @staticmethod
    def _parse_arch(arch: Union[str, dict]) -> dict:
        if isinstance(arch, str):
            if arch not in ARCH_SETTINGS:
                raise ValueError(f'arch must be one of {sorted(ARCH_SETTINGS)} or a dict, got {arch!r}')
            return ARCH_SETTINGS[arch]
        keys = set(ARCH_SETTINGS['b16'])
        if not isinstance(arch, dict) or set(arch) != keys:
            raise ValueError(f'an arch dict needs exactly the keys {sorted(keys)}, got {arch!r}')
        return dict(arch)

    @staticmethod
    def _block_index(i: int, num_layers: int, name: str) -> int:
        if not -num_layers <= i < num_layers:
            raise ValueError(f'{name} has {i}, out of range for {num_layers} blocks')
        return i % num_layers

    @staticmethod
    def _per_block(window_size, num_layers: int) -> list:
        if window_size is None or isinstance(window_size, int):
            sizes = [window_size] * num_layers
        else:
            sizes = list(window_size)
            if len(sizes) != num_layers:
                raise ValueError(f'window_size has {len(sizes)} entries for {num_layers} blocks')
        for w in sizes:
            if w is not None and (not isinstance(w, int) or w < 0):
                raise ValueError(f'window_size must be None, 0 (global attention) or a positive int per block, '
                                 f'got {window_size!r}')
        return [w or None for w in sizes]

    @property
    def blocks(self) -> nn.ModuleList:
        return self.transformer.resblocks

    def init_weights(self) -> None:
        """Load the CLIP weights of ``pretrained``, if given, and log what was loaded (Python's logging).

        The new parameters keep the initialisation of the constructor, so without ``pretrained`` this
        changes nothing.
        """
        if self.pretrained is not None:
            logger.info(load_clip_visual(self, self.pretrained).summary())

    def init_state(self) -> StreamingState:
        """An empty streaming state for this backbone: a memory of ``memory_len`` frames for each 'stream'
        block (none for 'space'; 'clip' cannot stream). Its buffers are allocated at the first frame, for
        the number of streams, frame size, dtype and device of that frame."""
        return StreamingState([KVMemory(self.memory_len, self.memory_policy) if blk.attn.attn_mode == 'stream'
                               else None for blk in self.blocks])

    @contextmanager
    def streaming_with(self, state: StreamingState) -> Iterator[StreamingState]:
        """Within the block, streaming calls without a ``state`` use ``state`` instead of the backbone's own,
        e.g. to stream several videos through a detector or recogniser that calls the backbone itself."""
        own, self.stream_state = self.stream_state, state
        try:
            yield state
        finally:
            self.stream_state = own

    def reset_memory(self) -> None:
        """Forget all frames of the backbone's own streaming state (at a new video)."""
        self.stream_state.reset()

    @property
    def memory_nbytes(self) -> int:
        """Bytes of the key/value buffers of the backbone's own streaming state (:attr:`KVMemory.nbytes`): 0
        before the first streaming frame and for attn_mode 'space' and 'clip', which keep no memory."""
        return self.stream_state.nbytes

    def _apply(self, fn, *args, **kwargs):
        # .to(), .cuda(), .half() also move the frames the backbone's own state holds, so a video goes on
        super()._apply(fn, *args, **kwargs)
        self.stream_state.apply(fn)
        return self

    def _pos_embed(self, h: int, w: int, dtype: torch.dtype) -> Tensor:
        """(P + h * w, C) position embedding for an h x w patch map, cached while it is not trained."""
        pos = self.positional_embedding
        key = (h, w, dtype, pos.device, pos._version)
        trained = pos.requires_grad and torch.is_grad_enabled()
        if not trained and key in self._pos_cache:
            return self._pos_cache[key]
        num_prefix = int(self.with_cls_token)
        grid = self.img_size // self.patch_size
        patch_pos = pos[num_prefix:]
        if (h, w) != (grid, grid):
            patch_pos = patch_pos.reshape(1, grid, grid, -1).permute(0, 3, 1, 2)
            patch_pos = F.interpolate(patch_pos.float(), size=(h, w), mode='bicubic', align_corners=False)
            patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(h * w, -1)
        out = torch.cat([pos[:num_prefix], patch_pos.to(pos.dtype)]).to(dtype)
        if not trained:
            if len(self._pos_cache) >= 16:  # e.g. multi-scale inputs or a new version of the weights
                self._pos_cache.clear()
            self._pos_cache[key] = out
        return out

    def forward(self, x: Tensor, state: Optional[StreamingState] = None
                ) -> Union[Tuple[Tensor, ...], Tuple[Tuple[Tensor, ...], StreamingState]]:
        """
        Args:
            x: (B, C, H, W), one streaming step (the next frame of B streams), or (B, T, C, H, W), a clip
                (parallel mode).
            state: streaming only: the streams' state (:meth:`init_state`, or a :class:`StreamingState` of
                other memories with :class:`~svm.models.layers.StreamMemory`'s interface, e.g. the tensors
                in and out of the ONNX export in svm/deployment/); None for the backbone's own.
        Returns:
            One tensor per out index, after its LayerNorm, rows frame-major (b * T + t), N = B or B * T:
            (N, C, H/p, W/p) for out_type 'featmap', (N, 1 + h*w, C) for 'tokens' ((N, h*w, C) without
            a class token). With ``state``: ``(outputs, state)``.
        """
        if x.dim() == 4:
            if self.attn_mode == 'clip':
                raise ValueError("attn_mode='clip' attends to the whole clip and cannot stream: give a "
                                 '(B, T, C, H, W) clip, not a (B, C, H, W) frame')
            num_frames = 1
            memories = (self.stream_state if state is None else state).memories
            if len(memories) != self.num_layers:
                raise ValueError(f'the state has {len(memories)} memories for {self.num_layers} blocks')
        elif x.dim() == 5:
            if state is not None:
                raise ValueError('a streaming state serves (B, C, H, W) frames, one step at a time, not a clip')
            num_frames = x.shape[1]
            memories = (None, ) * self.num_layers
            x = x.flatten(0, 1)
        else:
            raise ValueError(f'SViT takes (B, C, H, W) frames or (B, T, C, H, W) clips, got shape '
                             f'{tuple(x.shape)}')

        x = self.conv1(x)  # (N, C, h, w)
        N, C, h, w = x.shape
        x = x.flatten(2).transpose(1, 2)
        if self.with_cls_token:
            x = torch.cat([self.class_embedding.to(x.dtype).expand(N, 1, C), x], dim=1)
        x = self.ln_pre(x + self._pos_embed(h, w, x.dtype))
        num_prefix = int(self.with_cls_token)

        outs = []
        for i, blk in enumerate(self.blocks):
            if self.with_cp and memories[i] is None and torch.is_grad_enabled():
                x = cp.checkpoint(blk, x, (h, w), num_frames, use_reentrant=False)
            else:
                x = blk(x, (h, w), num_frames, memories[i])
            if str(i) in self.conv_blocks:
                patches = x[:, num_prefix:].transpose(1, 2).reshape(N, C, h, w)
                patches = self.conv_blocks[str(i)](patches).flatten(2).transpose(1, 2)
                x = torch.cat([x[:, :num_prefix], patches], dim=1) if num_prefix else patches
            if i in self.out_indices:
                out = self.out_norms[self.out_indices.index(i)](x)
                if self.out_type == 'featmap':
                    out = out[:, num_prefix:].transpose(1, 2).reshape(N, C, h, w)
                outs.append(out)
        return tuple(outs) if state is None else (tuple(outs), state)
