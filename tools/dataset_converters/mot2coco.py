"""Convert MOTChallenge sequences (MOT17/MOT20 layout) to COCO-video json files.

Input layout (the official one)::

    MOT17/
      train/MOT17-02-FRCNN/{seqinfo.ini, img1/000001.jpg, gt/gt.txt, det/det.txt}
      test/...

Output: ``<out>/{train,test}_cocoformat.json`` and, with ``--split-train``, ``half-train`` and
``half-val`` files whose first/second halves of every train video follow the release's split
(the first ``n // 2 + 1`` frames train, the rest validate). The half split also writes
``gt/gt_half-train.txt`` and ``gt/gt_half-val.txt`` next to each ``gt.txt``, frames renumbered
from 1 like the result files of tracking (for tools/analysis_tools/mot_eval.py).
``--convert-det`` stores the public detections (``det/det.txt``) of every frame in
``<out>/<subset>_detections.pkl``. The whole input is checked first (seqinfo.ini against the frames, every row of
gt.txt and det.txt, named ``<file>:<line>`` when bad): every problem found is listed in one error and nothing
is written; frames and rows beyond seqLength are left out with a warning. See :mod:`svm.datasets.mot.coco_video`.

Example::

    python tools/dataset_converters/mot2coco.py -i data/MOT17 -o data/MOT17/annotations \
        --split-train --convert-det
"""
import argparse

from svm.datasets.mot.coco_video import convert_mot_challenge
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Convert MOTChallenge labels (and public detections) '
                                     'to COCO-video json files.')
    parser.add_argument('-i', '--input', required=True, help='MOT root holding train/ and test/')
    parser.add_argument('-o', '--output', required=True, help='folder for the json files')
    parser.add_argument('--split-train', action='store_true',
                        help='also write half-train and half-val subsets of the train videos')
    parser.add_argument('--convert-det', action='store_true',
                        help='also store the public detections (det/det.txt) as a pickle')
    parser.add_argument('--keep-detector', default=None,
                        help='keep one copy of each MOT17 video, e.g. FRCNN (MOT17 ships every '
                        'video three times, once per public detector)')
    parser.add_argument('--subsets', nargs='+', default=None,
                        help='subsets to convert (default: train and test if present, plus the halves)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    convert_mot_challenge(args.input, args.output, args.subsets, split_train=args.split_train,
                          convert_det=args.convert_det, keep_detector=args.keep_detector)


if __name__ == '__main__':
    run_main(main)
