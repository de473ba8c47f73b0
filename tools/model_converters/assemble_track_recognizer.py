"""Join a trained tracker and an action head trained on its frozen backbone into one track recognizer checkpoint.

    python tools/model_converters/assemble_track_recognizer.py TRACKER.pth ACTION_HEAD.pth OUT.pth \\
        [--check-config configs/track_recognition/svm/bytetrack-action-head_svit-tiny_yolox_synthetic-mot-flow.py]

TRACKER.pth is a StreamingByteTrack checkpoint (stage 1), ACTION_HEAD.pth an SViTRecognizer checkpoint whose
head was trained with ``freeze_backbone=True`` from it (stage 2): their backbones must be equal, tensor for
tensor (a difference is named). OUT.pth loads into a StreamingByteTrackRecognizer (docs/track_recognition.md). The
joining is svm.models.mot.track_recognizer.assemble_track_recognizer_checkpoint.
"""
import argparse

from svm.apis import init_tracker
from svm.models.mot import assemble_track_recognizer_checkpoint
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('tracker', help='the tracker checkpoint (stage 1)')
    parser.add_argument('action_head', help='the action-head recogniser checkpoint (stage 2)')
    parser.add_argument('out', help='the track recognizer checkpoint to write')
    parser.add_argument('--check-config', metavar='CONFIG',
                        help="build this track recognition config's model and check that the output loads into it "
                        'strictly')
    parser.add_argument('--overwrite', action='store_true',
                        help='allow OUT to be one of the input checkpoints, which it then replaces')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    counts = assemble_track_recognizer_checkpoint(args.tracker, args.action_head, args.out,
                                                  overwrite=args.overwrite)
    print(f'{args.out}: {counts["tracker"]} tensors of the tracker, {counts["action_head"]} of the action head')
    if args.check_config:
        init_tracker(args.check_config, args.out)  # loads strictly: a key that does not fit is named
        print(f'{args.out} loads strictly into the model of {args.check_config}')


if __name__ == '__main__':
    run_main(main)
