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
``<out>/<subset>_detections.pkl`` as ``{'det_bboxes': {file_name: [array (n, 5) x1,y1,x2,y2,score]}}``.

Each subset's input is checked before its json is written: ``seqinfo.ini`` (positive whole numbers, an image
size equal to the first frame's; frames beyond ``seqLength`` are warned about), ``gt.txt`` (not
empty; finite numbers, frames, ids and boxes, each bad row named ``<file>:<line>``) and ``det.txt``.

The json is what :class:`mmdet.datasets.MOTChallengeDataset` loads: ``videos``, ``images`` with
``video_id``/``frame_id`` (0-based), ``annotations`` with ``instance_id``, ``mot_conf`` and
``visibility``, and the 13 MOTChallenge ``categories``.

Example::

    python tools/dataset_converters/mot2coco.py -i data/MOT17 -o data/MOT17/annotations \
        --split-train --convert-det
"""
import argparse
import configparser
import math
import os
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Set

import mmengine
import numpy as np
from PIL import Image

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


def read_seqinfo(seq_dir: str) -> Dict[str, object]:
    """Read ``seqinfo.ini`` of one sequence: name, imDir, frameRate, seqLength, imWidth, imHeight."""
    path = osp.join(seq_dir, 'seqinfo.ini')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: every MOTChallenge sequence needs a seqinfo.ini')
    parser = configparser.ConfigParser()
    parser.read(path)
    if 'Sequence' not in parser:
        raise ValueError(f'{path} has no [Sequence] section')
    seq = parser['Sequence']
    try:
        return dict(
            name=seq['name'], im_dir=seq.get('imDir', 'img1'), fps=seqinfo_number(path, seq, 'frameRate'),
            length=seqinfo_number(path, seq, 'seqLength'), width=seqinfo_number(path, seq, 'imWidth'),
            height=seqinfo_number(path, seq, 'imHeight'), im_ext=seq.get('imExt', '.jpg'))
    except KeyError as e:
        raise KeyError(f'{path} lacks the key {e} (expected name, frameRate, seqLength, '
                       'imWidth, imHeight)') from None


def seqinfo_number(path: str, seq: configparser.SectionProxy, key: str) -> int:
    """A positive whole number of a ``seqinfo.ini``'s [Sequence] section (of ``frameRate``, which may
    be fractional, its integer part); text, NaN, inf or a number below 1 is an error naming the file."""
    text = seq[key]
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 1 or (key != 'frameRate' and not value.is_integer()):
        raise ValueError(f'{path}: {key}={text}, expected a positive whole number')
    return int(value)


GT_FIELDS = ('frame', 'id', 'x', 'y', 'w', 'h', 'conf', 'class', 'visibility')
DET_FIELDS = ('frame', 'id', 'x', 'y', 'w', 'h', 'score')


def parse_row(line: str, names: Sequence[str], where: str) -> List[float]:
    """The first ``len(names)`` comma-separated fields of a MOT row as finite floats.

    A short row, a field that is not a number or one that is NaN or infinite (``float`` accepts
    ``nan``, ``inf``, ``Infinity``, which json would then write as NaN/Infinity) is an error naming
    ``where`` (``<file>:<line>``), the field and what was expected.
    """
    fields = line.strip().split(',')
    if len(fields) < len(names):
        raise ValueError(f'{where}: expected at least {len(names)} comma-separated fields '
                         f'({",".join(names)}), got {line.strip()!r}')
    try:
        values = [float(v) for v in fields[:len(names)]]
    except ValueError:
        raise ValueError(f'{where}: expected numbers in {",".join(names)}, got {line.strip()!r}') from None
    for name, text, value in zip(names, fields, values):
        if not math.isfinite(value):
            raise ValueError(f'{where}: {name} is {text.strip()}, expected a finite number '
                             f'(in {line.strip()!r})')
    return values


def row_frame(value: float, where: str, num_frames: Optional[int]) -> int:
    """The 1-based frame number of a row: an integer in 1..``num_frames`` (when given)."""
    if not value.is_integer():
        raise ValueError(f'{where}: frame {value:g} is not an integer, expected a whole frame number')
    frame_id = int(value)
    if frame_id < 1 or (num_frames is not None and frame_id > num_frames):
        raise ValueError(f'{where}: frame {frame_id} is outside the sequence '
                         f'(1..{num_frames if num_frames is not None else "seqLength"})')
    return frame_id


def parse_gts(lines: List[str], path: str = 'gt.txt', num_frames: Optional[int] = None) -> Dict[int, List[dict]]:
    """Parse MOTChallenge ground-truth lines ``frame,id,x,y,w,h,conf,class,visibility[,...]``.

    Each line is checked (finite numbers, an integer frame in 1..``num_frames`` when given, a positive
    integer id seen once per frame, a box of positive size); a bad one is an error naming the file and
    line. Returns a dict from the 1-based MOT frame id to COCO annotations (bbox x, y, w, h).
    """
    outputs = defaultdict(list)
    seen = set()
    for line_no, line in enumerate(lines, 1):
        where = f'{path}:{line_no}'
        values = parse_row(line, GT_FIELDS, where)
        frame_id = row_frame(values[0], where, num_frames)
        if not values[1].is_integer() or values[1] < 1:
            raise ValueError(f'{where}: object id {values[1]:g} must be a positive integer')
        ins_id = int(values[1])
        if (frame_id, ins_id) in seen:
            raise ValueError(f'{where}: object id {ins_id} appears twice in frame {frame_id}')
        seen.add((frame_id, ins_id))
        bbox = values[2:6]
        if bbox[2] <= 0 or bbox[3] <= 0:
            raise ValueError(f'{where}: box width and height must be positive, got {bbox[2]}x{bbox[3]}')
        conf = values[6]
        # conf 0 marks boxes to ignore: training ignores them (ByteTrack's recipe drops them) and
        # TrackEval skips them as "zero-marked" ground truth.
        outputs[frame_id].append(dict(
            category_id=int(values[7]), bbox=bbox, area=bbox[2] * bbox[3], iscrowd=conf == 0,
            visibility=values[8], mot_instance_id=ins_id, mot_conf=conf))
    return outputs


def read_gt_lines(path: str) -> List[str]:
    """The rows of the ground truth of a training sequence; a file without rows is an error.

    MOTChallenge and MOTSynth annotate every training sequence, so an empty ``gt.txt`` is a broken
    download or export; converted, it would only fail later, in training, as mmdet's "No valid
    instances found" (its MOTChallengeDataset refuses every training frame without a box). There is
    no option to allow it for that reason: leave such a sequence out of the ``train`` folder.
    """
    lines = mmengine.list_from_file(path)
    if not lines:
        raise ValueError(f'{path} is empty: expected ground-truth rows frame,id,x,y,w,h,conf,class,'
                         f'visibility (every MOT17/MOTSynth training sequence has them); re-extract the '
                         f'file, or move a sequence without annotations out of the training folder')
    return lines


def parse_dets(lines: List[str], path: str = 'det.txt',
               num_frames: Optional[int] = None) -> Dict[int, List[List[float]]]:
    """Parse public detections ``frame,-1,x,y,w,h,score,...`` into (x1, y1, x2, y2, score) per frame.

    Rows are checked like ground truth (finite numbers, an integer frame in 1..``num_frames``); a bad
    one is an error naming the file and line.
    """
    outputs = defaultdict(list)
    for line_no, line in enumerate(lines, 1):
        where = f'{path}:{line_no}'
        values = parse_row(line, DET_FIELDS, where)
        frame_id = row_frame(values[0], where, num_frames)
        x, y, w, h, score = values[2:7]
        outputs[frame_id].append([x, y, x + w, y + h, score])
    return outputs


# Keys (seqinfo.ini paths) already warned about: --split-train reads a sequence three times, say it once.
_WARNED_KEYS: Set[str] = set()


def warn_once(key: str, message: str) -> None:
    """Print a warning to stderr, once per ``key`` in this run (a plain print: mmengine's logger would
    import torch, seconds of start-up for a converter)."""
    if key not in _WARNED_KEYS:
        _WARNED_KEYS.add(key)
        print(f'WARNING: {message}', file=sys.stderr)


def check_images_match_seqinfo(seqinfo_path: str, info: Dict[str, object], first_image: str,
                               image_dir: str) -> None:
    """Check a sequence's ``seqinfo.ini`` against its frames on disk.

    The declared size is written into every image record, and mmdet clips boxes to it, so a size that
    differs from the first frame's is an error naming both sizes. Frames beyond ``seqLength`` are
    left out of the conversion; that is only warned about (some releases ship extra frames). A
    missing first frame is left to the per-frame check, which names it.
    """
    if osp.isfile(first_image):
        with Image.open(first_image) as img:  # reads the header only
            actual = img.size
        declared = (info['width'], info['height'])
        if actual != declared:
            raise ValueError(f'{seqinfo_path} declares imWidth x imHeight = {declared[0]}x{declared[1]}, '
                             f'but its first frame {first_image} is {actual[0]}x{actual[1]}: expected the '
                             f'size of the frames (fix imWidth/imHeight)')
    ext = osp.splitext(first_image)[1]
    if osp.isdir(image_dir):
        num_images = sum(1 for name in os.listdir(image_dir) if name.endswith(ext))
        if num_images > info['length']:
            warn_once(seqinfo_path, f'{seqinfo_path} declares seqLength={info["length"]} but {image_dir} holds '
                      f'{num_images} {ext} frames: the {num_images - info["length"]} frames beyond seqLength '
                      f'are left out')


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
    """1-based MOT frame ids of a half subset: first ``n // 2 + 1`` frames train, the rest validate."""
    split = num_frames // 2 + 1
    return range(1, split + 1) if subset == 'half-train' else range(split + 1, num_frames + 1)


