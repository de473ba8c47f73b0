"""Online action recognition: the current top-5 of an S-ViT recogniser as a video plays.

    python demo/recognition_demo.py SOURCE --config CONFIG --checkpoint CKPT [--label-file classes.txt]
        [--out OUT.mp4] [--show]

SOURCE is a video file, a folder of frames, a webcam index (``0``) or a stream URL (``rtsp://...``,
``http(s)://...``), read by svm.apis.open_video_source. Frames go through the streaming encoder one at a
time (svm.apis.OnlineRecognizer): after each frame the demo prints the current top-k classes with their
scores, preceded by the progress ('frame i/N' for files and folders; the frame number and running frame
rate for webcams and streams), and with ``--out`` writes the video with them drawn on every frame
(``--show`` displays it; ``q`` stops). The cost per frame stays constant however long the video is.
Ctrl-C (or ``--max-frames``) stops a live source.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video', help='a video file, a folder of frames, a webcam index (0) or a stream URL '
                        '(rtsp://, http(s)://)')
    parser.add_argument('--config', required=True, help='recognition config with a streaming encoder')
    parser.add_argument('--checkpoint', required=True, help='trained recogniser checkpoint')
    parser.add_argument('--label-file', help='class names, one per line (default: class indices)')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--out', help='also write the video with the current top-k drawn on it')
    parser.add_argument('--show', action='store_true', help='display the video with the top-k (q stops)')
    parser.add_argument('--max-frames', type=int, default=None, help='stop after this many frames')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def read_frames(source) -> Tuple[float, Iterator[np.ndarray]]:
    """Frame rate (25 when the source does not say) and an iterator over the RGB frames of a source
    (see svm.apis.open_video_source), read one at a time."""
    from svm.apis import open_video_source
    video = open_video_source(source)
    return video.fps or 25.0, (cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) for frame in video)


def progress_label(t: int, total: Optional[int], fps: Optional[float]) -> str:
    """'frame   3/8' when the length is known, else 'frame 3 (12.5 frames/s)'."""
    if total:
        return f'frame {t:{len(str(total))}d}/{total}'
    return f'frame {t:4d}' + (f' ({fps:.1f} frames/s)' if fps else '')


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
    from svm.apis import FrameProgress, OnlineRecognizer, open_video_source

    class_names = None
    if args.label_file:
        with open(args.label_file) as f:
            class_names = [line.strip() for line in f if line.strip()]
    online = OnlineRecognizer.from_config(args.config, args.checkpoint, device=args.device, topk=args.topk,
                                          class_names=class_names)
    source = open_video_source(args.video)
    total = None if source.live else min(source.num_frames, args.max_frames or source.num_frames)
    rate = FrameProgress(total, echo=False)  # measures the frame rate; the lines below print
    writer, history = None, []
    try:
        for t, frame_bgr in enumerate(source):
            if args.max_frames is not None and t >= args.max_frames:
                break
            frame = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
            topk = online.step(frame)
            history.append(topk)
            rate.update()
            print(f'{progress_label(t + 1, total, None if total else rate.fps)}: '
                  + '  '.join(f'{label} {score:.3f}' for label, score in topk), flush=True)
            if args.out or args.show:
                drawn = draw_topk(frame, topk)
            if args.out:
                if writer is None:
                    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
                    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'), source.fps or 25.0,
                                             (drawn.shape[1], drawn.shape[0]))
                writer.write(drawn)
            if args.show:
                cv2.imshow('svm top-k', drawn)
                if cv2.waitKey(1) & 0xFF == ord('q'):
                    break
    except KeyboardInterrupt:
        print('interrupted')
    finally:
        if writer is not None:
            writer.release()
            print(f'wrote {args.out}')
        if args.show:
            cv2.destroyAllWindows()
    if not history:
        raise ValueError(f'{source.name}: no frame could be decoded')
    return history


if __name__ == '__main__':
    main()
