"""MOTChallenge evaluation of tracking results during training and testing."""
import logging
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, Optional

import numpy as np
from mmdet.evaluation.metrics import MOTChallengeMetric
from mmengine.dist import barrier, is_main_process
from mmengine.logging import print_log

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


def _file_frame(img_path: str) -> Optional[int]:
    """The MOTChallenge frame number of an image (``img1/000302.jpg`` -> 302), None if the name is not one."""
    stem = osp.splitext(osp.basename(img_path))[0]
    return int(stem) if stem.isdigit() else None


def read_gt_file_rows(gt_file: str, frames: Dict[int, int]) -> np.ndarray:
    """Rows of a MOTChallenge ``gt.txt`` (``frame,id,x,y,w,h,conf,class,visibility``) of the frames in
    ``frames`` (file frame number -> frame number of the result files), renumbered, every row kept as
    the file has it. (N, 9); the same rows as mot2coco's ``gt_half-{train,val}.txt`` of those frames."""
    if osp.getsize(gt_file) == 0:
        return np.zeros((0, 9))
    rows = np.loadtxt(gt_file, delimiter=',', ndmin=2)
    if rows.shape[1] < 9:
        raise ValueError(f'{gt_file}: expected at least 9 columns frame,id,x,y,w,h,conf,class,visibility, '
                         f'got {rows.shape[1]}')
    rows = rows[:, :9]
    numbers = rows[:, 0].astype(np.int64)
    keep = np.array([n in frames for n in numbers], dtype=bool)
    rows = rows[keep]
    rows[:, 0] = [frames[n] for n in numbers[keep]]
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]  # by frame, then id


def write_gt_rows(rows: np.ndarray, path: str) -> None:
    """Write ground-truth rows in the MOTChallenge format without rounding (mmdet's writer truncates the
    box to whole pixels)."""
    with open(path, 'w') as f:
        for r in rows:
            f.write(f'{int(r[0])},{int(r[1])},{r[2]:.10g},{r[3]:.10g},{r[4]:.10g},{r[5]:.10g},{r[6]:.10g},'
                    f'{int(r[7])},{r[8]:.10g}\n')


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

    Ground truth: every row of the video's MOTChallenge file, as MOTChallenge's official evaluation
    (TrackEval on ``gt.txt``) and the S-ViT release (mmtrack 0.x, TrackEval on ``gt_half-val.txt``)
    score, so tools/test.py and tools/analysis_tools/mot_eval.py give the same figures on the same
    result files. When a test image is ``<video>/<imDir>/<frame number>.<ext>`` and
    ``<video>/gt/gt.txt`` exists (MOTChallenge layout: MOT17, the synthetic benchmark), the rows of the
    tested frames are read from that file, renumbered like the result files (for half-val these are the
    rows of mot2coco's ``gt_half-val.txt``). mmdet's metric instead writes the dataset's parsed
    annotations, from which mmdet's ``MOTChallengeDataset`` has dropped every box without overlap with
    ``[0, width] x [0, height]`` (it reads MOT's 1-based left/top as 0-based, so a box on the last
    pixel column or row goes too), boxes under 1 pixel and classes outside its metainfo, and whose
    coordinates its writer truncates to whole pixels. Only videos without such a file (another layout)
    are scored against the dataset's annotations.
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

    def transform_gt_and_pred(self, img_data_sample: dict, video: str, frame_id: int) -> None:
        """mmdet's per-frame step, plus where the frame's ground truth is in the MOTChallenge files."""
        super().transform_gt_and_pred(img_data_sample, video, frame_id)
        img_path = img_data_sample['img_path']
        info = self.seq_info[img_path.split(os.sep)[-3]]  # mmdet's name of the video
        info.setdefault('gt_file', osp.join(osp.dirname(osp.dirname(img_path)), 'gt', 'gt.txt'))
        number = _file_frame(img_path)
        if number is None:
            info['gt_file'] = None  # not the MOTChallenge layout: the dataset's annotations are used
        else:
            info.setdefault('gt_frames', {})[number] = frame_id + 1

    def _save_one_video_gts_preds(self, seq: str) -> None:
        """Keep a finished (post-processed) video's rows, as arrays, for :meth:`evaluate` to gather; its
        ground truth from the video's gt.txt when there is one (on the rank that tested the video, which
        has its files)."""
        info = self.seq_info[seq]
        info['pred_tracks'] = _rows(info['pred_tracks'], width=7)
        gt_file = info.get('gt_file')
        if gt_file and osp.isfile(gt_file):
            info['gt_tracks'] = read_gt_file_rows(gt_file, info.pop('gt_frames'))
            info['gt_source'] = gt_file
        else:
            info['gt_tracks'] = _rows(info['gt_tracks'], width=9)
            info['gt_source'] = 'dataset annotations'
        info.pop('gt_frames', None)

    def _write_files(self) -> None:
        """Write every video's result file with mmdet's writer and its ground-truth file (rank 0, after
        the rows of all ranks are gathered)."""
        from_dataset = []
        for seq, info in self.seq_info.items():
            gt_rows = info['gt_tracks']
            if info.get('gt_source') == 'dataset annotations' and len(gt_rows):
                from_dataset.append(seq)
            info['gt_tracks'] = []  # mmdet's writer: result file only
            super()._save_one_video_gts_preds(seq)
            write_gt_rows(gt_rows, osp.join(self.gt_dir, seq + '.txt'))  # empty: no ground-truth box
        if from_dataset:
            print_log(f'MOTTrackEvalMetric: no <video>/gt/gt.txt beside the images of {", ".join(from_dataset)}: '
                      "scored against the dataset's annotations (mmdet drops boxes without overlap with the "
                      "image from them; MOTChallenge's evaluation keeps every row of gt.txt)", logger='current',
                      level=logging.WARNING)

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
