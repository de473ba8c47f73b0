"""Frame-based vs streaming vs clip-based S-ViT encoders on the synthetic temporal-order action benchmark.

    python tools/experiments/encoder_comparison.py                 # ~minutes on a laptop CPU
    python tools/experiments/encoder_comparison.py --modes space stream --work-dir work_dirs/cmp

The benchmark (svm/datasets/synthetic/actions.py) is generated under ``--data-root`` if absent. Its
classes show the same frames in different orders, so a model that ignores frame order is at chance.
The three encoders are trained with the same config but for ``backbone.attn_mode``
(configs/recognition/svm/svm_{space,stream,clip}-tiny_1xb16-8x1x1-24e_synthetic-order-actions.py: the same
tiny S-ViT, the same order-free temporal decoder, the same data, schedule and seed); each is then tested
on the validation videos. Printed and written to ``<work-dir>/encoder_comparison.json``:

  - top-1 accuracy on the validation videos (mmaction2's AccMetric) and the chance level;
  - order sensitivity: how often the prediction changes when a validation video is played backwards
    (0 for a model that sees the frames as a set), and the largest change of a class score;
  - GFLOPs per video (as tools/analysis_tools/get_flops.py counts them, fvcore: 1 multiply-add = 1 flop);
  - per-frame latency along a ``--latency-frames`` video, online: the features of frame t when it
    arrives ('space' encodes the frame, 'stream' one streaming step with its memory, 'clip' re-encodes
    the window of the last T frames), plotted to ``<work-dir>/latency_along_video.png``.

The experiment is svm/experiments/encoder_comparison.py.
"""
import argparse
import os.path as osp
from typing import Dict

import torch

from svm.experiments.encoder_comparison import CONFIGS, ENCODER_NAMES, compare_encoders
from svm.utils.user_errors import run_main

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--modes', nargs='+', default=['space', 'stream', 'clip'], choices=list(ENCODER_NAMES))
    parser.add_argument('--data-root', default=None,
                        help="the benchmark (default: the config's data_root; generated there if absent)")
    parser.add_argument('--seed', type=int, default=None, help="seed of the generated benchmark (default: "
                        "the config's synthetic_benchmark)")
    parser.add_argument('--train-seed', type=int, default=None, help="training seed (default: the configs' "
                        'randomness.seed, 0)')
    parser.add_argument('--num-train', type=int, default=None, help='training base motions to generate')
    parser.add_argument('--num-val', type=int, default=None, help='validation base motions to generate')
    parser.add_argument('--epochs', type=int, default=None, help='training epochs (default: the config)')
    parser.add_argument('--work-dir', default='work_dirs/encoder_comparison')
    parser.add_argument('--latency-frames', type=int, default=48, help='video length of the latency run')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (the tiny models run fastest on one: more threads mostly '
                        'wait on each other)')
    return parser.parse_args(argv)


def main(argv=None) -> Dict[str, dict]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    configs = {mode: osp.join(REPO, CONFIGS[mode]) for mode in args.modes}
    summary = compare_encoders(configs, args.work_dir, args.data_root, args.seed, args.num_train, args.num_val,
                               args.epochs, args.latency_frames, args.train_seed)
    print(f'\nSynthetic temporal-order actions ({summary["data_root"]}), same budget for every encoder, '
          f'CPU with {torch.get_num_threads()} threads:\n{summary["table"]}')
    print(f'wrote {osp.join(args.work_dir, "encoder_comparison.json")} and latency_along_video.png')
    return summary['results']


if __name__ == '__main__':
    run_main(main)
