"""What S-ViT's streaming state costs (``tools/analysis_tools/benchmark.py streams``).

- Per frame, with a full memory: 'stream' against 'space' on the same frames, and 'stream' with the memory
  svm kept before (:class:`TwoCopyKVMemory`: a second, contiguous copy of the keys and values for the
  temporal-height axis) against the one copy it keeps now, with the key/value bytes of each.
- Aggregate frames/s of N streams batched (one backbone call of N frames per step, one
  :class:`~svm.models.layers.StreamingState` of N streams) against the same N streams one after another
  (N calls of one frame per step, a state each).

The encoders take turns frame by frame, so that a load from other processes hits them alike. Needs only torch.
"""
from typing import Dict, List, Sequence, Tuple

import torch
from torch import Tensor, nn

from svm.models.layers import KVMemory, StreamingState
from svm.utils.table import markdown_table
from .timing import autocast, device_name, latency_summary, timed

ENCODERS = ('space', 'stream', 'stream, two copies')


class TwoCopyKVMemory(KVMemory):
    """:class:`KVMemory` plus a contiguous copy of the keys and values in the temporal-height layout, as svm kept
    the memory before one copy (each T2D read contiguous, twice the bytes): the reference the benchmark
    measures one copy against. Frames, policies and results are the same."""

    def __init__(self, capacity: int, policy: str = 'fifo') -> None:
        super().__init__(capacity, policy)
        self._columns = None  # (2, B, nh, nw, heads, ww, wh, L, hd)

    @property
    def nbytes(self) -> int:
        return super().nbytes + (0 if self._columns is None else self._columns.nbytes)

    def append(self, k: Tensor, v: Tensor) -> None:
        L, before = self.capacity, self.counts
        super().append(k, v)
        columns = self._buffer.permute(0, 1, 2, 3, 4, 7, 5, 6, 8)  # (2, B, nh, nw, heads, ww, wh, L, hd)
        if (self._columns is None or self._columns.shape != columns.shape or self._columns.dtype != columns.dtype
                or self._columns.device != columns.device):
            self._columns = columns.contiguous()
            return
        touched = {c % L for c in before} | {(c + 1) % L for c in before if c >= L and self.policy == 'merge'}
        for slot in touched:
            self._columns[..., slot, :] = columns[..., slot, :]

    def read(self) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        k_col, v_col, k_row, v_row = super().read()
        n = max(self.lengths)
        if n == self.capacity:  # the copy in the read layout, contiguous
            B, nh, wh, nw, ww, heads, hd = self._frame_shape
            cols = self._columns.reshape(2, B * nh * nw * heads, ww, wh * n, hd)
            k_col, v_col = cols[0], cols[1]
        return k_col, v_col, k_row, v_row


def build_encoders(arch: str, window_size: int, memory_len: int, device: str) -> Dict[str, nn.Module]:
    """'space' and 'stream' S-ViTs of the same weights (memory policy 'merge', as the paper's MOT model)."""
    from svm.models.backbones.svit import SViT
    torch.manual_seed(0)
    kwargs = dict(arch=arch, window_size=window_size or None, with_cls_token=not window_size,
                  memory_len=memory_len, memory_policy='merge')
    stream = SViT(attn_mode='stream', **kwargs).to(device).eval()
    space = SViT(attn_mode='space', **kwargs).to(device).eval()
    space.load_state_dict(stream.state_dict(), strict=False)
    return dict(space=space, stream=stream)


def two_copy_state(stream: nn.Module) -> StreamingState:
    return StreamingState([TwoCopyKVMemory(stream.memory_len, stream.memory_policy) for _ in stream.blocks])


@torch.no_grad()
def per_frame(arch: str, size: Tuple[int, int], window_size: int, memory_len: int, frames: int, device: str,
              dtype: str = 'fp32') -> Dict:
    """Milliseconds per frame of 'space', 'stream' (one copy) and 'stream' with two copies, timed over
    ``frames`` frames once the memory is full (``memory_len`` untimed frames first), and the key/value bytes."""
    encoders = build_encoders(arch, window_size, memory_len, device)
    space, stream = encoders['space'], encoders['stream']
    states = {'stream': stream.init_state(), 'stream, two copies': two_copy_state(stream)}
    video = torch.randn(memory_len + frames, 1, 3, *size, device=device)
    times = {name: [] for name in ENCODERS}
    with autocast(device, dtype):
        for t, frame in enumerate(video):
            for name, state in states.items():
                if t < memory_len:
                    stream(frame, state=state)
                else:
                    times[name].append(timed(lambda: stream(frame, state=state), device) * 1e3)
            if t >= memory_len:
                times['space'].append(timed(lambda: space(frame), device) * 1e3)
    summaries = {name: latency_summary(ms) for name, ms in times.items()}
    space_ms = summaries['space']['median_ms']
    return dict(size=list(size), window_size=window_size, memory_len=memory_len, frames=frames, dtype=dtype,
                encoders={name: dict(summaries[name], ratio_to_space=summaries[name]['median_ms'] / space_ms,
                                     kv_mib=state.nbytes / 2**20 if name in states else 0.)
                          for name, state in [(n, states.get(n)) for n in ENCODERS]})


