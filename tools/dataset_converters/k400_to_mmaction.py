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

The conversion is svm/datasets/recognition/converters.py. Example::

    python tools/dataset_converters/k400_to_mmaction.py data/kinetics400/annotations/train.csv \\
        data/kinetics400/kinetics400_train_list_videos.txt \\
        --label-map data/kinetics400/label_map_k400.txt --video-dir data/kinetics400/videos_train
"""
import argparse
import sys

from svm.datasets.recognition.converters import convert_k400_csv
from svm.utils.user_errors import run_main


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
    convert_k400_csv(args.csv, args.out, args.label_map, args.video_dir, args.ext)


if __name__ == '__main__':
    sys.exit(run_main(main))
