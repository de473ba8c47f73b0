"""Score existing MOTChallenge result files against ground truth with TrackEval.

Prints HOTA (with DetA/AssA ...), CLEAR (MOTA, MOTP, IDSW ...) and Identity (IDF1 ...) figures per
sequence and combined. Every sequence with ground truth must have a result file: a missing one is an
error naming it (usually a crashed run), unless ``--allow-missing`` (score the others) or ``--seqs``.
Every row of the ground-truth files is scored, as MOTChallenge's evaluation and tools/test.py do.

Example (half-val ground truth written by tools/dataset_converters/mot2coco.py --split-train;
result files written by ``tools/test.py ... --cfg-options test_evaluator.outfile_prefix=DIR``)::

    python tools/analysis_tools/mot_eval.py DIR/default-tracker --gt-root data/MOT17/train \
        --gt-file gt_half-val.txt
"""
import argparse

from svm.evaluation.mot_files import REPORTED_FIELDS, evaluate_mot_files, format_table
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Score MOTChallenge result files with TrackEval')
    parser.add_argument('result_dir', help='folder of <sequence>.txt result files')
    parser.add_argument('--gt-root', required=True, help='folder of <sequence>/gt/<gt-file>')
    parser.add_argument('--gt-file', default='gt.txt', help='e.g. gt_half-val.txt for MOT17 half-val')
    parser.add_argument('--seqs', nargs='+', default=None,
                        help='sequences (default: every sequence with ground truth under --gt-root)')
    parser.add_argument('--allow-missing', action='store_true',
                        help='score only the sequences that have a result file (by default a sequence with '
                        'ground truth but no result file is an error naming it)')
    parser.add_argument('--metrics', nargs='+', default=['HOTA', 'CLEAR', 'Identity'],
                        choices=list(REPORTED_FIELDS))
    parser.add_argument('--benchmark', default='MOT17', choices=['MOT15', 'MOT16', 'MOT17', 'MOT20'])
    parser.add_argument('--quiet', action='store_true', help="skip TrackEval's own tables")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    results = evaluate_mot_files(
        args.result_dir, args.gt_root, '{gt_folder}/{seq}/gt/' + args.gt_file, seqs=args.seqs,
        metrics=args.metrics, benchmark=args.benchmark, print_results=not args.quiet,
        allow_missing=args.allow_missing)
    print(format_table(results, args.metrics))
    return results


if __name__ == '__main__':
    run_main(main)
