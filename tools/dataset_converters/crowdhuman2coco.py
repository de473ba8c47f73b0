"""Convert CrowdHuman ``.odgt`` annotations to COCO json (one still image per entry): for each split,
``<input>/annotation_<split>.odgt`` and ``<input>/<split>/Images/`` to ``<output>/crowdhuman_<split>.json``.
The layout, the boxes kept and ignored: svm/datasets/crowdhuman.py. Example::

    python tools/dataset_converters/crowdhuman2coco.py -i data/crowdhuman -o data/crowdhuman/annotations
"""
import argparse

from svm.datasets.crowdhuman import convert_crowdhuman
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='CrowdHuman .odgt to COCO json')
    parser.add_argument('-i', '--input', required=True, help='CrowdHuman root')
    parser.add_argument('-o', '--output', required=True, help='folder for the json files')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'], choices=['train', 'val'])
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for split in args.splits:
        convert_crowdhuman(args.input, args.output, split)


if __name__ == '__main__':
    run_main(main)
