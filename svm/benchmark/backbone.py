"""S-ViT encoders benchmarked alone: per-frame latency along a video and parallel vs frame-by-frame training
(``tools/analysis_tools/benchmark.py backbone``; the GPU report runs the same measurements per layout, size and
dtype, and the encoder comparison the latency step).

Online latency: every encoder produces the features of frame t when frame t arrives.
  - 'space' encodes the frame alone;
  - 'stream' encodes the frame in streaming mode, attending to its memory of the last L frames;
  - 'clip' cannot stream: it re-encodes the window of the last ``clip_len`` frames at every frame.
The encoders take turns frame by frame, so that a load from other processes hits them alike.

This module needs only torch (a machine with just a CUDA PyTorch runs it).
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from svm.utils.table import markdown_table
from .timing import (autocast, device_busy, device_name, latency_summary, peak_mib, percentile, reset_peak,
                     synchronize, timed)

MODES = ('space', 'stream', 'clip')
# --arch tiny: width 64, 2 blocks
TINY_ARCH = dict(embed_dims=64, num_layers=2, num_heads=4, patch_size=16)


@dataclass
class EncoderSpec:
    """The S-ViT of the benchmark, in each attention mode: ``arch`` 'b16', 'l14' or 'tiny', its memory and
    attention window (0: global, with a class token)."""
    arch: str = 'b16'
    memory_len: int = 32
    memory_policy: str = 'merge'
    window_size: int = 0

    def build(self, attn_mode: str, device: str = 'cpu') -> nn.Module:
        from svm.models.backbones.svit import SViT
        arch = TINY_ARCH if self.arch == 'tiny' else self.arch
        return SViT(arch=arch, img_size=224, attn_mode=attn_mode, window_size=self.window_size or None,
                    memory_len=self.memory_len, memory_policy=self.memory_policy,
                    with_cls_token=not self.window_size).to(device)


def encoder_step(encoder: nn.Module, video: torch.Tensor, t: int, clip_len: int):
    """The features of frame t of a (B, N, 3, H, W) video as frame t arrives: 'clip' re-encodes the last
    ``clip_len`` frames (parallel mode), 'space' and 'stream' encode frame t alone (one streaming step)."""
    if encoder.attn_mode == 'clip':
        return encoder(video[:, max(0, t - clip_len + 1):t + 1])
    return encoder(video[:, t])


@torch.no_grad()
def latency_along_video(encoders: Dict[str, nn.Module], video: torch.Tensor, clip_len: int, warmup: int = 3,
                        device: str = 'cpu', dtype: str = 'fp32', progress: bool = False,
                        max_frames: Optional[Dict[str, int]] = None) -> Dict[str, Dict]:
    """Milliseconds to produce the features of each frame of a (B, N, 3, H, W) video as it arrives
    (:func:`encoder_step`), per encoder, and the peak memory of each (MiB, see
    :func:`svm.benchmark.timing.peak_mib`: on CUDA the most allocated during one of its frames).

    Every encoder first runs ``warmup`` untimed frames (the first frames of the video, cyclically) and is
    reset; then the encoders take turns frame by frame, so that on a shared machine they see the same load.
    ``max_frames[name]`` times that encoder on the first frames only (its cost stops changing once its
    window is full, e.g. 'clip'); the others run the whole video.

    Returns:
        ``{name: {'ms_per_frame': [N floats], 'peak_mib': float}}``.
    """
    num_frames = video.shape[1]
    limits = {name: (max_frames or {}).get(name) or num_frames for name in encoders}
    times = {name: [] for name in encoders}
    peaks = {name: 0. for name in encoders}
    with autocast(device, dtype):
        for encoder in encoders.values():
            encoder.eval()
            for t in range(warmup):
                encoder_step(encoder, video, t % num_frames, clip_len)
            encoder.reset_memory()
        bar = None
        if progress:
            from svm.utils.progress import progress_bar
            bar = progress_bar(num_frames)
        for t in range(num_frames):
            for name, encoder in encoders.items():
                if t >= limits[name]:
                    continue
                reset_peak(device)
                times[name].append(timed(lambda: encoder_step(encoder, video, t, clip_len), device) * 1e3)
                peaks[name] = max(peaks[name], peak_mib(device))
            if bar is not None:
                bar.update()
    if bar is not None:
        print()
    return {name: dict(ms_per_frame=times[name], peak_mib=peaks[name]) for name in encoders}


@torch.no_grad()
def latency_runs(spec: EncoderSpec, modes: Sequence[str], video: torch.Tensor, clip_len: Optional[int] = None,
                 warmup: int = 3, device: str = 'cpu', dtype: str = 'fp32', clip_frames: Optional[int] = None,
                 progress: bool = False) -> List[Dict]:
    """:func:`latency_along_video` of the encoder in each attention mode of ``modes``, summarised over its steady
    part: once its memory, or for 'clip' its window of ``clip_len`` frames (default: the memory length), is full.

    ``clip_frames`` times 'clip' on the first frames only (its cost is constant once its window is full, and it
    is by far the costliest mode).

    Returns one dict per mode: ``mode``, ``frames`` (timed), ``ms_per_frame``, ``steady_from_frame``,
    ``first_frame_ms``, :func:`~svm.benchmark.timing.latency_summary` of the steady frames (``median_ms``,
    ``p95_ms``, ``mean_ms``, ``max_ms``, ``slope_ms_per_100_frames``, ...), ``x_space`` (steady median over
    'space''s, None without 'space'), ``peak_mib``; on CUDA the kernels' time and number per frame
    (:func:`~svm.benchmark.timing.device_busy`, the last frame again); for 'stream' ``memory_nbytes`` and
    ``memory_mib``, the size of its key/value memory.
    """
    clip_len = clip_len or spec.memory_len
    encoders = {mode: spec.build(mode, device) for mode in modes}
    measured = latency_along_video(encoders, video, clip_len, warmup, device, dtype, progress,
                                   max_frames=dict(clip=clip_frames) if clip_frames else None)
    last = video.shape[1] - 1
    rows = []
    for mode, encoder in encoders.items():
        times = measured[mode]['ms_per_frame']
        full_from = {'stream': spec.memory_len, 'clip': clip_len}.get(mode, 1) - 1
        with autocast(device, dtype):  # memory / window full: GPU time and kernel launches per frame
            busy = device_busy(lambda: encoder_step(encoder, video, last, clip_len), device)
        row = dict(mode=mode, frames=len(times), ms_per_frame=times, steady_from_frame=full_from,
                   first_frame_ms=times[0], **latency_summary(times[full_from:] or times),
                   peak_mib=measured[mode]['peak_mib'], **busy)
        if mode == 'stream':
            row.update(memory_nbytes=encoder.memory_nbytes, memory_mib=encoder.memory_nbytes / 2**20)
        rows.append(row)
    space = next((row['median_ms'] for row in rows if row['mode'] == 'space'), None)
    for row in rows:
        row['x_space'] = row['median_ms'] / space if space else None
    return rows


def training_run(spec: EncoderSpec, train_frames: int, train_iters: int, size: Tuple[int, int],
                 device: str = 'cpu', dtype: str = 'fp32') -> Dict:
    """Forward + backward of one (1, T, 3, H, W) noise clip through 'stream' under ``dtype`` autocast: parallel
    mode (causal mask) against frame by frame (streaming mode, one backward for the clip).

    Each is run once untimed (its gradients kept for the comparison), then both take turns for ``train_iters``
    timed steps, as the latency runs do.

    Returns:
        ``train_frames``, ``dtype``; ``parallel_s`` and ``frame_by_frame_s`` (median seconds per clip),
        ``parallel_peak_mib`` and ``frame_by_frame_peak_mib``; ``speedup`` (frame by frame / parallel);
        ``max_grad_diff``, the largest difference of a gradient between the two, and ``max_grad``, the largest
        gradient (its scale).
    """
    torch.manual_seed(0)
    model = spec.build('stream', device).train()
    T = train_frames
    clip = torch.randn(1, T, 3, *size, device=device)

    def parallel() -> None:
        model.zero_grad(set_to_none=True)
        with autocast(device, dtype):
            out = model(clip)[-1]
        out.float().square().mean().backward()

    def frame_by_frame() -> None:
        model.zero_grad(set_to_none=True)
        model.reset_memory()
        with autocast(device, dtype):
            outs = [model(clip[:, t])[-1] for t in range(T)]
        torch.stack(outs, 1).float().square().mean().backward()

    runs = dict(parallel=parallel, frame_by_frame=frame_by_frame)
    grads, times, peaks = {}, {name: [] for name in runs}, {name: 0. for name in runs}
    for name, run in runs.items():  # warm-up, and the gradients to compare
        run()
        synchronize(device)
        grads[name] = [p.grad.detach().float().clone() for p in model.parameters() if p.grad is not None]
    for _ in range(train_iters):
        for name, run in runs.items():
            reset_peak(device)
            times[name].append(timed(run, device))
            peaks[name] = max(peaks[name], peak_mib(device))
    model.reset_memory()
    result = dict(train_frames=T, dtype=dtype)
    for name in runs:
        result[f'{name}_s'] = percentile(times[name], 50)
        result[f'{name}_peak_mib'] = peaks[name]
    result['speedup'] = result['frame_by_frame_s'] / result['parallel_s']
    result['max_grad_diff'] = max((a - b).abs().max().item()
                                  for a, b in zip(grads['parallel'], grads['frame_by_frame']))
    result['max_grad'] = max(g.abs().max().item() for g in grads['parallel'])
    return result


def format_tables(spec: EncoderSpec, size: Tuple[int, int], num_frames: int, device: str, dtype: str,
                  latency: List[Dict], training: Optional[Dict]) -> str:
    """The latency runs and the training run as Markdown tables, under a line that says what ran where."""
    lines = [f'\nSViT-{spec.arch} at {size[0]}x{size[1]}, {device_name(device)}, {dtype}, memory {spec.memory_len} '
             f'({spec.memory_policy}), window {spec.window_size or "global"}, video of {num_frames} frames']
    if latency:
        lines.append(markdown_table(
            ['encoder', 'ms/frame first', 'steady from frame', 'steady median', 'mean', 'p95', 'max',
             'slope ms/100 frames', 'x space (median)', 'k/v memory MiB', 'peak MiB'],
            [[r['mode'], f"{r['first_frame_ms']:.1f}", r['steady_from_frame'], f"{r['median_ms']:.1f}",
              f"{r['mean_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['max_ms']:.1f}", f"{r['slope_ms_per_100_frames']:+.2f}",
              f"{r['x_space']:.2f}" if r['x_space'] else 'nan', f"{r.get('memory_mib', 0.):.1f}",
              f"{r['peak_mib']:.0f}"] for r in latency]))
    if training:
        t = training
        lines += [f"\nTraining 'stream' on a {t['train_frames']}-frame clip (forward + backward, {t['dtype']}):",
                  markdown_table(['parallel s/clip', 'frame-by-frame s/clip', 'speedup', 'max |grad diff| (max |grad|)',
                                  'peak MiB par / fbf'],
                                 [[f"{t['parallel_s']:.3f}", f"{t['frame_by_frame_s']:.3f}", f"{t['speedup']:.2f}x",
                                   f"{t['max_grad_diff']:.2e} ({t['max_grad']:.2e})",
                                   f"{t['parallel_peak_mib']:.0f} / {t['frame_by_frame_peak_mib']:.0f}"]])]
    return '\n'.join(lines)
