"""Online action recognition: the current top-5 of an S-ViT recogniser as a video plays.

    python demo/recognition_demo.py SOURCE --config CONFIG [--checkpoint CKPT] [--label-file classes.txt]
        [--out OUT.mp4] [--show]

SOURCE is a video file, a folder of frames, a webcam index (``0``) or a stream URL (``rtsp://...``,
``http(s)://...``), read by svm.apis.open_video_source. Frames go through the streaming encoder one at a
time (svm.apis.OnlineRecognizer): after each frame the demo prints the current top-k classes with their
scores, preceded by the progress ('frame i/N' for files and folders; the frame number and running frame
rate for webcams and streams), and with ``--out`` writes the video with them drawn on every frame
(``--show`` displays it; ``q`` stops). The cost per frame stays constant however long the video is.
Ctrl-C (or ``--max-frames``) stops a live source. The loop is svm.apis.write_recognized_video.
"""
import argparse
import sys
from typing import List, Tuple

from svm.apis import RANDOM_WEIGHTS_WARNING, OnlineRecognizer, open_video_source, write_recognized_video
from svm.datasets.recognition import read_label_map
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video', help='a video file, a folder of frames, a webcam index (0) or a stream URL '
                        '(rtsp://, http(s)://)')
    parser.add_argument('--config', required=True, help='recognition config with a streaming encoder')
    parser.add_argument('--checkpoint', help='trained recogniser checkpoint (default: none: random weights, with a '
                        'warning; enough to check an install or a video source)')
    parser.add_argument('--label-file', help='class names, one per line (default: class indices)')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--out', help='also write the video with the current top-k drawn on it')
    parser.add_argument('--show', action='store_true', help='display the video with the top-k (q stops)')
    parser.add_argument('--max-frames', type=int, default=None, help='stop after this many frames')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv=None) -> List[List[Tuple[object, float]]]:
    args = parse_args(argv)
    class_names = read_label_map(args.label_file) if args.label_file else None
    if args.checkpoint is None:
        print(RANDOM_WEIGHTS_WARNING.format(what='recogniser'), file=sys.stderr)
    online = OnlineRecognizer.from_config(args.config, args.checkpoint, device=args.device, topk=args.topk,
                                          class_names=class_names)
    return write_recognized_video(online, open_video_source(args.video), out=args.out, show=args.show,
                                  max_frames=args.max_frames)


if __name__ == '__main__':
    run_main(main)
