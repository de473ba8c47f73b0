"""Measure the CUDA path in one run: S-ViT alone and the whole tracker, fp16 and bf16, one table.

    python tools/analysis_tools/gpu_report.py --device cuda --clip-frames 40 --out-dir work_dirs/gpu_report

Backbone (needs only a CUDA PyTorch): per layout (window 14, global), size (224x224, 800x1440) and dtype,
the per-frame streaming latency of space / stream / clip along --frames frames (median, p95, slope once the
memory is full, x space), parallel vs frame-by-frame training of a --train-frames clip (time, peak memory,
largest gradient difference) and the key/value memory's size. Tracker (needs the OpenMMLab stack; skip it
with --skip-tracker): streaming inference of --tracker-config at the largest size over --tracker-frames
frames, and one training iteration of --train-tracker-config (--train-clips x --train-clip-frames frames,
its optimizer wrapper and gradient checkpointing); --skip-backbone measures the tracker only. Each
measurement that fails (e.g. out of memory) is a row with its error; the others still run. Writes
<out-dir>/gpu_report.json and .md after each part. --tiny: a dry run (tiny model, 32x48 frames, a few
frames) that checks the script on a CPU. See svm/analysis/gpu_report.py and docs/gpu.md.
"""
import argparse

import torch

from svm.analysis.gpu_report import LAYOUTS, MODES, BackboneReportSpec, TrackerTrainingSpec, run_report
from svm.analysis.timing import DTYPES
from svm.utils.user_errors import run_main

PAPER_TRACKER = ('configs/mot/svm/bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-'
                 'motsynth_test-mot17halfval.py')
# svm's paper recipe: parallel 2-frame clips, gradient checkpointing, AmpOptimWrapper
PAPER_TRAINING = 'configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py'
TINY_TRACKER = 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py'


def size(text: str) -> tuple:
    """'HxW' (or one number for a square) -> (H, W)."""
    try:
        parts = [int(v) for v in text.lower().split('x')]
    except ValueError:
        raise argparse.ArgumentTypeError(f'a size is HxW or N, got {text!r}')
    if len(parts) not in (1, 2) or min(parts) <= 0:
        raise argparse.ArgumentTypeError(f'a size is HxW or N (positive), got {text!r}')
    return (parts[0], parts[-1])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--arch', default='b16', help="'b16', 'l14' or 'tiny' (width 64, 2 blocks)")
    parser.add_argument('--sizes', type=size, nargs='+', default=[(224, 224), (800, 1440)], help='HxW ...')
    parser.add_argument('--frames', type=int, default=128, help='video length of the latency runs')
    parser.add_argument('--dtypes', nargs='+', default=['fp16', 'bf16'], choices=list(DTYPES))
    parser.add_argument('--layouts', nargs='+', default=list(LAYOUTS), choices=list(LAYOUTS))
    parser.add_argument('--modes', nargs='+', default=list(MODES), choices=list(MODES))
    parser.add_argument('--memory-len', type=int, default=32)
    parser.add_argument('--memory-policy', default='merge', choices=['fifo', 'merge'])
    parser.add_argument('--clip-len', type=int, help="frames 'clip' re-encodes per frame (default: memory length)")
    parser.add_argument('--clip-frames', type=int,
                        help="time 'clip' on the first N frames only (default: all; steady once clip-len are in)")
    parser.add_argument('--train-frames', type=int, default=8, help='training clip length (0: no training run)')
    parser.add_argument('--train-iters', type=int, default=3, help='timed training steps after one warm-up')
    parser.add_argument('--warmup', type=int, default=3, help='untimed frames before each latency run')
    parser.add_argument('--tracker-config',
                        help=f'MOT config of the tracker part (default: {PAPER_TRACKER}; --tiny: {TINY_TRACKER})')
    parser.add_argument('--tracker-frames', type=int, default=300)
    parser.add_argument('--tracker-warmup', type=int, default=31,
                        help='untimed frames of the same video (memory_len - 1: a full memory from the first '
                        'timed frame)')
    parser.add_argument('--train-tracker-config',
                        help=f'MOT config of the training iteration (default: {PAPER_TRAINING}; --tiny: '
                        f'{TINY_TRACKER})')
    parser.add_argument('--train-clips', type=int, default=2, help='clips per training iteration')
    parser.add_argument('--train-clip-frames', type=int, default=2, help='frames per training clip')
    parser.add_argument('--tracker-train-iters', type=int, default=3,
                        help='timed training iterations (after 2 untimed; 0: no training measurement)')
    parser.add_argument('--skip-tracker', action='store_true', help='the backbone only (no OpenMMLab stack)')
    parser.add_argument('--skip-backbone', action='store_true', help='the tracker only (no backbone rows)')
    parser.add_argument('--tiny', action='store_true',
                        help='dry run: tiny arch, 32x48 frames, 6 frames, memory 4, a 2-frame training clip')
    parser.add_argument('--out-dir', default='work_dirs/gpu_report')
    args = parser.parse_args(argv)
    if args.tiny:
        args.arch, args.sizes, args.frames, args.memory_len, args.train_frames = 'tiny', [(32, 48)], 6, 4, 2
        args.train_iters, args.warmup, args.tracker_frames, args.tracker_warmup = 1, 1, 3, 1
        args.tracker_train_iters = min(args.tracker_train_iters, 1)
    args.tracker_config = args.tracker_config or (TINY_TRACKER if args.tiny else PAPER_TRACKER)
    args.train_tracker_config = args.train_tracker_config or (TINY_TRACKER if args.tiny else PAPER_TRAINING)
    if args.skip_tracker and args.skip_backbone:
        parser.error('--skip-tracker and --skip-backbone leave nothing to measure')
    for name in ('frames', 'memory_len', 'train_clips', 'train_clip_frames'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1')
    return args


def main(argv=None) -> list:
    args = parse_args(argv)
    spec = BackboneReportSpec(arch=args.arch, memory_len=args.memory_len, memory_policy=args.memory_policy,
                              sizes=args.sizes, dtypes=args.dtypes,
                              layouts={name: LAYOUTS[name] for name in args.layouts}, modes=args.modes,
                              frames=args.frames, warmup=args.warmup, clip_len=args.clip_len,
                              clip_frames=args.clip_frames,
                              train_frames=args.train_frames, train_iters=args.train_iters)
    tracker_sizes = [(64, 96)] if args.tiny else None
    training = None if args.skip_tracker or not args.tracker_train_iters else TrackerTrainingSpec(
        args.train_tracker_config, args.train_clips, args.train_clip_frames, args.tracker_train_iters,
        warmup=1 if args.tiny else 2)
    rows, json_path, md_path = run_report(spec, args.device, args.out_dir,
                                          None if args.skip_tracker else args.tracker_config, args.tracker_frames,
                                          args.tracker_warmup, tracker_sizes, training,
                                          backbone=not args.skip_backbone)
    with open(md_path) as f:
        print(f.read())
    failed = [row for row in rows if row.get('error')]
    print(f'wrote {json_path} and {md_path}; {len(rows)} rows, {len(failed)} failed')
    return rows


if __name__ == '__main__':
    run_main(main)
