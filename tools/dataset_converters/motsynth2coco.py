"""Convert MOTSynth's MOT-format annotations to one COCO-video json.

Input (the official release)::

    MOTSynth/
      mot_annotations/<seq>/{seqinfo.ini, gt/gt.txt}
      frames/<seq>/rgb/0001.jpg ...      (written by extract_motsynth.py)

Output: ``<out>/motsynth_train.json`` in the same format as :mod:`mot2coco` (MOTChallenge
categories, ``instance_id``, ``mot_conf``, ``visibility``), with file names relative to
``<root>/frames``. Training uses 10% of these frames, resampled every epoch (see the MOT17
configs).

Example::

    python tools/dataset_converters/motsynth2coco.py -i data/MOTSynth -o data/MOTSynth/annotations
"""
import argparse
import os
import os.path as osp
import sys

import mmengine

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from mot2coco import (CLASSES, CocoVideoWriter, check_images_match_seqinfo, parse_gts,  # noqa: E402
                      read_gt_lines, read_seqinfo)


def convert_motsynth(root: str, out_dir: str, seqs=None) -> str:
    ann_root = osp.join(root, 'mot_annotations')
    if not osp.isdir(ann_root):
        raise FileNotFoundError(f'{ann_root} not found: expected <MOTSynth root>/mot_annotations/<seq>/')
    seqs = seqs or sorted(d for d in os.listdir(ann_root) if osp.isdir(osp.join(ann_root, d)))
    writer = CocoVideoWriter(CLASSES)
    for seq in mmengine.track_iter_progress(seqs):
        info = read_seqinfo(osp.join(ann_root, seq))
        video_id = writer.add_video(seq, info['fps'], info['width'], info['height'])
        gt_path = osp.join(ann_root, seq, 'gt', 'gt.txt')
        frame_to_gts = parse_gts(read_gt_lines(gt_path), gt_path, info['length'])
        frame_dir = osp.join(root, 'frames', seq, 'rgb')
        if not osp.isdir(frame_dir):
            raise FileNotFoundError(f'{frame_dir} not found: run extract_motsynth.py first')
        check_images_match_seqinfo(osp.join(ann_root, seq, 'seqinfo.ini'), info,
                                   osp.join(frame_dir, '0001.jpg'), frame_dir)
        instance_map = {}
        for frame_id in range(info['length']):
            file_name = osp.join(seq, 'rgb', f'{frame_id + 1:04d}.jpg')
            if not osp.isfile(osp.join(root, 'frames', file_name)):
                raise FileNotFoundError(f'{osp.join(root, "frames", file_name)} missing '
                                        f'(seqinfo.ini says {info["length"]} frames)')
            image_id = writer.add_image(
                video_id=video_id, file_name=file_name, height=info['height'], width=info['width'],
                frame_id=frame_id, mot_frame_id=frame_id + 1)
            for ann in frame_to_gts.get(frame_id + 1, []):
                writer.add_annotation(ann, image_id, instance_map)
    out_file = osp.join(out_dir, 'motsynth_train.json')
    writer.dump(out_file)
    print(f'MOTSynth: {len(writer.out["videos"])} videos, {len(writer.out["images"])} images -> {out_file}')
    return out_file


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='MOTSynth MOT-format annotations to one COCO-video json')
    parser.add_argument('-i', '--input', required=True, help='MOTSynth root')
    parser.add_argument('-o', '--output', required=True, help='folder for the json file')
    parser.add_argument('--seqs', nargs='+', default=None, help='sequence names (default: all)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    convert_motsynth(args.input, args.output, args.seqs)


if __name__ == '__main__':
    main()
