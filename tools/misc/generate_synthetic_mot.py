"""Generate the synthetic MOT benchmark in the MOT17 layout (deterministic by --seed).

Example::

    python tools/misc/generate_synthetic_mot.py --out data/synthetic_mot --seed 0

writes ``<out>/{train,val}/SYN-*/{seqinfo.ini,img1,gt/gt.txt}`` and then converts the labels as
tools/dataset_converters/mot2coco.py ``--split-train`` does for MOT17, to
``<out>/annotations/{train,val,half-train,half-val}_cocoformat.json`` (and ``gt/gt_half-{train,val}.txt``
beside each training sequence's ``gt.txt``; ``--no-convert`` skips all that). These are the files every
shipped config on generated data reads:

- configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-15e_synthetic-mot.py (``make demo``): ``data/synthetic_mot``,
  train on ``train``, validate on ``val``;
- configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py: ``data/tiny_mot``, train on ``half-train``
  and validate on ``half-val`` of the training sequences, e.g.::

    python tools/misc/generate_synthetic_mot.py --out data/tiny_mot --num-train 2 --num-val 1 \
        --num-frames 24 --width 128 --height 96

- configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-hard.py (the streaming vs frame-based
  comparison, tools/experiments/stream_vs_space.py): ``data/synthetic_mot_hard``, the ``hard`` preset
  (long occlusions behind pillars, trees and each other, look-alikes that cross, people who stop, camera
  shake; svm/datasets/synthetic/mot.py)::

    python tools/misc/generate_synthetic_mot.py --out data/synthetic_mot_hard --preset hard

- the tracker that also recognises a video-level action (docs/track_recognition.md): ``data/synthetic_mot_flow``, the
  ``flow`` preset (the default scene in 60-frame sequences with a gentler pan) where everyone in a sequence walks left
  (class 0, ``walk-left``) or everyone walks right (class 1, ``walk-right``), alternating over the sequences. Besides
  the MOT17 files it writes mmaction2 RawframeDataset lists ``<out>/annotations/{train,val}_flow_rawframes.txt``
  (lines ``train/SYN-01/img1 60 0``: frame folder under ``<out>``, frames, label) and
  ``<out>/annotations/flow_classes.txt``::

    python tools/misc/generate_synthetic_mot.py --out data/synthetic_mot_flow --preset flow \
        --num-train 16 --num-val 8

``--width``, ``--height`` and ``--num-frames`` default to the preset's (320, 192, 120 frames by default;
150 frames in ``hard``, 60 in ``flow``).
"""
import argparse

from svm.datasets.synthetic.mot import (FLOW_CLASSES, PRESETS, convert_mot_benchmark, preset_config,
                                        write_mot_benchmark)
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='data/synthetic_mot', help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train', type=int, default=4, help='training sequences')
    parser.add_argument('--num-val', type=int, default=2, help='validation sequences')
    parser.add_argument('--preset', default='default', choices=sorted(PRESETS),
                        help="scene options: 'default' (make demo), 'hard' (crowded, long occlusions) or 'flow' "
                        "(a walk-left / walk-right class per sequence, with RawframeDataset lists)")
    parser.add_argument('--num-frames', type=int, default=None, help="frames per sequence (default: the preset's)")
    parser.add_argument('--width', type=int, default=None, help="multiple of 32 (default: the preset's)")
    parser.add_argument('--height', type=int, default=None, help="multiple of 32 (default: the preset's)")
    parser.add_argument('--no-convert', action='store_true',
                        help='do not write the COCO-video json files (nor the half-split gt files)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sizes = dict(width=args.width, height=args.height, num_frames=args.num_frames)
    cfg = preset_config(args.preset, **{key: value for key, value in sizes.items() if value is not None})
    flow_classes = FLOW_CLASSES if args.preset == 'flow' else None
    names = write_mot_benchmark(args.out, seed=args.seed, num_train=args.num_train, num_val=args.num_val,
                                cfg=cfg, flow_classes=flow_classes, progress=True)
    print(f'\nwrote {sum(map(len, names.values()))} sequences to {args.out}: ' +
          ', '.join(f'{split}: {" ".join(n)}' for split, n in names.items()))
    if not args.no_convert:
        convert_mot_benchmark(args.out)


if __name__ == '__main__':
    run_main(main)
