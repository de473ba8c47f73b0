"""MOTChallenge sequences (MOT17/MOT20 layout) to the COCO-video json files that mmdet's
:class:`~mmdet.datasets.MOTChallengeDataset` loads.

Input layout (the official one)::

    <root>/train/MOT17-02-FRCNN/{seqinfo.ini, img1/000001.jpg, gt/gt.txt, det/det.txt}
    <root>/test/...

Output: ``<out>/<subset>_cocoformat.json`` per subset. The ``half-train`` / ``half-val`` subsets split
every train video as the release does (the first ``n // 2 + 1`` frames train, the rest validate) and
write ``gt/gt_half-train.txt`` and ``gt/gt_half-val.txt`` beside each ``gt.txt``, frames renumbered
from 1 like the result files of tracking (the ground truth of tools/analysis_tools/mot_eval.py). With
``convert_det`` the public detections (``det/det.txt``) of every frame go to
``<out>/<subset>_detections.pkl`` as ``{'det_bboxes': {file_name: [array (n, 5) x1,y1,x2,y2,score]}}``.

The whole input is checked before anything is written, and every problem found is reported in one error
(:class:`MOTDataError`): ``seqinfo.ini`` (present; positive whole numbers; an image size equal to the first
frame's), the frames it lists (every missing one named), ``gt.txt`` (present, not empty; finite numbers, frames,
ids and boxes, each bad row named ``<file>:<line>``) and ``det.txt``. What lies beyond ``seqLength`` -- frames on
disk, rows of ``gt.txt`` or ``det.txt`` -- is left out with a warning naming the file and the count (some
releases ship extra frames). Each output file is written atomically.

The json holds ``videos``, ``images`` with ``video_id``/``frame_id`` (0-based) and ``mot_frame_id``,
``annotations`` with ``instance_id``, ``mot_conf`` and ``visibility``, and the 13 MOTChallenge
``categories``.
"""
import os
import os.path as osp
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set

import mmengine
import numpy as np
from PIL import Image

from svm.utils.checkpoint import AtomicLocalBackend
from svm.utils.progress import track_iter_progress
from svm.utils.user_errors import error_message

from .mot_challenge import SeqInfo, gt_text, read_detections, read_gt, read_seqinfo, renumber_frames

CLASSES = [
    dict(id=1, name='pedestrian'),
    dict(id=2, name='person_on_vehicle'),
    dict(id=3, name='car'),
    dict(id=4, name='bicycle'),
    dict(id=5, name='motorbike'),
    dict(id=6, name='non_mot_vehicle'),
    dict(id=7, name='static_person'),
    dict(id=8, name='distractor'),
    dict(id=9, name='occluder'),
    dict(id=10, name='occluder_on_ground'),
    dict(id=11, name='occluder_full'),
    dict(id=12, name='reflection'),
    dict(id=13, name='crowd'),
]
HALF_SUBSETS = ('half-train', 'half-val')
# the most rows of one file, or missing frames of one sequence, that an error lists by name
MAX_LISTED = 10


class MOTDataError(ValueError):
    """Every problem found in a MOTChallenge root, in one error (:attr:`problems`, one message each)."""

    def __init__(self, root: str, problems: List[str]):
        self.problems = problems
        super().__init__(f'{len(problems)} problem{"s" * (len(problems) > 1)} in {root}, nothing written:\n'
                         + '\n'.join(f'  {p}' for p in problems))


def read_training_gt(path: str, num_frames: int, problems: Optional[List[str]] = None) -> np.ndarray:
    """The checked ground truth (N, 9) of a training sequence of ``num_frames`` frames (rows beyond them are left
    out, see :func:`rows_within_sequence`); a file without rows is an error.

    MOTChallenge and MOTSynth annotate every training sequence, so an empty ``gt.txt`` is a broken
    download or export; converted, it would only fail later, in training, as mmdet's "No valid
    instances found" (its MOTChallengeDataset refuses every training frame without a box). There is
    no option to allow it for that reason: leave such a sequence out of the ``train`` folder.

    Bad rows raise a ValueError, or, given ``problems``, are named there (at most :data:`MAX_LISTED` of them) and
    left out, as is the empty file's error.
    """
    row_problems: List[str] = []
    rows = read_gt(path, problems=None if problems is None else row_problems)
    if problems is not None:
        problems += listed_problems(path, row_problems)
    if not len(rows) and not row_problems:
        message = (f'{path} is empty: expected ground-truth rows frame,id,x,y,w,h,conf,class,visibility (every '
                   f'MOT17/MOTSynth training sequence has them); re-extract the file, or move a sequence without '
                   f'annotations out of the training folder')
        if problems is None:
            raise ValueError(message)
        problems.append(message)
    return rows_within_sequence(rows, path, num_frames)


