"""The memory of one S-ViT block: a preallocated ring buffer of stop-gradient keys and values."""
from typing import Optional, Tuple

import torch
from torch import Tensor

MEMORY_POLICIES = ('fifo', 'merge')


def to_column_layout(x: Tensor) -> Tensor:
    """Arrange map tokens for the temporal-height axis of T2D.

    Args:
        x: (B, T, nh, wh, nw, ww, heads, hd), a padded map split into nh x nw windows of wh x ww.
    Returns:
        (B * nh * nw * ww, heads, T * wh, hd): one sequence per window column (time x height).
    """
    B, T, nh, wh, nw, ww, heads, hd = x.shape
    return x.permute(0, 2, 4, 5, 6, 1, 3, 7).reshape(B * nh * nw * ww, heads, T * wh, hd)


def to_row_layout(x: Tensor) -> Tensor:
    """Like :func:`to_column_layout` for the temporal-width axis: (B * nh * wh * nw, heads, T * ww, hd)."""
    B, T, nh, wh, nw, ww, heads, hd = x.shape
    return x.permute(0, 2, 3, 4, 6, 1, 5, 7).reshape(B * nh * wh * nw, heads, T * ww, hd)


def from_column_layout(x: Tensor, shape: torch.Size) -> Tensor:
    """Inverse of :func:`to_column_layout`; ``shape`` is the (B, T, nh, wh, nw, ww, heads, hd) map shape."""
    B, T, nh, wh, nw, ww, heads, hd = shape
    return x.view(B, nh, nw, ww, heads, T, wh, hd).permute(0, 5, 1, 6, 2, 3, 4, 7)


def from_row_layout(x: Tensor, shape: torch.Size) -> Tensor:
    """Inverse of :func:`to_row_layout`."""
    B, T, nh, wh, nw, ww, heads, hd = shape
    return x.view(B, nh, wh, nw, heads, T, ww, hd).permute(0, 5, 1, 2, 3, 6, 4, 7)


class KVMemory:
    """Stop-gradient keys and values of the last ``capacity`` frames of one block.

    T2D reads the memory along two axes (time x height and time x width). Each axis needs the frames
    and the positions along it to be one contiguous sequence for scaled_dot_product_attention, so the
    memory keeps keys and values in both layouts, preallocated for ``capacity`` frames: appending a
    frame writes one slot per layout and reading is a strided view, whatever the number of frames.
    The slot order does not matter (T2D has no temporal position), so a full memory is a ring buffer.

    When full, the oldest frame leaves by ``policy``: ``'fifo'`` drops it; ``'merge'`` averages it
    into the next-oldest frame (the public S-ViT release's test-time memory).

    Args:
        capacity: L, the number of frames held (the current one included).
        policy: ``'fifo'`` or ``'merge'``.
    """

    def __init__(self, capacity: int, policy: str = 'fifo') -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f'memory_len must be a positive int, got {capacity!r}')
        if policy not in MEMORY_POLICIES:
            raise ValueError(f'memory_policy must be one of {MEMORY_POLICIES}, got {policy!r}')
        self.capacity = capacity
        self.policy = policy
        self._columns: Optional[Tensor] = None  # (2, B, nh, nw, ww, heads, L, wh, hd): keys, values
        self._rows: Optional[Tensor] = None  # (2, B, nh, wh, nw, heads, L, ww, hd)
        self._frame_shape: Optional[Tuple[int, ...]] = None
        self.num_appended = 0  # frames appended since the last reset

    def __len__(self) -> int:
        """Number of frames currently held."""
        return min(self.num_appended, self.capacity)

    def reset(self) -> None:
        """Forget all frames; the buffers are kept for the next video of the same size."""
        self.num_appended = 0

    def release(self) -> None:
        """Forget all frames and free the buffers."""
        self.reset()
        self._columns = self._rows = self._frame_shape = None

    def _allocate(self, k: Tensor) -> None:
        B, nh, wh, nw, ww, heads, hd = k.shape
        L = self.capacity
        self._columns = k.new_empty(2, B, nh, nw, ww, heads, L, wh, hd)
        self._rows = k.new_empty(2, B, nh, wh, nw, heads, L, ww, hd)
        self._frame_shape = tuple(k.shape)

    def append(self, k: Tensor, v: Tensor) -> None:
        """Add one frame's keys and values (stored detached), making room first when full.

        Args:
            k, v: (B, nh, wh, nw, ww, heads, hd), the frame's patch-token keys and values.
        """
        if self.num_appended == 0:
            if (self._frame_shape != tuple(k.shape) or self._columns.dtype != k.dtype
                    or self._columns.device != k.device
                    or self._columns.is_inference() != torch.is_inference_mode_enabled()):
                self._allocate(k)  # a new video of another size, dtype or device: new buffers
        elif self._frame_shape != tuple(k.shape):
            raise ValueError(
                f'frame of shape {tuple(k.shape)} (B, nh, wh, nw, ww, heads, head_dim) does not match '
                f'the {self._frame_shape} frames in the memory: call reset_memory() before a new video')
        slot = self.num_appended % self.capacity
        if self.num_appended >= self.capacity and self.policy == 'merge':
            next_oldest = (slot + 1) % self.capacity
            for buf in (self._columns, self._rows):
                buf[..., next_oldest, :, :].add_(buf[..., slot, :, :]).mul_(0.5)
        k, v = k.detach(), v.detach()
        self._columns[0, ..., slot, :, :] = k.permute(0, 1, 3, 4, 5, 2, 6)
        self._columns[1, ..., slot, :, :] = v.permute(0, 1, 3, 4, 5, 2, 6)
        self._rows[0, ..., slot, :, :] = k.permute(0, 1, 2, 3, 5, 4, 6)
        self._rows[1, ..., slot, :, :] = v.permute(0, 1, 2, 3, 5, 4, 6)
        self.num_appended += 1

    def read(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Keys and values of the held frames, in the layouts of T2D's two axes.

        Returns:
            k_col, v_col: (B * nh * nw * ww, heads, n * wh, hd); k_row, v_row: (B * nh * wh * nw, heads,
            n * ww, hd), with n = len(self). Views of the buffers; copies when autograd is recording, as
            it keeps them for the backward pass while later frames overwrite the ring buffer.
        """
        if self.num_appended == 0:
            raise RuntimeError('the memory is empty: append the current frame before reading')
        n = len(self)
        B, nh, wh, nw, ww, heads, hd = self._frame_shape
        cols = self._columns[..., :n, :, :].reshape(2, B * nh * nw * ww, heads, n * wh, hd)
        rows = self._rows[..., :n, :, :].reshape(2, B * nh * wh * nw, heads, n * ww, hd)
        if torch.is_grad_enabled():
            cols, rows = cols.clone(), rows.clone()
        return cols[0], cols[1], rows[0], rows[1]
