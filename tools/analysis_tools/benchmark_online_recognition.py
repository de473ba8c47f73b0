"""Benchmark online action recognition: the cost of each frame along a video, streaming vs re-encoding.

    python tools/analysis_tools/benchmark_online_recognition.py \
        configs/recognition/svm/svm_stream-b16_clip-pre_16x4x1_kinetics400-rgb.py --frames 96 --device cuda

Two ways to have a current prediction after every frame of a video, on the same recogniser:
  - streaming (:class:`svm.apis.OnlineRecognizer`): the encoder takes one streaming step against its
    bounded memory and the decoder reads the tokens of the last ``window`` frames;
  - re-encoding: the recogniser runs offline (parallel mode) on the last ``window`` frames at every frame,
    which is what a clip model must do.
The table gives the per-frame time of each, over the frames that fill the window and over the steady
part after it (mean, p95 and the slope of a line fitted to the times: flat means no growth along the
video), and what the stream holds at the end. The measurements are svm/analysis/online_recognition_benchmark.py.
"""
import argparse
from typing import Dict

import mmengine
import torch
from mmengine.config import DictAction

from svm.analysis.online_recognition_benchmark import benchmark_online_recognition, format_table
from svm.apis import OnlineRecognizer
from svm.utils.config_checks import resolve_config
from svm.utils.user_errors import run_main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a recognition config (configs/recognition/svm/)')
    parser.add_argument('--checkpoint', help='weights (random ones time the same)')
    parser.add_argument('--frames', type=int, default=64, help='video length')
    parser.add_argument('--size', type=int, nargs=2, default=[256, 340], metavar=('H', 'W'),
                        help='size of the raw frames before the test resize and crop')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None, help='CPU threads of torch')
    parser.add_argument('--json', help='also write the results to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.backbone.memory_len=32')
    return parser.parse_args()


def main() -> Dict:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = resolve_config(args.config, args.cfg_options)
    online = OnlineRecognizer.from_config(cfg, args.checkpoint, device=args.device)
    result = dict(config=args.config, **benchmark_online_recognition(online, args.frames, args.size, args.device))
    print(format_table(result, args.config))
    if args.json:
        mmengine.dump(result, args.json, indent=2)
    return result


if __name__ == '__main__':
    run_main(main)
