"""Online action recognition: the current top-5 of an S-ViT recogniser as a video plays.

    python demo/recognition_demo.py VIDEO --config CONFIG --checkpoint CKPT [--label-file classes.txt]
        [--out OUT.mp4]

Frames go through the streaming encoder one at a time (svm.apis.OnlineRecognizer): after each frame
the demo prints the current top-k classes with their scores, and with ``--out`` writes the video with
them drawn on every frame. The cost per frame stays constant however long the video is.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Iterator, List, Tuple

import cv2
import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video', help='a video file')
    parser.add_argument('--config', required=True, help='recognition config with a streaming encoder')
    parser.add_argument('--checkpoint', required=True, help='trained recogniser checkpoint')
    parser.add_argument('--label-file', help='class names, one per line (default: class indices)')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--out', help='also write the video with the current top-k drawn on it')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def read_frames(path: str) -> Tuple[float, Iterator[np.ndarray]]:
    """Frame rate and an iterator over the RGB frames of a video, read one at a time."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such video file')
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise ValueError(f'{path}: OpenCV cannot open this video')
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0

    def frames():
        while True:
            ok, frame = cap.read()
            if not ok:
                cap.release()
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    return fps, frames()


def draw_topk(frame_rgb: np.ndarray, topk: List[Tuple[object, float]]) -> np.ndarray:
    """A BGR copy of the frame, enlarged to at least 256 px wide, with the top-k written on it."""
    frame = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2BGR)
    scale = max(1, int(np.ceil(256 / frame.shape[1])))
    frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    for i, (label, score) in enumerate(topk):
        text = f'{label}: {score:.2f}'
        org = (4, 14 + 14 * i)
        cv2.putText(frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return frame


def main(argv=None) -> List[List[Tuple[object, float]]]:
    args = parse_args(argv)
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import svm  # noqa: F401  (registers the recogniser; safe checkpoint loading)
    from svm.apis import OnlineRecognizer

    class_names = None
    if args.label_file:
        with open(args.label_file) as f:
            class_names = [line.strip() for line in f if line.strip()]
    online = OnlineRecognizer.from_config(args.config, args.checkpoint, device=args.device, topk=args.topk,
                                          class_names=class_names)
    fps, frames = read_frames(args.video)
    writer, history = None, []
    for t, frame in enumerate(frames):
        topk = online.step(frame)
        history.append(topk)
        print(f'frame {t + 1:4d}: ' + '  '.join(f'{label} {score:.3f}' for label, score in topk), flush=True)
        if args.out:
            drawn = draw_topk(frame, topk)
            if writer is None:
                os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
                writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                         (drawn.shape[1], drawn.shape[0]))
            writer.write(drawn)
    if writer is not None:
        writer.release()
        print(f'wrote {args.out}')
    if not history:
        raise ValueError(f'{args.video}: no frame could be decoded')
    return history


if __name__ == '__main__':
    main()
