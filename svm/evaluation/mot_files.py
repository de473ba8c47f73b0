"""Score MOTChallenge result files against ground-truth files with TrackEval.

:func:`evaluate_mot_files` is the one TrackEval call of svm: :class:`~svm.evaluation.MOTTrackEvalMetric`
(tools/test.py) writes a test run's files and scores them with it, tools/analysis_tools/mot_eval.py scores
files that already exist (a previous run's ``outfile_prefix``, another tracker's output, a submission).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import trackeval

from svm.datasets.mot.mot_challenge import max_frame, read_results

# Figures reported per metric family, as named by TrackEval. HOTA's are averaged over its 19
# localisation thresholds (alpha = 0.05 ... 0.95), as TrackEval's summaries do.
REPORTED_FIELDS = {
    'HOTA': ['HOTA', 'DetA', 'AssA', 'DetRe', 'DetPr', 'AssRe', 'AssPr', 'LocA'],
    'CLEAR': ['MOTA', 'MOTP', 'CLR_TP', 'CLR_FN', 'CLR_FP', 'IDSW', 'MT', 'PT', 'ML', 'Frag'],
    'Identity': ['IDF1', 'IDP', 'IDR', 'IDTP', 'IDFN', 'IDFP'],
}
# the figures that are fractions (printed in percent); the others are counts
RATE_FIELDS = {'HOTA', 'DetA', 'AssA', 'DetRe', 'DetPr', 'AssRe', 'AssPr', 'LocA', 'MOTA', 'MOTP',
               'IDF1', 'IDP', 'IDR'}


def gt_sequences(gt_root: str, gt_loc_format: str) -> List[str]:
    """The sequences that have a ground-truth file under ``gt_root`` (folders or files named after them)."""
    if not osp.isdir(gt_root):
        raise FileNotFoundError(f'ground-truth folder {gt_root} not found')
    names = {n for entry in os.listdir(gt_root) for n in (entry, osp.splitext(entry)[0])}
    return sorted(n for n in names if osp.isfile(gt_loc_format.format(gt_folder=gt_root, seq=n)))


def flatten_trackeval(res: dict, metrics: Sequence[str]) -> Dict[str, float]:
    """Flatten TrackEval's result of one sequence/class into ``{figure: value}``."""
    out = {}
    for metric in metrics:
        for field in REPORTED_FIELDS[metric]:
            value = res[metric][field]
            out[field] = float(np.mean(value))
    return out


