"""Write what a config's training pipeline produces as images.

    python tools/misc/browse_dataset.py CONFIG --output-dir DIR [--num N] [--seed S] [--label-file F] \
        [--cfg-options KEY=VALUE ...]

MOT configs: the frames of each training clip side by side after the clip-consistent augmentations
(Mosaic, RandomAffine, MixUp, HSV, flip, resize), with their ground-truth boxes, instance ids (one colour
per id; -1/'?' for boxes without an id, ignored boxes in grey) and the source frame of each. Recognition
configs: the sampled frames of each clip of a video in a strip, with the label (``--label-file``: class
names, one per line). N samples spread over the dataset, one image each (DIR/<index>_<task>.png); the
augmentations' randomness is seeded by --seed. See svm/analysis/browse_dataset.py.
"""
import argparse
from typing import List

from mmengine.config import DictAction

from svm.analysis.browse_dataset import browse_dataset
from svm.datasets.recognition import read_label_map
from svm.utils.config_checks import resolve_config
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='MOT or recognition config')
    parser.add_argument('--output-dir', required=True, help='folder of the images')
    parser.add_argument('--num', type=int, default=10, help='number of samples (spread over the dataset)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the augmentations')
    parser.add_argument('--label-file', help='recognition: class names, one per line in label order')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, e.g. the data root of the tiny MOT config')
    return parser.parse_args(argv)


def main(argv=None) -> List[str]:
    args = parse_args(argv)
    cfg = resolve_config(args.config, args.cfg_options)
    names = read_label_map(args.label_file) if args.label_file else None
    paths = browse_dataset(cfg, args.output_dir, args.num, args.seed, names)
    print(f'wrote {len(paths)} images to {args.output_dir}')
    return paths


if __name__ == '__main__':
    run_main(main)
