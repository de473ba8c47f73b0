"""The streaming memory of S-ViT: per block, a preallocated ring buffer of stop-gradient keys and values for
B streams, and :class:`StreamingState`, the memories of all blocks (docs/model.md, "The key/value memory").

T2D reads the memory along two axes: a query at (h, w) attends to the keys (tau, h', w) (temporal-height,
"columns") and (tau, h, w') (temporal-width, "rows"). :func:`to_column_layout` and :func:`to_row_layout`
put a map into the batched sequences scaled_dot_product_attention takes; the ring buffer keeps one copy of
the keys and values, laid out so that both are strided views of it: (B, nh, nw, heads, wh, L, ww, hd), a
column being the (wh, L) positions at one ww (one stride apart) and a row the (L, ww) positions at one wh.
"""
from typing import Callable, List, Optional, Protocol, Sequence, Tuple, Union

import torch
from torch import Tensor

MEMORY_POLICIES = ('fifo', 'merge')


def to_column_layout(x: Tensor) -> Tensor:
    """Arrange map tokens for the temporal-height axis of T2D.

    Args:
        x: (B, T, nh, wh, nw, ww, heads, hd), a padded map split into nh x nw windows of wh x ww.
    Returns:
        (B * nh * nw * heads, ww, wh * T, hd): one sequence per window column, positions (h, t) h-major.
    """
    B, T, nh, wh, nw, ww, heads, hd = x.shape
    return x.permute(0, 2, 4, 6, 5, 3, 1, 7).reshape(B * nh * nw * heads, ww, wh * T, hd)


def to_row_layout(x: Tensor) -> Tensor:
    """Like :func:`to_column_layout` for the temporal-width axis: (B * nh * nw * heads, wh, T * ww, hd),
    positions (t, w) t-major."""
    B, T, nh, wh, nw, ww, heads, hd = x.shape
    return x.permute(0, 2, 4, 6, 3, 1, 5, 7).reshape(B * nh * nw * heads, wh, T * ww, hd)


