"""S-ViT encoders benchmarked alone: per-frame latency along a video, parallel vs frame-by-frame training,
memory (tools/analysis_tools/benchmark_backbone.py; the latency step is also compare_encoders.py's).

Online latency: every encoder produces the features of frame t when frame t arrives.
  - 'space' encodes the frame alone;
  - 'stream' encodes the frame in streaming mode, attending to its memory of the last L frames;
  - 'clip' cannot stream: it re-encodes the window of the last ``clip_len`` frames at every frame.
The encoders take turns frame by frame, so that a load from other processes hits them alike.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

from .timing import autocast, memory_buffers_mib, peak_mib, percentile, reset_peak, slope, timed

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
    :func:`svm.analysis.timing.peak_mib`: on CUDA the most allocated during one of its frames).

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


def latency_runs(spec: EncoderSpec, modes: Sequence[str], video: torch.Tensor, clip_len: Optional[int] = None,
                 warmup: int = 3, device: str = 'cpu', dtype: str = 'fp32') -> List[Dict]:
    """:func:`latency_along_video` of the encoder in each attention mode, summarised over its steady part (once
    its memory, or for 'clip' its window of ``clip_len`` frames, default the memory length, is full): mean,
    median, p95, max and the slope of a line fitted to the per-frame times (flat: no growth along the video),
    with the size of the k/v memory buffers of 'stream'."""
    clip_len = clip_len or spec.memory_len
    encoders = {mode: spec.build(mode, device) for mode in modes}
    measured = latency_along_video(encoders, video, clip_len, warmup, device, dtype, progress=True)
    results = []
    for mode, encoder in encoders.items():
        times = measured[mode]['ms_per_frame']
        full_from = (spec.memory_len if mode == 'stream' else clip_len if mode == 'clip' else 1) - 1
        steady = times[full_from:] or times
        results.append(
            dict(attn_mode=mode, ms_per_frame=times, steady_from_frame=full_from,
                 steady_mean_ms=sum(steady) / len(steady), steady_median_ms=percentile(steady, 50),
                 steady_p95_ms=percentile(steady, 95), steady_max_ms=max(steady),
                 steady_slope_ms_per_100_frames=100 * slope(steady), memory_buffers_mib=memory_buffers_mib(encoder),
                 peak_mib=measured[mode]['peak_mib']))
    return results


def training_run(spec: EncoderSpec, train_frames: int, train_iters: int, img_size: int,
                 device: str = 'cpu') -> Dict:
    """Forward + backward of one (1, T, 3, img_size, img_size) clip through 'stream', fp32: parallel mode
    (causal mask) against frame by frame (streaming mode, one backward for the clip), timed over
    ``train_iters`` steps after one warm-up (median), with the largest gradient difference between the two."""
    torch.manual_seed(0)
    model = spec.build('stream', device).train()
    T = train_frames
    clip = torch.randn(1, T, 3, img_size, img_size, device=device)

    def parallel() -> None:
        model.zero_grad(set_to_none=True)
        model(clip)[-1].float().square().mean().backward()

    def frame_by_frame() -> None:
        model.zero_grad(set_to_none=True)
        model.reset_memory()
        outs = [model(clip[:, t])[-1] for t in range(T)]
        torch.stack(outs, 1).float().square().mean().backward()

    runs = dict(parallel=parallel, frame_by_frame=frame_by_frame)
    times = {name: [] for name in runs}
    peaks = {name: 0. for name in runs}
    grads = {}
    for name, fn in runs.items():  # warm-up, and the gradients to compare
        fn()
        grads[name] = [p.grad.detach().clone() for p in model.parameters() if p.grad is not None]
    for _ in range(train_iters):  # taking turns, as in the latency runs
        for name, fn in runs.items():
            reset_peak(device)
            times[name].append(timed(fn, device))
            peaks[name] = max(peaks[name], peak_mib(device))
    result = dict(train_frames=T)
    for name in runs:
        result[f'{name}_s_per_clip'] = sorted(times[name])[len(times[name]) // 2]
        result[f'{name}_peak_mib'] = peaks[name]
    result['speedup'] = result['frame_by_frame_s_per_clip'] / result['parallel_s_per_clip']
    result['max_grad_diff'] = max(
        (a - b).abs().max().item() for a, b in zip(grads['parallel'], grads['frame_by_frame']))
    result['max_grad'] = max(g.abs().max().item() for g in grads['parallel'])
    return result


def format_tables(spec: EncoderSpec, img_size: int, num_frames: int, device: str, dtype: str,
                  latency: List[Dict], training: Optional[Dict]) -> str:
    """The latency runs and the training run as Markdown tables, under a line that says what ran where."""
    cpu = f'CPU ({torch.get_num_threads()} threads)'
    dev = torch.cuda.get_device_name() if device.startswith('cuda') else cpu
    lines = [f'\nSViT-{spec.arch} at {img_size}x{img_size}, {dev}, {dtype}, memory {spec.memory_len} '
             f'({spec.memory_policy}), window {spec.window_size or "global"}, video of {num_frames} frames']
    if latency:
        space = next((r for r in latency if r['attn_mode'] == 'space'), None)
        lines += ['| encoder | ms/frame first | steady from frame | steady median | mean | p95 | max '
                  '| slope ms/100 frames | x space (median) | k/v memory MiB | peak MiB |',
                  '|---|---|---|---|---|---|---|---|---|---|---|']
        for r in latency:
            ratio = r['steady_median_ms'] / space['steady_median_ms'] if space else float('nan')
            lines.append(f"| {r['attn_mode']} | {r['ms_per_frame'][0]:.1f} | {r['steady_from_frame']} | "
                         f"{r['steady_median_ms']:.1f} | {r['steady_mean_ms']:.1f} | {r['steady_p95_ms']:.1f} | "
                         f"{r['steady_max_ms']:.1f} | "
                         f"{r['steady_slope_ms_per_100_frames']:+.2f} | {ratio:.2f} | "
                         f"{r['memory_buffers_mib']:.1f} | {r['peak_mib']:.0f} |")
    if training:
        lines += [f"\nTraining 'stream' on a {training['train_frames']}-frame clip (forward + backward, fp32):",
                  '| parallel s/clip | frame-by-frame s/clip | speedup | max |grad diff| (max |grad|) '
                  '| peak MiB par / fbf |', '|---|---|---|---|---|',
                  f"| {training['parallel_s_per_clip']:.3f} | {training['frame_by_frame_s_per_clip']:.3f} | "
                  f"{training['speedup']:.2f}x | {training['max_grad_diff']:.2e} ({training['max_grad']:.2e}) | "
                  f"{training['parallel_peak_mib']:.0f} / {training['frame_by_frame_peak_mib']:.0f} |"]
    return '\n'.join(lines)
