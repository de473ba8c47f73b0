"""Convert an official Something-Something V2 JSON split into an mmaction2 video list.

Official files: ``something-something-v2-labels.json`` maps each of the 174 class templates (without
brackets) to its index as a string; ``something-something-v2-{train,validation}.json`` list the videos as
``{"id": "78687", "template": "Holding [something] next to [something]", "label": ..., "placeholders": [...]}``.
A video's class is its template with the brackets removed; its file is ``<id>.webm``.

Output lines are ``<video path relative to --video-dir> <class index>``; ``--label-map-out`` also writes the
class names in index order (mmaction2's ``label_map_sthv2.txt``). The test split has no templates and
cannot be converted.

Example::

    python tools/dataset_converters/ssv2_to_mmaction.py \\
        data/sthv2/annotations/something-something-v2-train.json data/sthv2/sthv2_train_list_videos.txt \\
        --labels data/sthv2/annotations/something-something-v2-labels.json \\
        --label-map-out data/sthv2/label_map_sthv2.txt
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List

import mmengine

from svm.datasets.recognition import VideoEntry, resolve_videos, write_label_map, write_video_list


def load_json(path: str, kind: str):
    if not osp.isfile(path):
        raise FileNotFoundError(f'Something-Something V2 {kind} file not found: {path}')
    with open(path, encoding='utf-8') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}: not a json file ({e})') from None


def load_labels(path: str) -> Dict[str, int]:
    """Class template (no brackets) -> class index, checked to be 0..n-1."""
    labels = load_json(path, 'labels')
    if not isinstance(labels, dict):
        raise ValueError(f'{path}: expected a json object mapping class templates to indices')
    try:
        labels = {name: int(index) for name, index in labels.items()}
    except ValueError:
        raise ValueError(f'{path}: class indices must be integers') from None
    if sorted(labels.values()) != list(range(len(labels))):
        raise ValueError(f'{path}: class indices must be 0..{len(labels) - 1}, each once')
    return labels


def convert(split_json: str, out_path: str, labels_json: str, video_dir: str = None, ext: str = '.webm',
            label_map_out: str = None) -> int:
    """Write the video list of one split; returns the number of videos listed."""
    labels = load_labels(labels_json)
    videos = load_json(split_json, 'split')
    if not isinstance(videos, list):
        raise ValueError(f'{split_json}: expected a json list of videos')
    entries: List[VideoEntry] = []
    for i, video in enumerate(mmengine.track_iter_progress(videos)):
        if 'id' not in video or 'template' not in video:
            raise ValueError(f'{split_json}: video #{i} ({video.get("id", "no id")}) has no "id" or "template" '
                             '(the test split carries no labels and cannot be converted)')
        template = video['template'].replace('[', '').replace(']', '')
        if template not in labels:
            raise ValueError(f'{split_json}: video {video["id"]} has template {template!r}, which is not a class '
                             f'of {labels_json}')
        entries.append(VideoEntry(str(video['id']), labels[template]))
    found, _ = resolve_videos(entries, video_dir, ext)
    write_video_list(out_path, found)
    if label_map_out:
        write_label_map(label_map_out, sorted(labels, key=labels.get))
    return len(found)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Something-Something V2 json -> mmaction2 video list')
    parser.add_argument('split_json', help='something-something-v2-{train,validation}.json')
    parser.add_argument('out', help='output list, e.g. data/sthv2/sthv2_train_list_videos.txt')
    parser.add_argument('--labels', required=True, help='something-something-v2-labels.json')
    parser.add_argument('--video-dir', help='folder of the videos: list only the videos found there')
    parser.add_argument('--ext', default='.webm', help='video extension used when --video-dir is not given')
    parser.add_argument('--label-map-out', help='also write the class names, one per line in index order')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    convert(args.split_json, args.out, args.labels, args.video_dir, args.ext, args.label_map_out)


if __name__ == '__main__':
    sys.exit(main())
