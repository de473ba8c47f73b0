"""Generate the synthetic temporal-order action benchmark (mp4 + mmaction2 video lists).

Example::

    python tools/misc/generate_synthetic_actions.py --out data/synthetic_actions --seed 0
"""
import argparse

from svm.datasets.synthetic.actions import ACTION_CLASSES, MOTIONS, SyntheticActionConfig, write_action_benchmark
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='data/synthetic_actions', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train', type=int, default=150,
                        help='training base motions (each rendered once per class)')
    parser.add_argument('--num-val', type=int, default=50, help='validation base motions')
    parser.add_argument('--num-frames', type=int, default=8, help='frames per video (even)')
    parser.add_argument('--size', type=int, default=64, help='frame height and width')
    parser.add_argument('--num-classes', type=int, default=len(ACTION_CLASSES),
                        help=f'the first N of {ACTION_CLASSES}')
    parser.add_argument('--motions', nargs='+', default=list(MOTIONS), choices=MOTIONS,
                        help='kinds of base motion (one kind names the classes after it)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = SyntheticActionConfig(size=args.size, num_frames=args.num_frames,
                                num_classes=args.num_classes, motions=tuple(args.motions))
    lists = write_action_benchmark(args.out, seed=args.seed, num_train=args.num_train,
                                   num_val=args.num_val, cfg=cfg, progress=True)
    print(f'\nwrote {args.out}: ' + ', '.join(f'{k}: {v}' for k, v in lists.items()))


if __name__ == '__main__':
    run_main(main)
