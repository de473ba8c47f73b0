"""MOTChallenge evaluation of tracking results during training and testing."""
import logging
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmdet.registry import TASK_UTILS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement

from svm.datasets.mot.mot_challenge import (GT_FIELDS, RESULT_FIELDS, read_gt, renumber_frames, write_gt,
                                            write_results)
from svm.registry import MMDET_METRICS
from .mot_files import REPORTED_FIELDS, evaluate_mot_files

BENCHMARKS = ('MOT15', 'MOT16', 'MOT17', 'MOT20', 'DanceTrack')


def postprocess_tracks(rows: np.ndarray, methods: Sequence) -> np.ndarray:
    """Apply mmdet's tracklet post-processing (``InterpolateTracklets``) to a video's result rows.

    InterpolateTracklets indexes a 2-D array (it fails on a video without any track) and drops tracks
    of at most 2 frames, then fails on the empty concatenation when no longer track is left: both cases
    give no tracks here, as they would if it did not fail.

    Args:
        rows: (N, 7) ``frame, id, x, y, w, h, score``.
        methods: objects with ``forward(rows) -> rows``.

    Returns:
        (M, 7) rows.
    """
    for method in methods:
        if rows.size == 0:
            return np.zeros((0, len(RESULT_FIELDS)))
        _, lengths = np.unique(rows[:, 1], return_counts=True)
        if (lengths <= 2).all():
            return np.zeros((0, len(RESULT_FIELDS)))
        rows = method.forward(rows)
    return rows


def _numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def predicted_rows(pred_track_instances: dict, frame: int) -> np.ndarray:
    """A frame's tracks (``instances_id``, ``bboxes`` x1, y1, x2, y2, ``scores``) as result rows
    (n, 7) ``frame, id, x, y, w, h, score``, float64.

    The width and height are differences in the boxes' own precision (float32), as mmdet's
    MOTChallengeMetric computes them, so that the result files are the same to the last digit.
    """
    boxes = _numpy(pred_track_instances['bboxes']).reshape(-1, 4)
    rows = np.empty((len(boxes), len(RESULT_FIELDS)))
    rows[:, 0] = frame
    rows[:, 1] = _numpy(pred_track_instances['instances_id']).reshape(-1)
    rows[:, 2:4] = boxes[:, :2]
    rows[:, 4:6] = boxes[:, 2:] - boxes[:, :2]
    rows[:, 6] = _numpy(pred_track_instances['scores']).reshape(-1)
    return rows


def annotated_rows(instances: List[dict], frame: int) -> np.ndarray:
    """A frame's annotations of the dataset (``bbox`` x1, y1, x2, y2) as ground-truth rows (n, 9)."""
    return np.array([[frame, i['instance_id'], i['bbox'][0], i['bbox'][1], i['bbox'][2] - i['bbox'][0],
                      i['bbox'][3] - i['bbox'][1], i['mot_conf'], i['category_id'], i['visibility']]
                     for i in instances], dtype=np.float64).reshape(-1, len(GT_FIELDS))


def file_frame(img_path: str) -> Optional[int]:
    """The MOTChallenge frame number of an image (``img1/000302.jpg`` -> 302), None if the name is not one."""
    stem = osp.splitext(osp.basename(img_path))[0]
    return int(stem) if stem.isdigit() else None


@dataclass
class _VideoInProgress:
    """The frames of a video received so far on this rank (frame numbers of the result files, from 1)."""
    length: int
    gt_file: Optional[str]  # <video>/gt/gt.txt beside the image folder; None unless every image is <number>.<ext>
    preds: Dict[int, np.ndarray] = field(default_factory=dict)  # frame -> (n, 7)
    annotations: Dict[int, np.ndarray] = field(default_factory=dict)  # frame -> (m, 9), the dataset's
    file_frames: Dict[int, int] = field(default_factory=dict)  # frame number in gt.txt -> frame


