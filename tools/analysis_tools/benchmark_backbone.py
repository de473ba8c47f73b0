"""Benchmark S-ViT encoders: per-frame latency along a video, parallel vs frame-by-frame training, memory.

    python tools/analysis_tools/benchmark_backbone.py --arch b16 --img-size 224 --frames 128 \
        --memory-len 32 --device cuda --dtype fp16 --json work_dirs/benchmark_backbone.json

Online latency: every encoder produces the features of frame t when frame t arrives.
  - 'space' encodes the frame alone;
  - 'stream' encodes the frame in streaming mode, attending to its memory of the last L frames;
  - 'clip' cannot stream: it re-encodes the window of the last ``--clip-len`` frames at every frame.
The latency of 'stream' is summarised over the frames once the memory is full (mean, p95, max and the
slope of a line fitted to the per-frame times: flat means no growth along the video).

Training: one ``--train-frames`` clip through 'stream', forward and backward, in parallel mode (causal
mask) against frame by frame (streaming mode, one backward for the clip), with the largest gradient
difference between the two.

Memory: the k/v memory buffers of 'stream', and the peak memory of each encoder (CUDA: the most torch
allocated during one of its frames; CPU: the process's peak resident size so far, which only grows).
The encoders take turns frame by frame, so that a load from other processes hits them alike; the
x-space ratio compares steady medians.
"""
import argparse
from typing import Dict, List

import mmengine
import torch
from mmengine.utils import ProgressBar

# the shared measurements (also imported from here by compare_encoders.py)
from svm.utils.benchmark import (DTYPES, memory_buffers_mib, peak_mib, percentile, reset_peak, slope,  # noqa: F401
                                 timed)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='b16', help="'b16', 'l14' or 'tiny' (width 64, 2 blocks)")
    parser.add_argument('--img-size', type=int, default=224, help='frame height and width')
    parser.add_argument('--frames', type=int, default=128, help='video length N for the latency runs')
    parser.add_argument('--memory-len', type=int, default=32, help='memory length L of stream')
    parser.add_argument('--memory-policy', default='merge', choices=['fifo', 'merge'])
    parser.add_argument('--clip-len', type=int, default=None,
                        help="frames 'clip' re-encodes at every frame (default: memory length)")
    parser.add_argument('--window-size', type=int, default=0, help='attention window (0: global)')
    parser.add_argument('--modes', nargs='+', default=['space', 'stream', 'clip'],
                        choices=['space', 'stream', 'clip'], help='encoders of the latency runs')
    parser.add_argument('--train-frames', type=int, default=8,
                        help='clip length of the training run (0: skip)')
    parser.add_argument('--train-iters', type=int, default=3, help='timed training steps (after 1 warm-up)')
    parser.add_argument('--warmup', type=int, default=3, help='untimed frames before each latency run')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--dtype', default='fp32', choices=list(DTYPES),
                        help='autocast dtype of the latency runs (bf16 on CPU, fp16/bf16 on GPU)')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads of torch (fewer threads time more steadily on a busy machine)')
    parser.add_argument('--json', help='also write the results to this JSON file')
    return parser.parse_args()


def build_encoder(args, attn_mode: str):
    from svm.models.backbones import SViT
    arch = dict(embed_dims=64, num_layers=2, num_heads=4, patch_size=16) if args.arch == 'tiny' else args.arch
    return SViT(arch=arch, img_size=224, attn_mode=attn_mode, window_size=args.window_size or None,
                memory_len=args.memory_len, memory_policy=args.memory_policy,
                with_cls_token=not args.window_size).to(args.device)


def latency_runs(args, video: torch.Tensor) -> List[Dict]:
    """Per-frame latency (ms) of producing frame t's features as frame t arrives, for each encoder.

    The encoders take turns frame by frame, so that on a shared machine they see the same load.
    """
    models = {mode: build_encoder(args, mode).eval() for mode in args.modes}
    clip_len = args.clip_len or args.memory_len
    amp = dict(device_type=args.device.split(':')[0], dtype=DTYPES[args.dtype],
               enabled=args.dtype != 'fp32')

    def step(mode: str, t: int) -> None:
        if mode == 'clip':
            models[mode](video[:, max(0, t - clip_len + 1):t + 1])
        else:
            models[mode](video[:, t])

    times = {mode: [] for mode in args.modes}
    peaks = {mode: 0. for mode in args.modes}
    with torch.no_grad(), torch.autocast(**amp):
        for mode, model in models.items():
            for t in range(args.warmup):
                step(mode, t)
            model.reset_memory()
        bar = ProgressBar(video.shape[1])
        for t in range(video.shape[1]):
            for mode in args.modes:
                reset_peak(args.device)
                times[mode].append(timed(lambda: step(mode, t), args.device) * 1e3)
                peaks[mode] = max(peaks[mode], peak_mib(args.device))
            bar.update()
    print()
    results = []
    for mode, model in models.items():
        full_from = (args.memory_len if mode == 'stream' else clip_len if mode == 'clip' else 1) - 1
        steady = times[mode][full_from:] or times[mode]
        results.append(
            dict(attn_mode=mode, ms_per_frame=times[mode], steady_from_frame=full_from,
                 steady_mean_ms=sum(steady) / len(steady), steady_median_ms=percentile(steady, 50),
                 steady_p95_ms=percentile(steady, 95), steady_max_ms=max(steady),
                 steady_slope_ms_per_100_frames=100 * slope(steady), memory_buffers_mib=memory_buffers_mib(model),
                 peak_mib=peaks[mode]))
    return results


