"""The memory of one S-ViT block: a preallocated ring buffer of stop-gradient keys and values (docs/model.md,
"The key/value memory")."""
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

    @property
    def nbytes(self) -> int:
        """Bytes of the preallocated key/value buffers (both layouts), whatever the number of frames held;
        0 before the first frame and after :meth:`release`."""
        if self._columns is None:
            return 0
        return self._columns.nbytes + self._rows.nbytes

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

    def explicit_state(self) -> Tensor:
        """The held frames in :class:`ExplicitKVMemory`'s layout: (2, B, L, Hp, Wp, C), keys then values,
        slot s of the ring buffer at [:, :, s], empty slots zero. With ``num_appended`` as its count, an
        explicit-memory step continues from here exactly as :meth:`append` would (a copy)."""
        if self.num_appended == 0:
            raise RuntimeError('the memory is empty: an explicit memory starts from zeros and count 0')
        B, nh, wh, nw, ww, heads, hd = self._frame_shape
        state = self._columns.permute(0, 1, 6, 2, 7, 3, 4, 5, 8)  # (2, B, L, nh, wh, nw, ww, heads, hd)
        state = state.reshape(2, B, self.capacity, nh * wh, nw * ww, heads * hd).clone()
        state[:, :, len(self):] = 0
        return state

    def read_masks(self) -> Tuple[None, None]:
        """Masks of the keys :meth:`read` returns: none, as it returns only the slots that hold a frame
        (see :meth:`ExplicitKVMemory.read_masks`)."""
        return None, None

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


class ExplicitKVMemory:
    """:class:`KVMemory` as a function of tensors: the memory of one block comes in as a tensor and the
    memory after this frame goes out as one, with no Python control flow on its contents, so that a
    streaming step traces to a graph that is the same at every frame (the ONNX export, see
    svm/deployment/streaming_onnx.py). Use one per block and frame, in place of the block's own memory
    (``SViT.forward(frame, memories=...)``).

    Layout of ``memory``: (2, B, L, Hp, Wp, C): ``[0]`` keys, ``[1]`` values; ``[:, :, s]`` is slot s, one
    frame's keys/values of the (padded, for windowed blocks) patch map, Hp x Wp, channel c = head *
    head_dim + d (the order of the block's key/value projection). ``count`` is the number of frames
    appended since the video started (``KVMemory.num_appended``), as an int64 tensor of one element;
    slot s holds a frame iff s < min(count, L).

    Slots and policies are :class:`KVMemory`'s exactly: frame n (0-based) is written to slot n % L; once
    the memory is full (n >= L) that slot holds the oldest entry, which ``'fifo'`` overwrites and
    ``'merge'`` first averages into the next-oldest entry, slot (n + 1) % L, as (next + oldest) * 0.5.
    T2D has no temporal position, so the slot order changes its result only through which slots merge.
    Reading returns all L slots with masks that leave the empty ones out of the attention.

    Args:
        memory: (2, B, L, Hp, Wp, C), the block's memory before this frame (zeros at a video's start).
        count: frames appended before this one (0 at a video's start), int64, one element.
        policy: ``'fifo'`` or ``'merge'``.

    After :meth:`append`, ``new_memory`` is the memory with this frame, in the same layout.
    """

    def __init__(self, memory: Tensor, count: Tensor, policy: str = 'fifo') -> None:
        if policy not in MEMORY_POLICIES:
            raise ValueError(f'memory_policy must be one of {MEMORY_POLICIES}, got {policy!r}')
        if memory.dim() != 6 or memory.shape[0] != 2:
            raise ValueError(f'memory must be (2, B, L, Hp, Wp, C), keys and values, got {tuple(memory.shape)}')
        if count.numel() != 1:
            raise ValueError(f'count must have one element, got shape {tuple(count.shape)}')
        self.memory = memory
        self.count = count.reshape(())
        self.capacity = memory.shape[2]
        self.policy = policy
        self.new_memory: Optional[Tensor] = None
        self._valid: Optional[Tensor] = None
        self._frame_shape: Optional[Tuple[int, ...]] = None

    def append(self, k: Tensor, v: Tensor) -> None:
        """Compute ``new_memory``: this frame's keys and values (detached) added by the policy.

        Args:
            k, v: (B, nh, wh, nw, ww, heads, hd), the frame's patch-token keys and values.
        """
        if self.new_memory is not None:
            raise RuntimeError('an ExplicitKVMemory takes one frame: make a new one for the next frame')
        B, nh, wh, nw, ww, heads, hd = k.shape
        L = self.capacity
        expected = (2, B, L, nh * wh, nw * ww, heads * hd)
        if tuple(self.memory.shape) != expected:
            raise ValueError(f'memory of shape {tuple(self.memory.shape)} does not fit this block and frame: '
                             f'expected (2, B, L, Hp, Wp, C) = {expected}')
        memory = self.memory
        slots = torch.arange(L, device=memory.device)
        slot = torch.remainder(self.count, L)  # the oldest entry once the memory is full

        def at(selected: Tensor) -> Tensor:  # (L,) -> broadcastable over the memory
            return selected.view(1, 1, L, 1, 1, 1)

        if self.policy == 'merge':
            oldest = memory.index_select(2, slot.view(1))
            merged = (slots == torch.remainder(slot + 1, L)) & (self.count >= L)
            memory = torch.where(at(merged), (memory + oldest) * 0.5, memory)
        frame = torch.stack([k.detach(), v.detach()]).reshape(2, B, 1, nh * wh, nw * ww, heads * hd)
        self.new_memory = torch.where(at(slots == slot), frame.to(memory.dtype), memory)
        self._valid = slots <= self.count  # the slots holding a frame, this one included
        self._frame_shape = tuple(k.shape)

    def read(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """All L slots in :meth:`KVMemory.read`'s layouts: k_col, v_col (B * nh * nw * ww, heads, L * wh, hd),
        k_row, v_row (B * nh * wh * nw, heads, L * ww, hd); the empty slots are masked by :meth:`read_masks`."""
        if self.new_memory is None:
            raise RuntimeError('the memory is empty: append the current frame before reading')
        B, nh, wh, nw, ww, heads, hd = self._frame_shape
        k, v = self.new_memory.view(2, B, self.capacity, nh, wh, nw, ww, heads, hd).unbind(0)
        return to_column_layout(k), to_column_layout(v), to_row_layout(k), to_row_layout(v)

    def read_masks(self) -> Tuple[Tensor, Tensor]:
        """Boolean attention masks (True = attend) over the keys of :meth:`read`: (1, 1, 1, L * wh) for the
        columns and (1, 1, 1, L * ww) for the rows, False at the empty slots."""
        if self._valid is None:
            raise RuntimeError('the memory is empty: append the current frame before reading')
        _, _, wh, _, ww, _, _ = self._frame_shape
        L = self.capacity
        return (self._valid[:, None].expand(L, wh).reshape(1, 1, 1, L * wh),
                self._valid[:, None].expand(L, ww).reshape(1, 1, 1, L * ww))
