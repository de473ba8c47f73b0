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

from svm.analysis.timing import DTYPES
from svm.analysis.tracker_benchmark import benchmark_tracker_config, default_output_path, format_report
from svm.utils.config_checks import resolve_config
from svm.utils.user_errors import run_main


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
    result = benchmark_tracker_config(cfg, args.config, args.checkpoint, args.shape, args.frames, args.warmup,
                                      args.device, args.dtype)
    print(format_report(result))
    out = args.out or default_output_path(args.config, result['height'], result['width'])
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(out)))
    mmengine.dump(result, out, indent=2)
    print(f'wrote {out}')
    return result


if __name__ == '__main__':
    run_main(main)