@torch.no_grad()
def batched_streams(arch: str, size: Tuple[int, int], window_size: int, memory_len: int, streams: Sequence[int],
                    steps: int, device: str, dtype: str = 'fp32') -> List[Dict]:
    """Aggregate frames/s of N streams, for each N of ``streams``: batched (one call of N frames per step) and
    one after another (N calls of one frame), interleaved step by step, after ``memory_len`` untimed steps."""
    stream = build_encoders(arch, window_size, memory_len, device)['stream']
    rows = []
    for n in streams:
        batched = stream.init_state()
        separate = [stream.init_state() for _ in range(n)]
        video = torch.randn(memory_len + steps, n, 3, *size, device=device)
        seconds = {'batched': 0., 'one after another': 0.}
        with autocast(device, dtype):
            for t, frames in enumerate(video):
                took_batched = timed(lambda: stream(frames, state=batched), device)
                took_separate = timed(lambda: [stream(frames[i:i + 1], state=state)
                                               for i, state in enumerate(separate)], device)
                if t >= memory_len:
                    seconds['batched'] += took_batched
                    seconds['one after another'] += took_separate
        fps = {name: n * steps / s for name, s in seconds.items()}
        rows.append(dict(streams=n, batched_fps=fps['batched'], sequential_fps=fps['one after another'],
                         kv_mib=batched.nbytes / 2**20))
    for row in rows:
        row['speedup_over_one_stream'] = row['batched_fps'] / rows[0]['batched_fps']
    return rows


def format_tables(result: Dict) -> str:
    """The per-frame table and the batched-streams table of a :func:`run` result."""
    lines = [f"S-ViT {result['arch']} on {result['device_name']} ({result['dtype']}), medians over the timed frames",
             '', 'Per frame, memory full:', '']
    rows = []
    for case in result['per_frame']:
        h, w = case['size']
        for name in ENCODERS:
            e = case['encoders'][name]
            rows.append([f'{h}x{w}', 'global' if not case['window_size'] else case['window_size'],
                         case['memory_len'], name, f"{e['median_ms']:.1f}", f"{e['p95_ms']:.1f}",
                         f"{e['ratio_to_space']:.2f}", f"{e['kv_mib']:.0f}" if name != 'space' else ''])
    lines.append(markdown_table(['frame', 'window', 'memory', 'encoder', 'median ms', 'p95 ms', 'x space',
                                 'k/v MiB'], rows, align=['left'] * 4 + ['right'] * 4))
    if result['batched']:
        b = result['batched']
        lines += ['', f"{b['size'][0]}x{b['size'][1]}, memory {b['memory_len']}, 'stream': N streams batched "
                  f"(one call per step) vs one after another, {b['steps']} timed steps:", '']
        lines.append(markdown_table(
            ['streams', 'batched frames/s', 'one after another frames/s', 'batched / one after another',
             'batched / 1 stream', 'k/v MiB'],
            [[r['streams'], f"{r['batched_fps']:.1f}", f"{r['sequential_fps']:.1f}",
              f"{r['batched_fps'] / r['sequential_fps']:.2f}", f"{r['speedup_over_one_stream']:.2f}",
              f"{r['kv_mib']:.0f}"] for r in b['rows']], align=['right'] * 6))
    return '\n'.join(lines)


def run(arch: str, cases: Sequence[Tuple[Tuple[int, int], int, int]], frames: int, streams: Sequence[int],
        streams_case: Tuple[Tuple[int, int], int, int], steps: int, device: str, dtype: str = 'fp32',
        log=print) -> Dict:
    """Every per-frame case ``(size, window_size, memory_len)`` and the batched streams of ``streams_case``."""
    result = dict(arch=arch, device=str(device), device_name=device_name(device), dtype=dtype, per_frame=[],
                  batched=None)
    for size, window_size, memory_len in cases:
        log(f'per frame: {size[0]}x{size[1]}, window {window_size or "global"}, memory {memory_len}')
        result['per_frame'].append(per_frame(arch, size, window_size, memory_len, frames, device, dtype))
    if streams:
        size, window_size, memory_len = streams_case
        log(f'batched streams {list(streams)}: {size[0]}x{size[1]}, memory {memory_len}')
        result['batched'] = dict(size=list(size), window_size=window_size, memory_len=memory_len, steps=steps,
                                 rows=batched_streams(arch, size, window_size, memory_len, streams, steps, device,
                                                      dtype))
    return result
