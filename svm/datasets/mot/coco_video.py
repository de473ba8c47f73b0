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

Each subset's input is checked before its json is written: ``seqinfo.ini`` (positive whole numbers, an
image size equal to the first frame's; frames beyond ``seqLength`` are warned about), ``gt.txt`` (not
empty; finite numbers, frames, ids and boxes, each bad row named ``<file>:<line>``) and ``det.txt``.

The json holds ``videos``, ``images`` with ``video_id``/``frame_id`` (0-based) and ``mot_frame_id``,
``annotations`` with ``instance_id``, ``mot_conf`` and ``visibility``, and the 13 MOTChallenge
``categories``.
"""
import os
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Set

import mmengine
import numpy as np
from PIL import Image

from svm.utils.progress import track_iter_progress

from .mot_challenge import SeqInfo, read_detections, read_gt, read_seqinfo, renumber_frames, write_gt

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


def read_training_gt(path: str, num_frames: int) -> np.ndarray:
    """The checked ground truth (N, 9) of a training sequence; a file without rows is an error.

    MOTChallenge and MOTSynth annotate every training sequence, so an empty ``gt.txt`` is a broken
    download or export; converted, it would only fail later, in training, as mmdet's "No valid
    instances found" (its MOTChallengeDataset refuses every training frame without a box). There is
    no option to allow it for that reason: leave such a sequence out of the ``train`` folder.
    """
    rows = read_gt(path, num_frames)
    if not len(rows):
        raise ValueError(f'{path} is empty: expected ground-truth rows frame,id,x,y,w,h,conf,class,'
                         f'visibility (every MOT17/MOTSynth training sequence has them); re-extract the '
                         f'file, or move a sequence without annotations out of the training folder')
    return rows


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
        self.out['num_instances'] = self.num_instances
        mmengine.mkdir_or_exist(osp.dirname(osp.abspath(path)))
        # All values were checked finite; allow_nan=False keeps any NaN out of the json all the same.
        mmengine.dump(self.out, path, allow_nan=False)


def half_frames(num_frames: int, subset: str) -> range:
    """1-based MOT frame numbers of a half subset: the first ``n // 2 + 1`` frames train, the rest validate."""
    split = num_frames // 2 + 1
    return range(1, split + 1) if subset == 'half-train' else range(split + 1, num_frames + 1)


def convert_mot_subset(root: str, subset: str, out_dir: str, convert_det: bool = False,
                       keep_detector: Optional[str] = None, warned: Optional[Set[str]] = None) -> str:
    """Convert one subset (``train``, ``test``, ``val``, ``half-train``, ``half-val``) of the sequences in
    ``<root>/<subset>`` (``<root>/train`` for the halves) and return the json path.

    Args:
        root: the dataset root holding the subset folders.
        subset: the subset; every subset but ``test`` has ground truth.
        out_dir: folder of the json (and detection) files.
        convert_det: also store the public detections as ``<out_dir>/<subset>_detections.pkl``.
        keep_detector: keep one copy of each MOT17 video, e.g. ``'FRCNN'`` (MOT17 ships every video
            three times, once per public detector); names without a detector suffix stay.
        warned: the seqinfo.ini files already warned about in this run (see
            :func:`check_images_match_seqinfo`).
    """
    in_folder = osp.join(root, 'train' if subset in HALF_SUBSETS else subset)
    if not osp.isdir(in_folder):
        raise FileNotFoundError(f'{in_folder} not found: expected the MOTChallenge layout '
                                f'<root>/{{train,test}}/<sequence>/')
    warned = set() if warned is None else warned
    has_gt = subset != 'test'
    writer = CocoVideoWriter(CLASSES)
    detections = dict(det_bboxes=dict())
    seq_names = sorted(d for d in os.listdir(in_folder) if osp.isdir(osp.join(in_folder, d)))
    if keep_detector is not None:
        seq_names = [s for s in seq_names if s.endswith(f'-{keep_detector}') or len(s.split('-')) < 3]
    for seq_name in track_iter_progress(seq_names):
        seq_dir = osp.join(in_folder, seq_name)
        info = read_seqinfo(seq_dir)
        video_id = writer.add_video(seq_name, info.frame_rate, info.width, info.height)
        frames = half_frames(info.length, subset) if subset in HALF_SUBSETS else range(1, info.length + 1)
        check_images_match_seqinfo(osp.join(seq_dir, 'seqinfo.ini'), info, osp.join(seq_dir, info.image_name(1)),
                                   osp.join(seq_dir, info.im_dir), warned)
        frame_to_gts = {}
        if has_gt:
            gt_path = osp.join(seq_dir, 'gt', 'gt.txt')
            gt_rows = read_training_gt(gt_path, info.length)
            frame_to_gts = gt_annotations(gt_rows)
            if subset in HALF_SUBSETS:
                # renumbered from 1, as the result files of tracking this subset are
                write_gt(osp.join(seq_dir, 'gt', f'gt_{subset}.txt'),
                         renumber_frames(gt_rows, {n: n - frames.start + 1 for n in frames}))
        if convert_det:
            det_path = osp.join(seq_dir, 'det', 'det.txt')
            frame_to_dets = detection_boxes(read_detections(det_path, info.length))
        instance_map: Dict[int, int] = {}
        for frame_id, mot_frame_id in enumerate(frames):
            file_name = osp.join(seq_name, info.image_name(mot_frame_id))
            if not osp.isfile(osp.join(in_folder, file_name)):
                raise FileNotFoundError(f'{osp.join(in_folder, file_name)} is listed by seqinfo.ini '
                                        f'(seqLength={info.length}) but missing')
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
        mmengine.dump(detections, osp.join(out_dir, f'{subset}_detections.pkl'))
    return out_file


def convert_mot_challenge(root: str, out_dir: str, subsets: Optional[Sequence[str]] = None,
                          split_train: bool = False, convert_det: bool = False,
                          keep_detector: Optional[str] = None) -> List[str]:
    """Convert the subsets of a MOTChallenge root (see :func:`convert_mot_subset`); returns the json paths.

    ``subsets`` defaults to ``train`` and ``test`` where present, plus ``half-train`` and ``half-val``
    with ``split_train``.
    """
    if subsets is None:
        subsets = [s for s in ('train', 'test') if osp.isdir(osp.join(root, s))]
        if split_train:
            subsets += list(HALF_SUBSETS)
    warned: Set[str] = set()
    return [convert_mot_subset(root, subset, out_dir, convert_det, keep_detector, warned) for subset in subsets]