def training_run(args) -> Dict:
    """Forward + backward of one clip through 'stream': parallel mode against frame by frame."""
    torch.manual_seed(0)
    model = build_encoder(args, 'stream').train()
    T = args.train_frames
    clip = torch.randn(1, T, 3, args.img_size, args.img_size, device=args.device)

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
    for _ in range(args.train_iters):  # taking turns, as in the latency runs
        for name, fn in runs.items():
            reset_peak(args.device)
            times[name].append(timed(fn, args.device))
            peaks[name] = max(peaks[name], peak_mib(args.device))
    result = dict(train_frames=T)
    for name in runs:
        result[f'{name}_s_per_clip'] = sorted(times[name])[len(times[name]) // 2]
        result[f'{name}_peak_mib'] = peaks[name]
    result['speedup'] = result['frame_by_frame_s_per_clip'] / result['parallel_s_per_clip']
    result['max_grad_diff'] = max(
        (a - b).abs().max().item() for a, b in zip(grads['parallel'], grads['frame_by_frame']))
    result['max_grad'] = max(g.abs().max().item() for g in grads['parallel'])
    return result


def print_tables(args, latency: List[Dict], training: Dict) -> None:
    cpu = f'CPU ({torch.get_num_threads()} threads)'
    dev = torch.cuda.get_device_name() if args.device.startswith('cuda') else cpu
    print(f'\nSViT-{args.arch} at {args.img_size}x{args.img_size}, {dev}, {args.dtype}, memory {args.memory_len} '
          f'({args.memory_policy}), window {args.window_size or "global"}, video of {args.frames} frames')
    if latency:
        space = next((r for r in latency if r['attn_mode'] == 'space'), None)
        print('| encoder | ms/frame first | steady from frame | steady median | mean | p95 | max '
              '| slope ms/100 frames | x space (median) | k/v memory MiB | peak MiB |')
        print('|---|---|---|---|---|---|---|---|---|---|---|')
        for r in latency:
            ratio = r['steady_median_ms'] / space['steady_median_ms'] if space else float('nan')
            print(f"| {r['attn_mode']} | {r['ms_per_frame'][0]:.1f} | {r['steady_from_frame']} | "
                  f"{r['steady_median_ms']:.1f} | {r['steady_mean_ms']:.1f} | {r['steady_p95_ms']:.1f} | "
                  f"{r['steady_max_ms']:.1f} | "
                  f"{r['steady_slope_ms_per_100_frames']:+.2f} | {ratio:.2f} | {r['memory_buffers_mib']:.1f} | "
                  f"{r['peak_mib']:.0f} |")
    if training:
        print(f"\nTraining 'stream' on a {training['train_frames']}-frame clip (forward + backward, fp32):")
        print('| parallel s/clip | frame-by-frame s/clip | speedup | max |grad diff| (max |grad|) '
              '| peak MiB par / fbf |')
        print('|---|---|---|---|---|')
        print(f"| {training['parallel_s_per_clip']:.3f} | {training['frame_by_frame_s_per_clip']:.3f} | "
              f"{training['speedup']:.2f}x | {training['max_grad_diff']:.2e} ({training['max_grad']:.2e}) | "
              f"{training['parallel_peak_mib']:.0f} / {training['frame_by_frame_peak_mib']:.0f} |")


def main() -> None:
    args = parse_args()
    import svm  # noqa: F401  (checks the stack)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    video = torch.randn(1, max(args.frames, args.warmup), 3, args.img_size, args.img_size, device=args.device)
    print(f'latency along {args.frames} frames: {", ".join(args.modes)}')
    latency = latency_runs(args, video[:, :args.frames]) if args.modes else []
    training = None
    if args.train_frames:
        print('training: parallel vs frame by frame')
        training = training_run(args)
    print_tables(args, latency, training)
    if args.json:
        mmengine.dump(dict(args=vars(args), latency=latency, training=training), args.json, indent=2)


if __name__ == '__main__':
    main()
