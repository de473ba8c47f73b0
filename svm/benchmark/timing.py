"""Timing and memory measurements shared by the benchmarks of svm/benchmark/ and the experiments of
svm/experiments/: timed calls, peak memory, the one latency summary, the device's name, the size of a
streaming encoder's memory.

Times are wall-clock seconds around a call, with the CUDA device synchronised before and after, so
that a GPU's asynchronous kernels are counted where they run. Peak memory: on CUDA the most torch
allocated since :func:`reset_peak`; on the CPU the process's peak resident set size so far (it only
grows, and :func:`reset_peak` cannot lower it), read with :mod:`resource` (no psutil needed).
"""
import contextlib
import platform
import resource
import sys
import time
from typing import Callable, ContextManager, Dict, List, Sequence, Tuple

import torch

DTYPES = {'fp32': torch.float32, 'fp16': torch.float16, 'bf16': torch.bfloat16}


def is_cuda(device) -> bool:
    return str(device).startswith('cuda')


def synchronize(device) -> None:
    """Wait for the CUDA device's queued work (nothing on the CPU)."""
    if is_cuda(device):
        torch.cuda.synchronize(device)


def autocast(device, dtype: str) -> ContextManager:
    """``torch.autocast`` to ``dtype`` (a key of :data:`DTYPES`) on the device's type; 'fp32' runs as is."""
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {list(DTYPES)}, got {dtype!r}')
    if dtype == 'fp32':
        return contextlib.nullcontext()
    return torch.autocast(device_type=str(device).split(':')[0], dtype=DTYPES[dtype])


def device_name(device) -> str:
    """The CUDA device's name, or ``CPU <processor> (<n> threads)`` (the threads torch computes with)."""
    if is_cuda(device):
        return torch.cuda.get_device_name(device)
    return f'CPU {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)'


def reset_peak(device) -> None:
    """Start a new CUDA peak-memory window (the CPU's peak RSS cannot be reset)."""
    if is_cuda(device):
        torch.cuda.reset_peak_memory_stats(device)


def cpu_peak_rss_mib() -> float:
    """The peak resident set size of this process so far, in MiB (``ru_maxrss``: KiB on Linux, bytes
    on macOS)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == 'darwin' else maxrss / 2**10


def peak_mib(device) -> float:
    """CUDA: the most torch allocated since the last :func:`reset_peak`; CPU: :func:`cpu_peak_rss_mib`."""
    if is_cuda(device):
        return torch.cuda.max_memory_allocated(device) / 2**20
    return cpu_peak_rss_mib()


def timed(fn: Callable, device) -> float:
    """Seconds that ``fn()`` takes, the device synchronised before and after."""
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def device_busy(fn: Callable, device, repeats: int = 4) -> Dict[str, float]:
    """GPU time and kernel launches per call of ``fn``, from torch.profiler over ``repeats`` calls: the kernels'
    summed time against the wall time says whether a step waits on the GPU or on the CPU that launches its
    kernels. On a CPU: an empty dict."""
    if not is_cuda(device):
        return {}
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile
    synchronize(device)
    start = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(repeats):
            fn()
        synchronize(device)
    wall_ms = (time.perf_counter() - start) * 1e3 / repeats
    kernels = [event for event in prof.events() if event.device_type == DeviceType.CUDA]
    busy_ms = sum(event.time_range.elapsed_us() for event in kernels) / 1e3 / repeats
    return dict(gpu_busy_ms=busy_ms, kernels=len(kernels) / repeats, profiled_wall_ms=wall_ms)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, nearest rank (one of the values)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError('percentile of no values')
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of values against their index (0 for fewer than 2 values)."""
    n = len(values)
    if n < 2:
        return 0.
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    cov = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    return cov / sum((i - mean_x)**2 for i in range(n))


def latency_summary(ms: Sequence[float]) -> Dict[str, float]:
    """Median, p95 (nearest rank), mean, min and max of per-frame times in milliseconds, frames per second from
    the mean (what a stream of frames sustains), and the slope of a line fitted to the times along the frames in
    ms per 100 frames (flat: no growth along the video)."""
    ms = list(ms)
    if not ms:
        raise ValueError('latency_summary of no times')
    mean = sum(ms) / len(ms)
    return dict(median_ms=percentile(ms, 50), p95_ms=percentile(ms, 95), mean_ms=mean, min_ms=min(ms),
                max_ms=max(ms), fps=1e3 / mean if mean > 0 else float('inf'),
                slope_ms_per_100_frames=100 * slope(ms))


class ModuleTimer:
    """Wall and process CPU time of every call of a module, recorded by forward hooks while it runs inside a
    bigger model.

    ``times`` (wall seconds) and ``cpu_times`` (this process's CPU seconds, all threads) get one entry per
    call; :meth:`take` returns and clears them. On CUDA the device is synchronised at the start and end of
    each call (which also makes the surrounding time exact). Use as a context manager, or call
    :meth:`remove`.
    """

    def __init__(self, module: torch.nn.Module, device):
        self.device = device
        self.times: List[float] = []
        self.cpu_times: List[float] = []
        self._start = self._cpu_start = None
        self._handles = [module.register_forward_pre_hook(self._pre), module.register_forward_hook(self._post)]

    def _pre(self, module, args):
        synchronize(self.device)
        self._start, self._cpu_start = time.perf_counter(), time.process_time()

    def _post(self, module, args, output):
        synchronize(self.device)
        self.times.append(time.perf_counter() - self._start)
        self.cpu_times.append(time.process_time() - self._cpu_start)

    def take(self) -> Tuple[List[float], List[float]]:
        """(wall seconds, CPU seconds) of the calls since the last take."""
        taken = (self.times, self.cpu_times)
        self.times, self.cpu_times = [], []
        return taken

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def memory_buffers_mib(backbone: torch.nn.Module) -> float:
    """MiB of an SViT's preallocated key/value memory buffers (:attr:`SViT.memory_nbytes`; 0 before the first
    streaming frame, and for encoders without a memory)."""
    return getattr(backbone, 'memory_nbytes', 0) / 2**20


def memory_frames(backbone: torch.nn.Module, state=None) -> int:
    """Frames an SViT's streaming memory holds now, the most of any block and stream (0 for encoders without
    a memory): of ``state`` (a ``StreamingState``, e.g. an OnlineRecognizer's), by default the backbone's own.
    The one place the benchmarks read the encoder's memory itself."""
    state = state if state is not None else getattr(backbone, 'stream_state', None)
    memories = state.memories if state is not None else ()
    return max((max(memory.lengths, default=0) for memory in memories if memory is not None), default=0)
