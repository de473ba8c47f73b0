"""Convert MOTSynth's MOT-format annotations to one COCO-video json.

Input (the official release)::

    MOTSynth/
      mot_annotations/<seq>/{seqinfo.ini, gt/gt.txt}
      frames/<seq>/rgb/0001.jpg ...      (written by extract_motsynth.py)

Output: ``<out>/motsynth_train.json`` in the same format as mot2coco.py (MOTChallenge
categories, ``instance_id``, ``mot_conf``, ``visibility``), with file names relative to
``<root>/frames``. Training uses 10% of these frames, resampled every epoch (see the MOT17
configs).

Example::

    python tools/dataset_converters/motsynth2coco.py -i data/MOTSynth -o data/MOTSynth/annotations
"""
import argparse

from svm.datasets.mot.motsynth import convert_motsynth
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='MOTSynth MOT-format annotations to one COCO-video json')
    parser.add_argument('-i', '--input', required=True, help='MOTSynth root')
    parser.add_argument('-o', '--output', required=True, help='folder for the json file')
    parser.add_argument('--seqs', nargs='+', default=None, help='sequence names (default: all)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    convert_motsynth(args.input, args.output, args.seqs)


if __name__ == '__main__':
    run_main(main)