@MMDET_METRICS.register_module()
class MOTTrackEvalMetric(BaseMetric):
    """TrackEval's HOTA, CLEAR and Identity figures of a tracking test, with the result files of mmdet's
    ``MOTChallengeMetric`` and its arguments (but ``track_iou_thr``, which mmdet ignores, and
    ``use_postprocess``, rows already in the result format).

    ``process`` keeps the rows of each video (its predictions and ground truth) and adds one entry per
    finished video to ``self.results``, whether the video arrives frame by frame (``TrackImgSampler``, in
    any number of batches) or whole; mmengine's ``evaluate`` gathers the entries of every rank, and
    rank 0 writes the files (``<outfile_prefix>/default-tracker/<video>.txt``, or a temporary folder),
    post-processes the tracks (``postprocess_tracklet_cfg``, e.g. ``InterpolateTracklets``) and scores
    them with :func:`svm.evaluation.mot_files.evaluate_mot_files`, the TrackEval call that
    tools/analysis_tools/mot_eval.py uses on existing files. Nothing is written while testing, so the
    ranks need no shared folder other than mmengine's gathering one (``collect_device='cpu'``: a folder
    in the working directory; ``'gpu'`` gathers through the process group).

    Compared with mmdet's metric it reports every figure of ``REPORTED_FIELDS`` (HOTA with DetA, AssA,
    DetRe/Pr, AssRe/Pr, LocA; CLEAR with MOTA, MOTP, CLR_TP/FN/FP, IDSW, MT/PT/ML, Frag; Identity with
    IDF1, IDP, IDR, IDTP/FN/FP), rates as fractions, counts as counts, and it scores a video without any
    predicted track or with only tracks of 1-2 frames, and a video without ground truth.

    Ground truth: every row of the video's MOTChallenge file, as MOTChallenge's official evaluation
    (TrackEval on ``gt.txt``) and the S-ViT release (mmtrack 0.x, TrackEval on ``gt_half-val.txt``) score,
    so tools/test.py and tools/analysis_tools/mot_eval.py give the same figures on the same result
    files. When a test image is ``<video>/<imDir>/<frame number>.<ext>`` and ``<video>/gt/gt.txt``
    exists (MOTChallenge layout: MOT17, the synthetic benchmark), the rows of the tested frames are read
    from that file (on the rank that tested the video) and renumbered like the result files (for
    half-val these are the rows of ``gt_half-val.txt``). mmdet's metric instead writes the dataset's
    annotations, from which mmdet's ``MOTChallengeDataset`` has dropped every box without overlap with
    ``[0, width] x [0, height]`` (it reads MOT's 1-based left/top as 0-based, so a box on the last pixel
    column or row goes too), boxes under 1 pixel and classes outside its metainfo. Only videos without
    such a file (another layout) are scored against the dataset's annotations.

    Args:
        metric: TrackEval metric families among 'HOTA', 'CLEAR', 'Identity'.
        outfile_prefix: keep the result files in ``<outfile_prefix>/default-tracker/`` (its previous
            ``<video>.txt`` files are removed first); by default they go to a temporary folder.
        benchmark: TrackEval benchmark, one of :data:`BENCHMARKS` (MOT15 has no preprocessing; the others
            drop predictions matched to distractor classes and ignore zero-marked ground truth).
        format_only: only write the result files (a test-server submission; needs ``outfile_prefix``).
        postprocess_tracklet_cfg: configs of mmdet ``TASK_UTILS`` applied to each video's tracks before
            they are written, e.g. ``[dict(type='InterpolateTracklets', min_num_frames=5, max_num_frames=20)]``.
        collect_device: how mmengine gathers the videos of every rank, 'cpu' or 'gpu'.
        prefix: prefix of the figure names, 'motchallenge-metric' by default.
    """
    TRACKER = 'default-tracker'
    default_prefix: Optional[str] = 'motchallenge-metric'

    def __init__(self,
                 metric: Union[str, Sequence[str]] = ('HOTA', 'CLEAR', 'Identity'),
                 outfile_prefix: Optional[str] = None,
                 benchmark: str = 'MOT17',
                 format_only: bool = False,
                 postprocess_tracklet_cfg: Optional[List[dict]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.metrics = [metric] if isinstance(metric, str) else list(metric)
        for name in self.metrics:
            if name not in REPORTED_FIELDS:
                raise KeyError(f'metric {name!r} is not one of {list(REPORTED_FIELDS)}')
        if benchmark not in BENCHMARKS:
            raise ValueError(f'benchmark {benchmark!r} is not one of {list(BENCHMARKS)}')
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True writes the result files only: set outfile_prefix (a temporary '
                             'folder would be removed with them)')
        self.outfile_prefix = outfile_prefix
        self.benchmark = benchmark
        self.format_only = format_only
        self.postprocess_methods = [TASK_UTILS.build(cfg) for cfg in postprocess_tracklet_cfg or []]
        self._videos: Dict[str, _VideoInProgress] = {}

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep the frames of each ``TrackDataSample`` (one frame, or a whole video); a video whose frames
        have all arrived becomes one entry of ``self.results``."""
        for track_sample in data_samples:
            for frame in track_sample['video_data_samples']:
                self._add_frame(frame.to_dict() if isinstance(frame, BaseDataElement) else frame)

    def _add_frame(self, frame: dict) -> None:
        img_path = frame['img_path']
        name = img_path.split(os.sep)[-3]  # <video>/<imDir>/<image>, mmdet's name of the video
        number = frame['frame_id'] + 1  # the frame number of the result files
        video = self._videos.get(name)
        if video is None:
            gt_file = osp.join(osp.dirname(osp.dirname(img_path)), 'gt', 'gt.txt')
            video = self._videos[name] = _VideoInProgress(length=frame['ori_video_length'], gt_file=gt_file)
        video.preds[number] = predicted_rows(frame['pred_track_instances'], number)
        video.annotations[number] = annotated_rows(frame.get('instances', []), number)
        in_file = file_frame(img_path)
        if in_file is None:
            video.gt_file = None  # not the MOTChallenge layout: the dataset's annotations are scored
        else:
            video.file_frames[in_file] = number
        if len(video.preds) == video.length:
            self.results.append(self._finish(name, self._videos.pop(name)))

    @staticmethod
    def _finish(name: str, video: _VideoInProgress) -> dict:
        """A finished video as a results entry: its rows in frame order, the ground truth from its gt.txt
        (here: the rank that tested the video has its files) when there is one."""
        frames = sorted(video.preds)
        entry = dict(video=name, length=video.length, preds=np.concatenate([video.preds[f] for f in frames]))
        if video.gt_file and osp.isfile(video.gt_file):
            gt = renumber_frames(read_gt(video.gt_file), video.file_frames)
            entry.update(gt=gt[np.lexsort((gt[:, 1], gt[:, 0]))], gt_source=video.gt_file)  # by frame, then id
        else:
            entry.update(gt=np.concatenate([video.annotations[f] for f in frames]), gt_source=None)
        return entry

    def evaluate(self, size: int) -> dict:
        """mmengine's gathering and scoring, after checking that every video this rank began is complete."""
        unfinished, self._videos = self._videos, {}
        if unfinished:
            raise RuntimeError('MOTTrackEvalMetric: frames missing from videos: ' + ', '.join(
                f'{name} ({len(v.preds)} of {v.length} frames)' for name, v in sorted(unfinished.items())))
        return super().evaluate(size)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write every video's result file (post-processed) and ground-truth file, and score them (rank 0)."""
        videos = {}
        for entry in results:
            if entry['video'] in videos:
                raise ValueError(f'MOTTrackEvalMetric: video {entry["video"]} was tested twice (two videos of '
                                 'the test set share its folder name)')
            videos[entry['video']] = entry
        from_annotations = sorted(v for v, e in videos.items() if e['gt_source'] is None and len(e['gt']))
        if from_annotations and not self.format_only:
            print_log(f'MOTTrackEvalMetric: no <video>/gt/gt.txt beside the images of {", ".join(from_annotations)}: '
                      "scored against the dataset's annotations (mmdet drops boxes without overlap with the "
                      "image from them; MOTChallenge's evaluation keeps every row of gt.txt)", logger='current',
                      level=logging.WARNING)
        with tempfile.TemporaryDirectory() as tmp_dir:
            pred_dir = osp.join(self.outfile_prefix or tmp_dir, self.TRACKER)
            shutil.rmtree(pred_dir, ignore_errors=True)  # no video of a previous run
            os.makedirs(pred_dir)
            for name, entry in videos.items():
                tracks = postprocess_tracks(entry['preds'], self.postprocess_methods)
                write_results(osp.join(pred_dir, f'{name}.txt'), tracks)
            if self.format_only:
                return {}
            gt_dir = osp.join(tmp_dir, 'gt')
            os.makedirs(gt_dir)
            for name, entry in videos.items():
                write_gt(osp.join(gt_dir, f'{name}.txt'), entry['gt'])  # empty: no ground-truth box
            per_seq = evaluate_mot_files(
                pred_dir, gt_dir, gt_loc_format='{gt_folder}/{seq}.txt', seqs=sorted(videos),
                seq_lengths={name: entry['length'] for name, entry in videos.items()}, metrics=self.metrics,
                benchmark=self.benchmark)
        return per_seq['COMBINED']
