"""Extract the frames of MOTSynth's videos to JPEG files.

Input: ``<root>/videos/<seq>.mp4`` (the official release). Output:
``<root>/frames/<seq>/rgb/0001.jpg ...`` (1-based, as the MOT-format annotations count frames),
the layout motsynth2coco.py writes into the json.

Example::

    python tools/dataset_converters/extract_motsynth.py -i data/MOTSynth
"""
import argparse

from svm.datasets.mot.motsynth import extract_motsynth_frames
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract MOTSynth videos to frames')
    parser.add_argument('-i', '--input', required=True, help='MOTSynth root holding videos/')
    parser.add_argument('-o', '--output', default=None, help='frames root (default: <input>/frames)')
    parser.add_argument('--videos', nargs='+', default=None, help='sequence names (default: all)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    extract_motsynth_frames(args.input, args.output, args.videos)


if __name__ == '__main__':
    run_main(main)
