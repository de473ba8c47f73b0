"""MOTSynth (the official release) to frames and one COCO-video json.

Input::

    <root>/videos/<seq>.mp4
    <root>/mot_annotations/<seq>/{seqinfo.ini, gt/gt.txt}

:func:`extract_motsynth_frames` writes ``<root>/frames/<seq>/rgb/0001.jpg ...`` (1-based, as the
annotations count frames); :func:`convert_motsynth` then writes ``<out>/motsynth_train.json`` in the
format of :mod:`svm.datasets.mot.coco_video` (MOTChallenge categories, ``instance_id``, ``mot_conf``,
``visibility``), with file names relative to ``<root>/frames``.
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import mmcv

from svm.utils.progress import track_iter_progress

from .coco_video import CLASSES, CocoVideoWriter, check_images_match_seqinfo, gt_annotations, read_training_gt
from .mot_challenge import read_seqinfo


def extract_video(video_path: str, frame_dir: str) -> int:
    """Write every frame of one video as ``<frame_dir>/0001.jpg ...``; returns the number of frames."""
    video = mmcv.VideoReader(video_path)
    if video.frame_cnt == 0:
        raise ValueError(f'{video_path} has no readable frames')
    video.cvt2frames(frame_dir, file_start=1, filename_tmpl='{:04d}.jpg', show_progress=False)
    return len(os.listdir(frame_dir))


def extract_motsynth_frames(root: str, out_root: Optional[str] = None,
                            videos: Optional[Sequence[str]] = None) -> Dict[str, int]:
    """Extract ``<root>/videos/<seq>.mp4`` (``videos``: the sequence names, default all) to
    ``<out_root>/<seq>/rgb/`` (``out_root`` default ``<root>/frames``); returns the frames per sequence."""
    video_dir = osp.join(root, 'videos')
    if not osp.isdir(video_dir):
        raise FileNotFoundError(f'{video_dir} not found: expected <MOTSynth root>/videos/<seq>.mp4')
    out_root = out_root or osp.join(root, 'frames')
    names = videos or sorted(osp.splitext(f)[0] for f in os.listdir(video_dir) if f.endswith('.mp4'))
    counts = {}
    for name in track_iter_progress(names):
        counts[name] = extract_video(osp.join(video_dir, f'{name}.mp4'), osp.join(out_root, name, 'rgb'))
        print(f'{name}: {counts[name]} frames')
    return counts


def convert_motsynth(root: str, out_dir: str, seqs: Optional[Sequence[str]] = None) -> str:
    """Convert the annotations of ``seqs`` (default: all) to ``<out_dir>/motsynth_train.json``; the frames
    must have been extracted. The input is checked as :mod:`svm.datasets.mot.coco_video` checks MOT17's."""
    ann_root = osp.join(root, 'mot_annotations')
    if not osp.isdir(ann_root):
        raise FileNotFoundError(f'{ann_root} not found: expected <MOTSynth root>/mot_annotations/<seq>/')
    seqs = seqs or sorted(d for d in os.listdir(ann_root) if osp.isdir(osp.join(ann_root, d)))
    writer = CocoVideoWriter(CLASSES)
    warned = set()
    for seq in track_iter_progress(seqs):
        info = read_seqinfo(osp.join(ann_root, seq))
        video_id = writer.add_video(seq, info.frame_rate, info.width, info.height)
        frame_to_gts = gt_annotations(read_training_gt(osp.join(ann_root, seq, 'gt', 'gt.txt'), info.length))
        frame_dir = osp.join(root, 'frames', seq, 'rgb')
        if not osp.isdir(frame_dir):
            raise FileNotFoundError(f'{frame_dir} not found: extract the frames first '
                                    '(tools/dataset_converters/extract_motsynth.py)')
        check_images_match_seqinfo(osp.join(ann_root, seq, 'seqinfo.ini'), info, osp.join(frame_dir, '0001.jpg'),
                                   frame_dir, warned)
        instance_map = {}
        for frame_id in range(info.length):
            file_name = osp.join(seq, 'rgb', f'{frame_id + 1:04d}.jpg')
            if not osp.isfile(osp.join(root, 'frames', file_name)):
                raise FileNotFoundError(f'{osp.join(root, "frames", file_name)} missing '
                                        f'(seqinfo.ini says {info.length} frames)')
            image_id = writer.add_image(
                video_id=video_id, file_name=file_name, height=info.height, width=info.width,
                frame_id=frame_id, mot_frame_id=frame_id + 1)
            for ann in frame_to_gts.get(frame_id + 1, []):
                writer.add_annotation(ann, image_id, instance_map)
    out_file = osp.join(out_dir, 'motsynth_train.json')
    writer.dump(out_file)
    print(f'MOTSynth: {len(writer.out["videos"])} videos, {len(writer.out["images"])} images -> {out_file}')
    return out_file
