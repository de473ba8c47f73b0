"""MOTChallenge evaluation of tracking results during training and testing."""
import os
import os.path as osp
from collections import defaultdict
from typing import Optional

import numpy as np
from mmdet.evaluation.metrics import MOTChallengeMetric
from mmengine.dist import barrier, is_main_process

from svm.registry import MMDET_METRICS
from .mot_files import evaluate_mot_files


class _EmptySafe:
    """mmdet's InterpolateTracklets with its empty cases handled: it indexes a 2-D array (fails on a
    video without any predicted track) and drops tracks of at most 2 frames, then fails on the empty
    concatenation when no longer track is left. Both give no tracks, as they would if it did not fail."""

    def __init__(self, method):
        self.method = method

    def forward(self, pred_tracks: np.ndarray) -> np.ndarray:
        if pred_tracks.size == 0:
            return np.zeros((0, 7))
        _, lengths = np.unique(pred_tracks[:, 1], return_counts=True)
        if (lengths <= 2).all():
            return np.zeros((0, 7))
        return self.method.forward(pred_tracks)


def _rows(rows, width: int) -> np.ndarray:
    """A video's rows (a list of 1-D arrays or tensors, or an array) as one 2-D array, (0, width) if none."""
    rows = np.array(rows, dtype=np.float64)
    return rows if rows.ndim == 2 else rows.reshape(0, width)


@MMDET_METRICS.register_module()
class MOTTrackEvalMetric(MOTChallengeMetric):
    """mmdet's :class:`MOTChallengeMetric` (same arguments, same result files), scored by
    :func:`svm.evaluation.mot_files.evaluate_mot_files`, the TrackEval call that
    tools/analysis_tools/mot_eval.py uses on existing files.

    Compared with mmdet's metric it reports every figure of ``REPORTED_FIELDS`` (HOTA with DetA,
    AssA, DetRe/Pr, AssRe/Pr, LocA; CLEAR with MOTA, MOTP, TP/FN/FP, IDSW, MT/PT/ML, Frag; Identity
    with IDF1, IDP, IDR, IDTP/FN/FP), counts and rates as TrackEval computes them (rates are
    fractions). It survives what mmdet's does not: a video without any predicted track or with only
    tracks of 1-2 frames (the interpolation step crashed), a video without ground truth, a distributed
    test over several machines (each rank wrote its videos' files into a folder in its own machine's
    /tmp and rank 0 read only its own; here the rows are gathered and rank 0 writes every file), ranks
    that start or finish at different times; it keeps the result folder to ``<video>.txt`` files and
    starts every evaluation (validation each epoch) from empty per-video state.

    For a test-server submission set ``format_only=True`` and ``outfile_prefix``: the result files
    are ``<outfile_prefix>/default-tracker/<video>.txt``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.postprocess_tracklet_methods = [_EmptySafe(m) for m in self.postprocess_tracklet_methods]
        # Ranks on one machine share the folder (mmdet broadcasts the name rank 0 made) and each has
        # written mmdet's sequence list into it; after the barrier rank 0 alone changes the folder.
        self._owns_tmp_dir = is_main_process()
        barrier()
        seqmap = osp.join(self.tmp_dir.name, 'videoseq.txt')
        if self._owns_tmp_dir:
            # mmdet keeps its sequence list in the result folder; keep that folder to <video>.txt
            # files, as a submission or tools/analysis_tools/mot_eval.py wants it
            os.remove(self.seqmap)
            with open(seqmap, 'w') as f:
                f.write('name\n')
        self.seqmap = seqmap

    def __del__(self):
        # mmdet removes the shared folder from every rank, so a rank that finished first pulled it
        # from under the others; the rank that made it removes it (the others' own, unused temporary
        # folders go with their TemporaryDirectory finalizers)
        if getattr(self, '_owns_tmp_dir', False):
            super().__del__()

    def _save_one_video_gts_preds(self, seq: str) -> None:
        """Keep a finished (post-processed) video's rows, as arrays, for :meth:`evaluate` to gather."""
        info = self.seq_info[seq]
        info['pred_tracks'] = _rows(info['pred_tracks'], width=7)
        info['gt_tracks'] = _rows(info['gt_tracks'], width=9)

    def _write_files(self) -> None:
        """Write every video's result and ground-truth file with mmdet's writer (rank 0, after the
        rows of all ranks are gathered)."""
        for seq, info in self.seq_info.items():
            info['gt_tracks'] = list(info['gt_tracks'])  # mmdet's writer tests the list for emptiness
            super()._save_one_video_gts_preds(seq)
            gt_file = osp.join(self.gt_dir, seq + '.txt')
            if not osp.exists(gt_file):
                open(gt_file, 'w').close()  # no ground-truth box in this video

    def compute_metrics(self, results: Optional[list] = None) -> dict:
        self._write_files()
        if self.format_only:
            return {}
        per_seq = evaluate_mot_files(
            self.pred_dir, self.gt_dir, gt_loc_format='{gt_folder}/{seq}.txt', seqs=sorted(self.seq_info),
            seq_lengths={seq: info['seq_length'] for seq, info in self.seq_info.items()},
            metrics=self.metrics, benchmark=self.benchmark)
        return per_seq['COMBINED']

    def evaluate(self, size: int = 1) -> dict:
        metrics = super().evaluate(size)
        self.seq_info = defaultdict(lambda: dict(seq_length=-1, gt_tracks=[], pred_tracks=[]))
        return metrics