def evaluate_mot_files(result_dir: str,
                       gt_root: str,
                       gt_loc_format: str = '{gt_folder}/{seq}/gt/gt.txt',
                       seqs: Optional[List[str]] = None,
                       seq_lengths: Optional[Dict[str, int]] = None,
                       metrics: Sequence[str] = ('HOTA', 'CLEAR', 'Identity'),
                       benchmark: str = 'MOT17',
                       print_results: bool = True,
                       allow_missing: bool = False) -> Dict[str, Dict[str, float]]:
    """Score ``<result_dir>/<seq>.txt`` against the ground truth at ``gt_loc_format``.

    Args:
        result_dir: folder of MOTChallenge result files, one ``<seq>.txt`` per sequence.
        gt_root: folder of the ground truth (``{gt_folder}`` in ``gt_loc_format``).
        gt_loc_format: where a sequence's ground truth is, e.g. ``'{gt_folder}/{seq}/gt/gt_half-val.txt'``
            for MOT17 half-val (the MOTChallenge layout) or ``'{gt_folder}/{seq}.txt'``.
        seqs: sequences to score (default: every sequence with ground truth under ``gt_root``, which
            must all have a result file unless ``allow_missing``).
        seq_lengths: frames per sequence (default: the last frame with a box in either file; frames
            after it change no figure).
        metrics: TrackEval metric families among 'HOTA', 'CLEAR', 'Identity'.
        benchmark: TrackEval benchmark name; it selects the preprocessing (MOT15 has none; the
            others drop predictions matched to distractor classes and ignore zero-marked ground truth).
        print_results: let TrackEval print its tables.
        allow_missing: score only the sequences that have a result file. By default a sequence with
            ground truth (or named in ``seqs``) but no ``<seq>.txt`` in ``result_dir`` is an error naming
            it: a missing file is usually a crashed or partial run, and scoring the others silently
            reports figures of another set of sequences.

    Returns:
        ``{seq: {figure: value}}`` for every sequence plus ``'COMBINED'``; rates are fractions
        (MOTA 0.75 is 75 %), counts are counts.
    """
    for metric in metrics:
        if metric not in REPORTED_FIELDS:
            raise KeyError(f'metric {metric!r} is not one of {list(REPORTED_FIELDS)}')
    if not osp.isdir(result_dir):
        raise FileNotFoundError(f'result folder {result_dir} not found')
    result_dir = osp.abspath(result_dir)
    results = sorted(osp.splitext(f)[0] for f in os.listdir(result_dir) if f.endswith('.txt'))
    if not results:
        raise FileNotFoundError(f'{result_dir} holds no <sequence>.txt result files')
    which = 'named' if seqs is not None else 'with ground truth'
    if seqs is None:
        seqs = sorted(set(results) | set(gt_sequences(gt_root, gt_loc_format)))
    missing = [seq for seq in seqs if not osp.isfile(osp.join(result_dir, f'{seq}.txt'))]
    if missing and not allow_missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(seqs)} sequences {which} have no result file in {result_dir}: '
            f'{", ".join(missing)} (a crashed or partial run?). Pass --allow-missing (allow_missing=True) '
            f'to score only the sequences with results, or --seqs to choose the sequences.')
    if missing:
        print(f'allow_missing: scoring {len(seqs) - len(missing)} of {len(seqs)} sequences; no result file '
              f'for {", ".join(missing)}')
        seqs = [seq for seq in seqs if seq not in missing]
    if not seqs:
        raise FileNotFoundError(f'none of the sequences has a result file in {result_dir}')
    seq_info = {}
    for seq in seqs:
        res_path = osp.join(result_dir, f'{seq}.txt')
        gt_path = gt_loc_format.format(gt_folder=gt_root, seq=seq)
        if not osp.isfile(gt_path):
            raise FileNotFoundError(f'{gt_path} not found (sequence {seq})')
        # checked row by row (errors at <file>:<line>) before TrackEval, whose errors name no row
        read_results(res_path, seq_lengths.get(seq) if seq_lengths else None)
        if seq_lengths is not None and seq in seq_lengths:
            seq_info[seq] = int(seq_lengths[seq])
        else:
            seq_info[seq] = max(max_frame(res_path), max_frame(gt_path), 1)

    eval_config = trackeval.Evaluator.get_default_eval_config()
    eval_config.update(
        PRINT_RESULTS=print_results, PRINT_CONFIG=False, TIME_PROGRESS=False, OUTPUT_SUMMARY=False,
        OUTPUT_DETAILED=False, PLOT_CURVES=False, LOG_ON_ERROR=None)
    tracker = osp.basename(result_dir)
    dataset_config = dict(
        GT_FOLDER=gt_root, TRACKERS_FOLDER=osp.dirname(result_dir), OUTPUT_FOLDER=None,
        TRACKERS_TO_EVAL=[tracker], CLASSES_TO_EVAL=['pedestrian'], BENCHMARK=benchmark,
        SPLIT_TO_EVAL='train', INPUT_AS_ZIP=False, PRINT_CONFIG=False,
        DO_PREPROC=benchmark != 'MOT15', TRACKER_SUB_FOLDER='', OUTPUT_SUB_FOLDER='',
        SEQ_INFO=seq_info, GT_LOC_FORMAT=gt_loc_format, SKIP_SPLIT_FOL=True)
    evaluator = trackeval.Evaluator(eval_config)
    dataset = trackeval.datasets.MotChallenge2DBox(dataset_config)
    metric_objs = [getattr(trackeval.metrics, m)(dict(METRICS=[m], THRESHOLD=0.5, PRINT_CONFIG=False))
                   for m in metrics]
    output_res, output_msg = evaluator.evaluate([dataset], metric_objs)
    status = output_msg['MotChallenge2DBox'][tracker]
    if status != 'Success':
        raise RuntimeError(f'TrackEval failed on {result_dir}: {status}')
    per_seq = output_res['MotChallenge2DBox'][tracker]
    return {('COMBINED' if seq == 'COMBINED_SEQ' else seq): flatten_trackeval(res['pedestrian'], metrics)
            for seq, res in per_seq.items()}


def format_table(results: Dict[str, Dict[str, float]], metrics: Sequence[str]) -> str:
    """:func:`evaluate_mot_files`'s result as a text table: a row per sequence then COMBINED, a column per
    figure of ``metrics``; rates in percent with 2 decimals, counts as integers."""
    fields = [f for m in metrics for f in REPORTED_FIELDS[m]]
    rows = [r for r in results if r != 'COMBINED'] + ['COMBINED']
    width = max(len(r) for r in rows) + 2
    lines = [''.ljust(width) + ''.join(f'{f:>8}' for f in fields)]
    for row in rows:
        cells = [f'{100 * results[row][f]:8.2f}' if f in RATE_FIELDS else f'{results[row][f]:8.0f}'
                 for f in fields]
        lines.append(row.ljust(width) + ''.join(cells))
    return '\n'.join(lines)