def from_column_layout(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Inverse of :func:`to_column_layout`; ``shape`` is the (B, T, nh, wh, nw, ww, heads, hd) map shape."""
    B, T, nh, wh, nw, ww, heads, hd = shape
    return x.view(B, nh, nw, heads, ww, wh, T, hd).permute(0, 6, 1, 5, 2, 4, 3, 7)


def from_row_layout(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Inverse of :func:`to_row_layout`."""
    B, T, nh, wh, nw, ww, heads, hd = shape
    return x.view(B, nh, nw, heads, wh, T, ww, hd).permute(0, 5, 1, 4, 2, 6, 3, 7)


def column_frames(num_frames: int, wh: int, device: Optional[torch.device] = None) -> Tensor:
    """The frame of each position of a :func:`to_column_layout` sequence: (wh * T,)."""
    return torch.arange(num_frames, device=device).repeat(wh)


def row_frames(num_frames: int, ww: int, device: Optional[torch.device] = None) -> Tensor:
    """The frame of each position of a :func:`to_row_layout` sequence: (T * ww,)."""
    return torch.arange(num_frames, device=device).repeat_interleave(ww)


def causal_frame_mask(query_frames: Tensor, key_frames: Tensor, memory_len: int) -> Tensor:
    """Boolean (queries, keys) mask letting a query of frame t see keys of frames t - L < tau <= t (True =
    attend): what a streaming memory of length L holds at frame t under the 'fifo' policy."""
    delay = query_frames[:, None] - key_frames[None, :]
    return (delay >= 0) & (delay < memory_len)


class StreamMemory(Protocol):
    """What T2D needs of a block's memory while streaming: add the current frame, then read all held frames.
    :class:`KVMemory` (the model's own, mutable) and :class:`ExplicitKVMemory` (tensors in and out, for the
    ONNX export) implement it."""

    def append(self, k: Tensor, v: Tensor) -> None:
        """Add the frame's keys and values, (B, nh, wh, nw, ww, heads, hd)."""

    def read(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """k_col, v_col in :func:`to_column_layout`'s and k_row, v_row in :func:`to_row_layout`'s layout over
        the held frames."""

    def read_masks(self) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        """Boolean masks (True = attend) of the keys of :meth:`read` that hold no frame, or None for none."""


def _stream_masks(valid: Tensor, wh: int, ww: int, repeats: int) -> Tuple[Tensor, Tensor]:
    """Attention masks over column and row keys from the held slots of each stream, ``valid`` (B, n):
    (B * repeats, 1, 1, wh * n) and (B * repeats, 1, 1, n * ww), repeats = nh * nw * heads."""
    B, n = valid.shape
    col = valid[:, None, :].expand(B, wh, n).reshape(B, 1, 1, 1, wh * n)
    row = valid[:, :, None].expand(B, n, ww).reshape(B, 1, 1, 1, n * ww)
    return (col.expand(B, repeats, 1, 1, wh * n).reshape(B * repeats, 1, 1, wh * n),
            row.expand(B, repeats, 1, 1, n * ww).reshape(B * repeats, 1, 1, n * ww))


class KVMemory:
    """Stop-gradient keys and values of the last ``capacity`` frames of one block, for B streams.

    One buffer of (2, B, nh, nw, heads, wh, L, ww, hd) (keys, values), preallocated at the first frame:
    appending a frame writes one slot per stream, and both of T2D's reads are strided views of the buffer
    once it is full (before that, the columns of the first frames are copied). The slot order does not
    matter (T2D has no temporal position), so a full memory is a ring buffer.

    Each stream has its own count of frames: :meth:`reset` starts new videos in some streams while the
    others keep theirs; keys of slots a stream has not filled yet are masked out of its attention. All
    streams share the frame size; a new size, dtype or device takes effect when every stream is reset.

    When full, the oldest frame leaves by ``policy``: ``'fifo'`` drops it; ``'merge'`` averages it into
    the next-oldest frame (the public S-ViT release's test-time memory).

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
        self._buffer: Optional[Tensor] = None  # (2, B, nh, nw, heads, wh, L, ww, hd)
        self._frame_shape: Optional[Tuple[int, ...]] = None  # (B, nh, wh, nw, ww, heads, hd)
        self._counts: List[int] = []  # frames appended to each stream since its reset

    @property
    def counts(self) -> Tuple[int, ...]:
        """Frames appended to each stream since its last reset (empty before the first frame)."""
        return tuple(self._counts)

    @property
    def lengths(self) -> Tuple[int, ...]:
        """Frames held for each stream."""
        return tuple(min(c, self.capacity) for c in self._counts)

    @property
    def nbytes(self) -> int:
        """Bytes of the preallocated key/value buffer, whatever the number of frames held; 0 before the
        first frame and after :meth:`release`."""
        return 0 if self._buffer is None else self._buffer.nbytes

    def reset(self, indices: Optional[Sequence[int]] = None) -> None:
        """Forget the frames of the streams ``indices`` (all if None); the buffer is kept. Before the first
        frame there is nothing to forget."""
        if indices is None or not self._counts:
            self._counts = [0] * len(self._counts)
            return
        for i in self._streams(indices):
            self._counts[i] = 0

    def _streams(self, indices: Sequence[int]) -> List[int]:
        indices = [int(i) for i in indices]
        for i in indices:
            if not 0 <= i < len(self._counts):
                raise IndexError(f'stream {i} does not exist: the memory holds {len(self._counts)} streams')
        return indices

    def release(self) -> None:
        """Forget all frames and free the buffer."""
        self._buffer = self._frame_shape = None
        self._counts = []

    def keep(self, indices: Sequence[int]) -> None:
        """Keep only the streams ``indices``, in that order (the others end; a copy of their frames)."""
        indices = self._streams(indices)
        if self._buffer is not None:
            self._buffer = self._buffer[:, torch.tensor(indices, dtype=torch.long, device=self._buffer.device)]
            self._frame_shape = (len(indices), *self._frame_shape[1:])
        self._counts = [self._counts[i] for i in indices]

    def add_streams(self, num: int) -> None:
        """Add ``num`` streams after the others, with no frames (a copy of the buffer). Before the first frame
        there is nothing to add to: the first frames set the number of streams."""
        if self._buffer is None:
            return
        empty = self._buffer.new_zeros(2, num, *self._buffer.shape[2:])
        self._buffer = torch.cat([self._buffer, empty], 1)
        self._frame_shape = (self._frame_shape[0] + num, *self._frame_shape[1:])
        self._counts += [0] * num

    def apply(self, fn: Callable[[Tensor], Tensor]) -> None:
        """Apply ``fn`` to the buffer (a device or dtype move, as ``nn.Module._apply``); frames are kept."""
        if self._buffer is not None:
            self._buffer = fn(self._buffer)

    def _fits(self, k: Tensor) -> bool:
        buf = self._buffer
        return (buf is not None and self._frame_shape == tuple(k.shape) and buf.dtype == k.dtype
                and buf.device == k.device and buf.is_inference() == torch.is_inference_mode_enabled())

    def append(self, k: Tensor, v: Tensor) -> None:
        """Add one frame of each stream (stored detached), making room first where a stream is full.

        Args:
            k, v: (B, nh, wh, nw, ww, heads, hd), the frame's patch-token keys and values.
        """
        if not any(self._counts):
            if not self._fits(k):  # every stream starts anew: buffers for this size, dtype and device
                B, nh, wh, nw, ww, heads, hd = k.shape
                self._buffer = k.new_empty(2, B, nh, nw, heads, wh, self.capacity, ww, hd)
                self._frame_shape = tuple(k.shape)
            self._counts = [0] * k.shape[0]
        elif self._frame_shape != tuple(k.shape):
            if self._frame_shape[0] != k.shape[0]:
                raise ValueError(f'frames of {k.shape[0]} streams for a memory of {self._frame_shape[0]}: reset '
                                 'every stream before changing their number')
            raise ValueError(
                f'frame of shape {tuple(k.shape)} (B, nh, wh, nw, ww, heads, head_dim) does not match '
                f'the {self._frame_shape} frames in the memory: reset every stream (reset_memory()) before a '
                'video of another size')
        # buffer order without the slot dim, (B, nh, nw, heads, wh, ww, hd): views, copied once into the slot
        frame = [x.detach().permute(0, 1, 3, 5, 2, 4, 6) for x in (k, v)]
        L, buf = self.capacity, self._buffer
        # streams that write the same slot and merge alike are updated together (usually all of them)
        groups = {}
        for b, count in enumerate(self._counts):
            groups.setdefault((count % L, count >= L and self.policy == 'merge'), []).append(b)
        for (slot, merge), streams in groups.items():
            index = slice(None) if len(streams) == len(self._counts) else torch.tensor(streams, device=buf.device)
            if merge:
                next_oldest = (slot + 1) % L
                buf[:, index, ..., next_oldest, :, :] = (buf[:, index, ..., next_oldest, :, :]
                                                         + buf[:, index, ..., slot, :, :]) * 0.5
            for i, x in enumerate(frame):
                buf[i, index, ..., slot, :, :] = x[index]
        self._counts = [c + 1 for c in self._counts]

    def read(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Keys and values of the held frames, in the layouts of T2D's two axes.

        Returns:
            k_col, v_col: (B * nh * nw * heads, ww, wh * n, hd); k_row, v_row: (B * nh * nw * heads, wh,
            n * ww, hd), n the most frames any stream holds (:meth:`read_masks` leaves out the slots a stream
            has not filled). Views of the buffer once it is full; copies when autograd is recording, as it
            keeps them for the backward pass while later frames overwrite the ring buffer.
        """
        n = max(self.lengths, default=0)
        if n == 0:
            raise RuntimeError('the memory is empty: append the current frame before reading')
        B, nh, wh, nw, ww, heads, hd = self._frame_shape
        held = self._buffer[..., :n, :, :]  # (2, B, nh, nw, heads, wh, n, ww, hd)
        cols = held.permute(0, 1, 2, 3, 4, 7, 5, 6, 8).reshape(2, B * nh * nw * heads, ww, wh * n, hd)
        rows = held.reshape(2, B * nh * nw * heads, wh, n * ww, hd)
        if torch.is_grad_enabled():
            cols, rows = cols.clone(), rows.clone()
        return cols[0], cols[1], rows[0], rows[1]

    def read_masks(self) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        """Masks of the keys of :meth:`read`: None, None when every stream holds as many frames as read
        returns, else boolean masks (True = attend), (B * nh * nw * heads, 1, 1, wh * n) for the columns and
        (B * nh * nw * heads, 1, 1, n * ww) for the rows, False at the slots a stream has not filled."""
        lengths = self.lengths
        n = max(lengths, default=0)
        if all(length == n for length in lengths):
            return None, None
        _, nh, wh, nw, ww, heads, _ = self._frame_shape
        valid = torch.arange(n) < torch.tensor(lengths)[:, None]  # slots fill from 0 until the memory is full
        return _stream_masks(valid.to(self._buffer.device), wh, ww, nh * nw * heads)

    def explicit_state(self) -> Tensor:
        """The held frames in :class:`ExplicitKVMemory`'s layout: (2, B, L, Hp, Wp, C), keys then values,
        slot s of the ring buffer at [:, :, s], empty slots zero. With the streams' common count as its
        count, an explicit-memory step continues from here exactly as :meth:`append` would (a copy)."""
        if not any(self._counts):
            raise RuntimeError('the memory is empty: an explicit memory starts from zeros and count 0')
        if len(set(self._counts)) > 1:
            raise ValueError(f'the streams hold different numbers of frames {self.counts}; an explicit memory '
                             'has one count for all of them')
        B, nh, wh, nw, ww, heads, hd = self._frame_shape
        state = self._buffer.permute(0, 1, 6, 2, 5, 3, 7, 4, 8)  # (2, B, L, nh, wh, nw, ww, heads, hd)
        state = state.reshape(2, B, self.capacity, nh * wh, nw * ww, heads * hd).clone()
        state[:, :, self.lengths[0]:] = 0
        return state


class ExplicitKVMemory:
    """:class:`KVMemory` as a function of tensors: the memory of one block comes in as a tensor and the
    memory after this frame goes out as one, with no Python control flow on its contents, so that a
    streaming step traces to a graph that is the same at every frame (the ONNX export, see
    svm/deployment/streaming_onnx.py). Use one per block and frame in a :class:`StreamingState` given to
    ``SViT.forward(frame, state=...)``.

    Layout of ``memory``: (2, B, L, Hp, Wp, C): ``[0]`` keys, ``[1]`` values; ``[:, :, s]`` is slot s, one
    frame's keys/values of the (padded, for windowed blocks) patch map, Hp x Wp, channel c = head *
    head_dim + d (the order of the block's key/value projection). ``count`` is the number of frames
    appended since the video started (:attr:`KVMemory.counts`, the same for all B), as an int64 tensor of
    one element; slot s holds a frame iff s < min(count, L).

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
        """All L slots in :meth:`KVMemory.read`'s layouts: k_col, v_col (B * nh * nw * heads, ww, wh * L, hd),
        k_row, v_row (B * nh * nw * heads, wh, L * ww, hd); the empty slots are masked by :meth:`read_masks`."""
        if self.new_memory is None:
            raise RuntimeError('the memory is empty: append the current frame before reading')
        B, nh, wh, nw, ww, heads, hd = self._frame_shape
        k, v = self.new_memory.view(2, B, self.capacity, nh, wh, nw, ww, heads, hd).unbind(0)
        return to_column_layout(k), to_column_layout(v), to_row_layout(k), to_row_layout(v)

    def read_masks(self) -> Tuple[Tensor, Tensor]:
        """Boolean attention masks (True = attend) over the keys of :meth:`read`: (1, 1, 1, wh * L) for the
        columns and (1, 1, 1, L * ww) for the rows, False at the empty slots."""
        if self._valid is None:
            raise RuntimeError('the memory is empty: append the current frame before reading')
        _, _, wh, _, ww, _, _ = self._frame_shape
        col, row = _stream_masks(self._valid[None], wh, ww, 1)
        return col, row


class StreamingState:
    """What an S-ViT remembers of its streams between frames: one memory per block, None for the blocks
    without one ('space' blocks).

    ``SViT.init_state()`` makes one; ``outs, state = backbone(frames, state=state)`` streams the next frame
    of each of B streams through it; :meth:`reset` starts new videos in some streams while the others keep
    their memory, :meth:`keep` ends streams and :meth:`add_streams` opens new ones. The backbone keeps one of
    its own for calls without ``state`` (mmdet's predict path; ``SViT.streaming_with`` swaps in another).

    Args:
        memories: one :class:`StreamMemory` (or None) per block.
    """

    def __init__(self, memories: Sequence[Optional[StreamMemory]]) -> None:
        self.memories = tuple(memories)

    def reset(self, indices: Optional[Union[Sequence[int], Tensor]] = None) -> None:
        """Start new videos in the streams ``indices`` (all if None): they forget their frames."""
        if isinstance(indices, Tensor):
            indices = indices.flatten().tolist()
        for memory in self.memories:
            if memory is not None:
                memory.reset(indices)

    def release(self) -> None:
        """Forget every stream and free the buffers."""
        for memory in self.memories:
            if memory is not None:
                memory.release()

    def keep(self, indices: Sequence[int]) -> None:
        """Keep only the streams ``indices``, in that order: the others end."""
        for memory in self.memories:
            if memory is not None:
                memory.keep(indices)

    def add_streams(self, num: int) -> None:
        """Add ``num`` streams after the others, each at the start of a video."""
        for memory in self.memories:
            if memory is not None:
                memory.add_streams(num)

    def apply(self, fn: Callable[[Tensor], Tensor]) -> 'StreamingState':
        """Apply ``fn`` to every buffer, as ``nn.Module._apply``; returns the state."""
        for memory in self.memories:
            if memory is not None:
                memory.apply(fn)
        return self

    def to(self, *args, **kwargs) -> 'StreamingState':
        """Move the buffers as ``Tensor.to(*args, **kwargs)`` does (device, dtype); frames are kept. In place;
        returns the state."""
        return self.apply(lambda t: t.to(*args, **kwargs))

    @property
    def counts(self) -> Tuple[int, ...]:
        """Frames each stream has seen since its reset (empty before the first frame or without memories)."""
        return next((m.counts for m in self.memories if m is not None), ())

    @property
    def lengths(self) -> Tuple[int, ...]:
        """Frames each stream holds now (the memories of all blocks hold the same frames)."""
        return next((m.lengths for m in self.memories if m is not None), ())

    @property
    def nbytes(self) -> int:
        """Bytes of all blocks' key/value buffers."""
        return sum(m.nbytes for m in self.memories if m is not None)