def rows_within_sequence(rows: np.ndarray, path: str, num_frames: int) -> np.ndarray:
    """The rows (N, C) of ``path`` whose frame (column 0) is at most ``num_frames`` (seqLength); the others are
    left out with a warning, as the frames beyond seqLength are (:func:`check_images_match_seqinfo`)."""
    beyond = rows[:, 0] > num_frames
    if beyond.any():
        # a plain print: the converters' messages go to the terminal, not to a run's log
        first, last = int(rows[beyond, 0].min()), int(rows[beyond, 0].max())
        where = f'frame {first}' if first == last else f'frames {first}..{last}'
        print(f'WARNING: {path} has {int(beyond.sum())} row(s) in {where}, beyond seqLength={num_frames}: left out',
              file=sys.stderr)
    return rows[~beyond]


def listed_problems(path: str, problems: List[str]) -> List[str]:
    """The first :data:`MAX_LISTED` of the ``problems`` of one file, and how many more there are."""
    more = len(problems) - MAX_LISTED
    return problems[:MAX_LISTED] + ([f'{path}: {more} more bad rows'] if more > 0 else [])


def gt_annotations(rows: np.ndarray) -> Dict[int, List[dict]]:
    """COCO annotations (bbox x, y, w, h) of ground-truth rows (N, 9), by 1-based MOT frame number."""
    outputs = defaultdict(list)
    for frame, ins_id, x, y, w, h, conf, category, visibility in rows.tolist():
        # conf 0 marks boxes to ignore: training ignores them (ByteTrack's recipe drops them) and
        # TrackEval skips them as "zero-marked" ground truth.
        outputs[int(frame)].append(dict(
            category_id=int(category), bbox=[x, y, w, h], area=w * h, iscrowd=conf == 0,
            visibility=visibility, mot_instance_id=int(ins_id), mot_conf=conf))
    return outputs


def detection_boxes(rows: np.ndarray) -> Dict[int, np.ndarray]:
    """Public detections (N, 7) as (n, 5) float32 x1, y1, x2, y2, score arrays by 1-based MOT frame number."""
    boxes = np.concatenate([rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6], rows[:, 6:7]], axis=1)
    return {int(frame): boxes[rows[:, 0] == frame].astype(np.float32) for frame in np.unique(rows[:, 0])}


def check_images_match_seqinfo(seqinfo_path: str, info: SeqInfo, first_image: str, image_dir: str,
                               warned: Set[str]) -> None:
    """Check a sequence's ``seqinfo.ini`` against its frames on disk.

    The declared size is written into every image record, and mmdet clips boxes to it, so a size that
    differs from the first frame's is an error naming both sizes. Frames beyond ``seqLength`` are left
    out of the conversion; that is only warned about (some releases ship extra frames), once per
    ``seqinfo_path`` in ``warned`` (the half split reads a sequence three times). A missing first frame
    is left to the per-frame check, which names it.
    """
    if osp.isfile(first_image):
        with Image.open(first_image) as img:  # reads the header only
            actual = img.size
        declared = (info.width, info.height)
        if actual != declared:
            raise ValueError(f'{seqinfo_path} declares imWidth x imHeight = {declared[0]}x{declared[1]}, '
                             f'but its first frame {first_image} is {actual[0]}x{actual[1]}: expected the '
                             f'size of the frames (fix imWidth/imHeight)')
    ext = osp.splitext(first_image)[1]
    if osp.isdir(image_dir) and seqinfo_path not in warned:
        num_images = sum(1 for name in os.listdir(image_dir) if name.endswith(ext))
        if num_images > info.length:
            warned.add(seqinfo_path)
            # a plain print: the converters' messages go to the terminal, not to a run's log
            print(f'WARNING: {seqinfo_path} declares seqLength={info.length} but {image_dir} holds '
                  f'{num_images} {ext} frames: the {num_images - info.length} frames beyond seqLength '
                  f'are left out', file=sys.stderr)


