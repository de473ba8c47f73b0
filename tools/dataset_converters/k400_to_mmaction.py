"""Convert an official Kinetics-400 CSV file into an mmaction2 video list.

The official annotation files (``train.csv``, ``validate.csv``, ``test.csv`` of the CVDF / DeepMind
release) have the columns ``label,youtube_id,time_start,time_end,split[,is_cc]``; the released clips are
named ``<youtube_id>_<time_start:06d>_<time_end:06d>.mp4``. Each line of the output is
``<video path relative to --video-dir> <class index>``, for ``VideoDataset(data_prefix=dict(video=<video-dir>))``.

Class indices come from ``--label-map`` (one class name per line). If that file does not exist, it is
written from the CSV's classes in alphabetical order (mmaction2's ``label_map_k400.txt`` order): convert
the train split first, then the others with the same label map.

With ``--video-dir``, the videos are looked up there (any sub-folder, any video extension) and the ones
missing from the download are left out and counted; without it every clip is listed as ``<name><--ext>``.

Example::

    python tools/dataset_converters/k400_to_mmaction.py data/kinetics400/annotations/train.csv \\
        data/kinetics400/kinetics400_train_list_videos.txt \\
        --label-map data/kinetics400/label_map_k400.txt --video-dir data/kinetics400/videos_train
"""
import argparse
import csv
import os.path as osp
import sys
from typing import List

import mmengine

from svm.datasets.recognition import (VideoEntry, read_label_map, resolve_videos, write_label_map,
                                      write_video_list)

REQUIRED_COLUMNS = ('label', 'youtube_id', 'time_start', 'time_end')


def clip_name(youtube_id: str, time_start: str, time_end: str) -> str:
    """File stem of a released Kinetics clip, e.g. ``abc_000010_000020``."""
    return f'{youtube_id}_{int(float(time_start)):06d}_{int(float(time_end)):06d}'


def read_k400_csv(path: str) -> List[dict]:
    """Rows of an official Kinetics CSV, after checking its columns."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Kinetics CSV not found: {path}')
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f'{path}: missing column(s) {missing}; expected the official Kinetics CSV header '
                             f'{",".join(REQUIRED_COLUMNS)},split (the label-less test.csv of the first release '
                             'cannot be converted)')
        return list(reader)


def convert(csv_path: str, out_path: str, label_map: str, video_dir: str = None, ext: str = '.mp4') -> int:
    """Write the video list of one CSV; returns the number of videos listed."""
    rows = read_k400_csv(csv_path)
    if osp.isfile(label_map):
        class_names = read_label_map(label_map)
    else:
        class_names = sorted({row['label'] for row in rows})
        write_label_map(label_map, class_names)
    class_index = {name: i for i, name in enumerate(class_names)}

    entries = []
    for line_no, row in enumerate(mmengine.track_iter_progress(rows), 2):
        if row['label'] not in class_index:
            raise ValueError(f'{csv_path}:{line_no}: class {row["label"]!r} is not in the label map {label_map}')
        try:
            stem = clip_name(row['youtube_id'], row['time_start'], row['time_end'])
        except ValueError:
            raise ValueError(f'{csv_path}:{line_no}: time_start/time_end must be numbers, got '
                             f'{row["time_start"]!r}, {row["time_end"]!r}') from None
        entries.append(VideoEntry(stem, class_index[row['label']]))
    videos, _ = resolve_videos(entries, video_dir, ext)
    write_video_list(out_path, videos)
    return len(videos)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Kinetics-400 CSV -> mmaction2 video list')
    parser.add_argument('csv', help='official Kinetics CSV (train.csv / validate.csv / test.csv)')
    parser.add_argument('out', help='output list, e.g. data/kinetics400/kinetics400_train_list_videos.txt')
    parser.add_argument('--label-map', required=True,
                        help='class names, one per line; written from the CSV if it does not exist')
    parser.add_argument('--video-dir', help='folder of the downloaded clips: list only the clips found there')
    parser.add_argument('--ext', default='.mp4', help='video extension used when --video-dir is not given')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    convert(args.csv, args.out, args.label_map, args.video_dir, args.ext)


if __name__ == '__main__':
    sys.exit(main())