def write_half_gt(gt_lines: List[str], frames: range, path: str) -> None:
    """Write the ground truth of a half subset with frames renumbered from 1, the numbering of the
    result files that tracking writes for that subset (its first frame is frame 1)."""
    with open(path, 'w') as f:
        for line in gt_lines:
            frame, rest = line.strip().split(',', 1)
            if int(float(frame)) in frames:
                f.write(f'{int(float(frame)) - frames.start + 1},{rest}\n')


def convert_subset(root: str, subset: str, out_dir: str, convert_det: bool = False,
                   keep_detector: Optional[str] = None) -> str:
    """Convert one subset (train, test, half-train, half-val) and return the json path."""
    in_folder = osp.join(root, 'train' if subset.startswith('half') else subset)
    if not osp.isdir(in_folder):
        raise FileNotFoundError(f'{in_folder} not found: expected the MOTChallenge layout '
                                f'<root>/{{train,test}}/<sequence>/')
    parse_gt = subset != 'test'
    writer = CocoVideoWriter(CLASSES)
    detections = dict(det_bboxes=dict())
    seq_names = sorted(d for d in os.listdir(in_folder) if osp.isdir(osp.join(in_folder, d)))
    if keep_detector is not None:
        # MOT17-02-FRCNN keeps only the FRCNN copy; names without a detector suffix stay.
        seq_names = [s for s in seq_names
                     if s.endswith(f'-{keep_detector}') or len(s.split('-')) < 3]
    for seq_name in mmengine.track_iter_progress(seq_names):
        seq_dir = osp.join(in_folder, seq_name)
        info = read_seqinfo(seq_dir)
        video_id = writer.add_video(seq_name, info['fps'], info['width'], info['height'])
        frames = (half_frames(info['length'], subset) if subset.startswith('half')
                  else range(1, info['length'] + 1))
        image_dir = osp.join(seq_dir, info['im_dir'])
        check_images_match_seqinfo(osp.join(seq_dir, 'seqinfo.ini'), info,
                                   osp.join(image_dir, f'{1:06d}{info["im_ext"]}'), image_dir)
        if parse_gt:
            gt_path = osp.join(seq_dir, 'gt', 'gt.txt')
            gt_lines = read_gt_lines(gt_path)
            frame_to_gts = parse_gts(gt_lines, gt_path, info['length'])
            if subset.startswith('half'):
                write_half_gt(gt_lines, frames, osp.join(seq_dir, 'gt', f'gt_{subset}.txt'))
        if convert_det:
            det_path = osp.join(seq_dir, 'det', 'det.txt')
            frame_to_dets = parse_dets(mmengine.list_from_file(det_path), det_path, info['length'])
        instance_map: Dict[int, int] = {}
        for frame_id, mot_frame_id in enumerate(frames):
            file_name = osp.join(seq_name, info['im_dir'], f'{mot_frame_id:06d}{info["im_ext"]}')
            if not osp.isfile(osp.join(in_folder, file_name)):
                raise FileNotFoundError(f'{osp.join(in_folder, file_name)} is listed by seqinfo.ini '
                                        f'(seqLength={info["length"]}) but missing')
            image_id = writer.add_image(
                video_id=video_id, file_name=file_name, height=info['height'],
                width=info['width'], frame_id=frame_id, mot_frame_id=mot_frame_id)
            if parse_gt:
                for ann in frame_to_gts.get(mot_frame_id, []):
                    writer.add_annotation(ann, image_id, instance_map)
            if convert_det:
                dets = np.array(frame_to_dets.get(mot_frame_id, []), dtype=np.float32).reshape(-1, 5)
                detections['det_bboxes'][file_name] = [dets]
    out_file = osp.join(out_dir, f'{subset}_cocoformat.json')
    writer.dump(out_file)
    print(f'{subset}: {len(writer.out["videos"])} videos, {len(writer.out["images"])} images, '
          f'{writer.num_instances} instances -> {out_file}')
    if convert_det:
        mmengine.dump(detections, osp.join(out_dir, f'{subset}_detections.pkl'))
    return out_file


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
    subsets = args.subsets or [s for s in ('train', 'test') if osp.isdir(osp.join(args.input, s))]
    if args.split_train and not args.subsets:
        subsets += ['half-train', 'half-val']
    for subset in subsets:
        convert_subset(args.input, subset, args.output, args.convert_det, args.keep_detector)


if __name__ == '__main__':
    main()