class CocoVideoWriter:
    """Accumulates videos, images and annotations with dataset-wide unique ids."""

    def __init__(self, categories: List[dict]):
        self.out = dict(categories=categories, videos=[], images=[], annotations=[])
        self.vid_id = self.img_id = self.ann_id = 1
        self.num_instances = 0

    def add_video(self, name: str, fps: int, width: int, height: int) -> int:
        self.out['videos'].append(dict(id=self.vid_id, name=name, fps=fps, width=width, height=height))
        self.vid_id += 1
        return self.vid_id - 1

    def add_image(self, **info) -> int:
        self.out['images'].append(dict(id=self.img_id, **info))
        self.img_id += 1
        return self.img_id - 1

    def add_annotation(self, ann: dict, image_id: int, instance_map: Dict[int, int]) -> None:
        """Add one annotation; ``instance_map`` maps this video's MOT ids to dataset-wide ids."""
        ann = dict(ann, id=self.ann_id, image_id=image_id)
        mot_id = ann['mot_instance_id']
        if mot_id not in instance_map:
            instance_map[mot_id] = self.num_instances
            self.num_instances += 1
        ann['instance_id'] = instance_map[mot_id]
        self.out['annotations'].append(ann)
        self.ann_id += 1

    def dump(self, path: str) -> None:
        """Write the json to ``path`` atomically (a complete file or none)."""
        self.out['num_instances'] = self.num_instances
        # All values were checked finite; allow_nan=False keeps any NaN out of the json all the same.
        AtomicLocalBackend().put(mmengine.dump(self.out, file_format='json', allow_nan=False).encode(), path)


def half_frames(num_frames: int, subset: str) -> range:
    """1-based MOT frame numbers of a half subset: the first ``n // 2 + 1`` frames train, the rest validate."""
    split = num_frames // 2 + 1
    return range(1, split + 1) if subset == 'half-train' else range(split + 1, num_frames + 1)


@dataclass
class CheckedSequence:
    """A sequence of a MOTChallenge folder whose input was checked: its seqinfo.ini, its ground truth (N, 9)
    and public detections (M, 7) within seqLength (None where not read)."""
    name: str
    info: SeqInfo
    gt_rows: Optional[np.ndarray] = None
    det_rows: Optional[np.ndarray] = None


def check_mot_folder(folder: str, has_gt: bool, convert_det: bool, keep_detector: Optional[str],
                     problems: List[str]) -> List[CheckedSequence]:
    """Read and check every sequence of a MOTChallenge subset folder (``<root>/train``): the problems found are
    appended to ``problems`` (one message each); returns the sequences.

    Args:
        folder: the folder of the sequences.
        has_gt: read ``gt/gt.txt`` (every subset but ``test`` has one).
        convert_det: read ``det/det.txt``.
        keep_detector: keep one copy of each MOT17 video, e.g. ``'FRCNN'`` (MOT17 ships every video
            three times, once per public detector); names without a detector suffix stay.
        problems: where the problems found go.
    """
    if not osp.isdir(folder):
        problems.append(f'{folder} not found: expected the MOTChallenge layout <root>/{{train,test}}/<sequence>/')
        return []
    seq_names = sorted(d for d in os.listdir(folder) if osp.isdir(osp.join(folder, d)))
    if keep_detector is not None:
        seq_names = [s for s in seq_names if s.endswith(f'-{keep_detector}') or len(s.split('-')) < 3]
    sequences = []
    for seq_name in track_iter_progress(seq_names):
        seq_dir = osp.join(folder, seq_name)
        try:
            info = read_seqinfo(seq_dir)
        except (FileNotFoundError, ValueError, KeyError) as err:
            problems.append(error_message(err))
            continue
        try:
            check_images_match_seqinfo(osp.join(seq_dir, 'seqinfo.ini'), info, osp.join(seq_dir, info.image_name(1)),
                                       osp.join(seq_dir, info.im_dir), set())
        except ValueError as err:
            problems.append(str(err))
        missing = [osp.basename(info.image_name(n)) for n in range(1, info.length + 1)
                   if not osp.isfile(osp.join(seq_dir, info.image_name(n)))]
        if missing:
            problems.append(f'{osp.join(seq_dir, info.im_dir)}: {len(missing)} of the {info.length} frames listed by '
                            f'seqinfo.ini (seqLength) are missing: {", ".join(missing[:MAX_LISTED])}'
                            + (', ...' if len(missing) > MAX_LISTED else ''))
        sequence = CheckedSequence(seq_name, info)
        gt_path, det_path = osp.join(seq_dir, 'gt', 'gt.txt'), osp.join(seq_dir, 'det', 'det.txt')
        if has_gt and _present(gt_path, problems):
            sequence.gt_rows = read_training_gt(gt_path, info.length, problems)
        if convert_det and _present(det_path, problems):
            sequence.det_rows = read_public_detections(det_path, info.length, problems)
        sequences.append(sequence)
    return sequences


def _present(path: str, problems: List[str]) -> bool:
    """Whether the file ``path`` exists; if not, ``problems`` says so."""
    if not osp.isfile(path):
        problems.append(f'{path} not found')
    return osp.isfile(path)


def read_public_detections(path: str, num_frames: int, problems: Optional[List[str]] = None) -> np.ndarray:
    """The checked public detections (N, 7) of a sequence of ``num_frames`` frames (rows beyond them are left
    out, see :func:`rows_within_sequence`). Bad rows raise a ValueError, or, given ``problems``, are named there
    (at most :data:`MAX_LISTED` of them) and left out."""
    row_problems: List[str] = []
    rows = read_detections(path, problems=None if problems is None else row_problems)
    if problems is not None:
        problems += listed_problems(path, row_problems)
    return rows_within_sequence(rows, path, num_frames)


