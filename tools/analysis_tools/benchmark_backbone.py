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
x-space ratio compares steady medians. The measurements are svm/analysis/backbone_benchmark.py.
"""
import argparse

import mmengine
import torch

from svm.analysis.backbone_benchmark import EncoderSpec, format_tables, latency_runs, training_run
from svm.analysis.timing import DTYPES
from svm.utils.user_errors import run_main


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


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    spec = EncoderSpec(args.arch, args.memory_len, args.memory_policy, args.window_size)
    torch.manual_seed(0)
    video = torch.randn(1, max(args.frames, args.warmup), 3, args.img_size, args.img_size, device=args.device)
    print(f'latency along {args.frames} frames: {", ".join(args.modes)}')
    latency = latency_runs(spec, args.modes, video[:, :args.frames], args.clip_len, args.warmup, args.device,
                           args.dtype) if args.modes else []
    training = None
    if args.train_frames:
        print('training: parallel vs frame by frame')
        training = training_run(spec, args.train_frames, args.train_iters, args.img_size, args.device)
    print(format_tables(spec, args.img_size, args.frames, args.device, args.dtype, latency, training))
    if args.json:
        mmengine.dump(dict(args=vars(args), latency=latency, training=training), args.json, indent=2)


if __name__ == '__main__':
    run_main(main)
