"""Convert an official Something-Something V2 JSON split into an mmaction2 video list.

Official files: ``something-something-v2-labels.json`` maps each of the 174 class templates (without
brackets) to its index as a string; ``something-something-v2-{train,validation}.json`` list the videos as
``{"id": "78687", "template": "Holding [something] next to [something]", "label": ..., "placeholders": [...]}``.
A video's class is its template with the brackets removed; its file is ``<id>.webm``.

Output lines are ``<video path relative to --video-dir> <class index>``; ``--label-map-out`` also writes the
class names in index order (mmaction2's ``label_map_sthv2.txt``). The test split has no templates and
cannot be converted.

The conversion is svm/datasets/recognition/converters.py. Example::

    python tools/dataset_converters/ssv2_to_mmaction.py \\
        data/sthv2/annotations/something-something-v2-train.json data/sthv2/sthv2_train_list_videos.txt \\
        --labels data/sthv2/annotations/something-something-v2-labels.json \\
        --label-map-out data/sthv2/label_map_sthv2.txt
"""
import argparse
import sys

from svm.datasets.recognition.converters import convert_ssv2_split
from svm.utils.user_errors import run_main


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
    convert_ssv2_split(args.split_json, args.out, args.labels, args.video_dir, args.ext, args.label_map_out)


if __name__ == '__main__':
    sys.exit(run_main(main))
