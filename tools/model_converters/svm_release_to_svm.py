"""Convert the authors' released S-ViT tracker checkpoint to an svm checkpoint.

The release (github yuzhms/Streaming-Video-Model) publishes ``svm_mot17-half-val.pth``, an mmcv 1.x
ByteTrack checkpoint (MOT17 half-val MOTA 79.7, HOTA 68.1, IDF1 80.9). The output loads strictly into
the release test config's model::

    python tools/model_converters/svm_release_to_svm.py svm_mot17-half-val.pth \\
        checkpoints/svit-b16_yolox_release_mot17halfval.pth \\
        --check-config configs/mot/svm/bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth_test-mot17halfval.py
    python tools/test.py configs/mot/svm/bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth_test-mot17halfval.py \\
        --checkpoint checkpoints/svit-b16_yolox_release_mot17halfval.pth

The key mapping is documented in :mod:`svm.models.mot.release_checkpoint`.
"""
import argparse

from svm.apis import init_tracker
from svm.models.mot.release_checkpoint import convert_release_checkpoint
from svm.utils.checkpoint import set_trust_checkpoints
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Convert the S-ViT release tracker checkpoint to svm')
    parser.add_argument('src', help='the release checkpoint (e.g. svm_mot17-half-val.pth)')
    parser.add_argument('dst', help='the svm checkpoint to write')
    parser.add_argument('--check-config', metavar='CONFIG',
                        help='build this config\'s model and check that the output loads into it strictly')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow a source that needs full unpickling (only for files you trust)')
    parser.add_argument('--overwrite', action='store_true',
                        help='allow dst to be src, which it then replaces (the optimizer and EMA state are lost)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    set_trust_checkpoints(args.trust_checkpoint)
    result = convert_release_checkpoint(args.src, args.dst, overwrite=args.overwrite)
    print(f'{args.src} -> {args.dst}\n{result.summary()}')
    if args.check_config:
        init_tracker(args.check_config, args.dst)  # loads strictly: a key that does not fit is named
        print(f'{args.dst} loads strictly into the model of {args.check_config}')


if __name__ == '__main__':
    run_main(main)
