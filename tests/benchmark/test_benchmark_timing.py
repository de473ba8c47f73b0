"""The measurements the benchmarks share (svm/benchmark/timing.py)."""
import platform

import pytest
import torch

from svm.benchmark.timing import (ModuleTimer, autocast, device_name, latency_summary, memory_buffers_mib,
                                  memory_frames, percentile, slope)


def test_shared_measurements():
    assert percentile([5, 1, 3, 2, 4], 50) == 3 and percentile([5, 1, 3, 2, 4], 100) == 5
    assert percentile(list(range(101)), 95) == 95
    assert slope([1, 3, 5, 7]) == pytest.approx(2.) and slope([4]) == 0.
    summary = latency_summary([10., 20., 30., 40.])
    assert summary['mean_ms'] == 25. and summary['fps'] == pytest.approx(40.) and summary['max_ms'] == 40.
    layer = torch.nn.Linear(4, 4)
    with ModuleTimer(layer, 'cpu') as timer:
        layer(torch.zeros(1, 4))
        layer(torch.zeros(1, 4))
        wall, cpu = timer.take()
        assert len(wall) == len(cpu) == 2 and timer.times == [] and timer.cpu_times == []
    layer(torch.zeros(1, 4))
    assert timer.times == []  # hooks removed
    with autocast('cpu', 'bf16'):
        assert layer(torch.zeros(1, 4)).dtype == torch.bfloat16
    with autocast('cpu', 'fp32'):
        assert layer(torch.zeros(1, 4)).dtype == torch.float32
    with pytest.raises(ValueError, match="dtype must be one of"):
        autocast('cpu', 'int8')


def test_memory_helpers_on_a_streaming_svit():
    from svm.models.backbones import SViT
    model = SViT(arch=dict(embed_dims=32, num_layers=2, num_heads=2, patch_size=8), img_size=32, memory_len=3,
                 attn_mode='stream').eval()
    assert memory_buffers_mib(model) == 0 and memory_frames(model) == 0
    with torch.no_grad():
        for _ in range(5):
            model(torch.zeros(1, 3, 32, 32))
    assert memory_frames(model) == 3
    assert memory_buffers_mib(model) == model.memory_nbytes / 2**20 > 0  # the preallocated key/value buffers


def test_latency_summary_is_the_one_summary_of_per_frame_times():
    """Every benchmark summarises per-frame times with it: median and p95 by nearest rank, the slope along the
    frames in ms per 100 frames."""
    summary = latency_summary([1., 2., 3., 4., 5.])
    assert summary == dict(median_ms=3., p95_ms=5., mean_ms=3., min_ms=1., max_ms=5., fps=pytest.approx(1e3 / 3),
                           slope_ms_per_100_frames=pytest.approx(100.))
    assert latency_summary([7.])['slope_ms_per_100_frames'] == 0.
    with pytest.raises(ValueError, match='no times'):
        latency_summary([])


def test_device_name():
    assert device_name('cpu') == f'CPU {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)'
    if torch.cuda.is_available():
        assert device_name('cuda') == torch.cuda.get_device_name('cuda')