def write_mot_subset(subset: str, sequences: Sequence[CheckedSequence], in_folder: str, out_dir: str,
                     convert_det: bool = False) -> str:
    """Write the json of ``subset`` over checked ``sequences`` of ``in_folder`` (:func:`check_mot_folder`),
    with ``convert_det`` their public detections, and for a half subset the ``gt/gt_<subset>.txt`` of each
    sequence; returns the json path. Each file is written atomically."""
    writer = CocoVideoWriter(CLASSES)
    detections = dict(det_bboxes=dict())
    for seq in sequences:
        info = seq.info
        video_id = writer.add_video(seq.name, info.frame_rate, info.width, info.height)
        frames = half_frames(info.length, subset) if subset in HALF_SUBSETS else range(1, info.length + 1)
        frame_to_gts = {} if seq.gt_rows is None else gt_annotations(seq.gt_rows)
        if seq.gt_rows is not None and subset in HALF_SUBSETS:
            # renumbered from 1, as the result files of tracking this subset are
            rows = renumber_frames(seq.gt_rows, {n: n - frames.start + 1 for n in frames})
            AtomicLocalBackend().put(gt_text(rows).encode(), osp.join(in_folder, seq.name, 'gt', f'gt_{subset}.txt'))
        frame_to_dets = detection_boxes(seq.det_rows) if convert_det else {}
        instance_map: Dict[int, int] = {}
        for frame_id, mot_frame_id in enumerate(frames):
            file_name = osp.join(seq.name, info.image_name(mot_frame_id))
            image_id = writer.add_image(
                video_id=video_id, file_name=file_name, height=info.height, width=info.width,
                frame_id=frame_id, mot_frame_id=mot_frame_id)
            for ann in frame_to_gts.get(mot_frame_id, []):
                writer.add_annotation(ann, image_id, instance_map)
            if convert_det:
                dets = frame_to_dets.get(mot_frame_id, np.zeros((0, 5), np.float32))
                detections['det_bboxes'][file_name] = [dets]
    out_file = osp.join(out_dir, f'{subset}_cocoformat.json')
    writer.dump(out_file)
    print(f'{subset}: {len(writer.out["videos"])} videos, {len(writer.out["images"])} images, '
          f'{writer.num_instances} instances -> {out_file}')
    if convert_det:
        AtomicLocalBackend().put(mmengine.dump(detections, file_format='pkl'),
                                 osp.join(out_dir, f'{subset}_detections.pkl'))
    return out_file


def subset_folder(root: str, subset: str) -> str:
    """The folder of a subset's sequences: ``<root>/<subset>``, ``<root>/train`` for the halves."""
    return osp.join(root, 'train' if subset in HALF_SUBSETS else subset)


def convert_mot_challenge(root: str, out_dir: str, subsets: Optional[Sequence[str]] = None,
                          split_train: bool = False, convert_det: bool = False,
                          keep_detector: Optional[str] = None) -> List[str]:
    """Convert the subsets (``train``, ``test``, ``val``, ``half-train``, ``half-val``) of a MOTChallenge root to
    ``<out_dir>/<subset>_cocoformat.json`` (see the module's docstring); returns the json paths.

    ``subsets`` defaults to ``train`` and ``test`` where present, plus ``half-train`` and ``half-val``
    with ``split_train``; every subset but ``test`` has ground truth. ``convert_det`` also stores the public
    detections as ``<out_dir>/<subset>_detections.pkl``; for ``keep_detector`` see :func:`check_mot_folder`.
    Every folder is checked before anything is written: a :class:`MOTDataError` lists all problems found.
    """
    if subsets is None:
        subsets = [s for s in ('train', 'test') if osp.isdir(osp.join(root, s))]
        if split_train:
            subsets += list(HALF_SUBSETS)
    problems: List[str] = []
    if not subsets:
        problems.append('no train/ or test/ folder: expected the MOTChallenge layout <root>/{train,test}/<sequence>/')
    checked: Dict[str, List[CheckedSequence]] = {}
    for subset in subsets:
        folder = subset_folder(root, subset)
        if folder not in checked:  # the halves read the train folder
            checked[folder] = check_mot_folder(folder, subset != 'test', convert_det, keep_detector, problems)
    if problems:
        raise MOTDataError(root, problems)
    return [write_mot_subset(subset, checked[subset_folder(root, subset)], subset_folder(root, subset), out_dir,
                             convert_det) for subset in subsets]
