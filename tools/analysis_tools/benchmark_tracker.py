"""Benchmark a whole MOT tracker (detector + tracker), streaming frame by frame at a given image size.

    python tools/analysis_tools/benchmark_tracker.py CONFIG [--checkpoint C] --shape H W --frames N \
        [--warmup W] [--device cuda] [--dtype fp16] [--threads T] [--out FILE.json]

Prints frames/s, per-frame latency (median, p95) and peak memory of the whole tracker (data
preprocessor, S-ViT streaming step, pyramid, PAFPN, YOLOX head, NMS, ByteTrack association: what
tools/test.py runs per frame, without decoding and resizing the frame), the share of each frame spent in
the backbone and in the association, and the backbone alone on the same frames beside it; writes it all
as JSON (default: work_dirs/benchmark_tracker/<config>_<H>x<W>.json). Without --checkpoint the model has
random weights (the backbone's CLIP file is not read). The W warm-up frames belong to the same video: the
memory holds min(W + t + 1, memory_len) frames at timed frame t = 0, 1, ..., so W >= memory_len - 1 times
a full memory. On a CPU shared with other jobs, --threads 1 times more steadily.
See svm/analysis/tracker_benchmark.py.
"""
import argparse
import os.path as osp

import mmengine
import torch
from mmengine.config import DictAction

from svm.analysis.tracker_benchmark import benchmark_tracker, build_tracker, default_shape, format_table
from svm.utils.benchmark import DTYPES
from svm.utils.config_checks import resolve_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='MOT config (configs/mot/svm/...)')
    parser.add_argument('--checkpoint', help='tracker checkpoint (default: random weights)')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help="frame height and width (default: the config's test Resize scale)")
    parser.add_argument('--frames', type=int, default=20, help='timed frames')
    parser.add_argument('--warmup', type=int, default=3, help='untimed frames at the start of the same video')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--dtype', choices=list(DTYPES),
                        help="autocast dtype (default: fp16 on a GPU when the config tests with test_cfg.fp16, "
                        "as tools/test.py runs it; else fp32); bf16 on a CPU")
    parser.add_argument('--threads', type=int, default=None, help='CPU threads of torch')
    parser.add_argument('--out', help='JSON file of the results')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, e.g. model.detector.backbone.memory_len=8')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = resolve_config(args.config, args.cfg_options)
    shape = args.shape or default_shape(cfg)
    if shape is None:
        raise ValueError(f'{args.config}: no Resize scale in the test pipeline, give --shape H W')
    height, width = shape
    dtype = args.dtype or ('fp16' if args.device.startswith('cuda') and (cfg.get('test_cfg') or {}).get('fp16')
                           else 'fp32')
    model = build_tracker(cfg, args.checkpoint, args.device)
    print(f'{osp.basename(args.config)}: {args.warmup} + {args.frames} frames at {height}x{width} on {args.device}, '
          f'{dtype}')
    result = benchmark_tracker(model, height, width, args.frames, args.warmup, args.device, dtype, progress=True)
    device = torch.cuda.get_device_name(args.device) if args.device.startswith('cuda') else \
        f'CPU ({torch.get_num_threads()} threads)'
    result.update(config=args.config, checkpoint=args.checkpoint, device_name=device,
                  params_m=sum(p.numel() for p in model.parameters()) / 1e6,
                  backbone_params_m=sum(p.numel() for p in model.detector.backbone.parameters()) / 1e6)
    title = (f"{osp.basename(args.config)} ({'random weights' if not args.checkpoint else args.checkpoint}; "
             f"{result['params_m']:.1f} M parameters, backbone {result['backbone_params_m']:.1f} M), {device}")
    print(format_table(result, title))
    out = args.out or osp.join('work_dirs', 'benchmark_tracker',
                               f'{osp.splitext(osp.basename(args.config))[0]}_{height}x{width}.json')
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(out)))
    mmengine.dump(result, out, indent=2)
    print(f'wrote {out}')
    return result


if __name__ == '__main__':
    main()
