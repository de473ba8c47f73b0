"""Track the objects of a video with an S-ViT tracker, streaming, and write a video of the tracks.

    python demo/mot_demo.py VIDEO_OR_FRAME_DIR --config CONFIG --checkpoint CKPT --out OUT.mp4

Frames are read and tracked one at a time: the S-ViT memory holds at most ``memory_len`` frames and
the tracker only its live tracks, so memory stays constant however long the video is. Each track is
drawn as a box with its id, in a colour of its own. ``--out-txt`` also writes the tracks in the
MOTChallenge result format (frame,id,left,top,width,height,score,-1,-1,-1).
"""
import argparse
import os
import os.path as osp
import sys
from typing import Iterator, Tuple

import cv2
import numpy as np

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', help='a video file or a folder of frames (sorted by name)')
    parser.add_argument('--config', required=True, help='MOT config (configs/mot/svm/...)')
    parser.add_argument('--checkpoint', required=True, help='trained tracker checkpoint')
    parser.add_argument('--out', required=True, help='output video (.mp4)')
    parser.add_argument('--out-txt', help='also write the tracks in the MOTChallenge format')
    parser.add_argument('--fps', type=float, default=None, help='output frame rate (default: input or 25)')
    parser.add_argument('--score-thr', type=float, default=0.0, help='draw tracks scoring at least this')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def open_frames(path: str) -> Tuple[int, float, Iterator[np.ndarray]]:
    """Number of frames, frame rate (or None) and an iterator over BGR frames of a video or frame folder."""
    if osp.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTS))
        if not names:
            raise FileNotFoundError(f'{path}: no images ({", ".join(IMAGE_EXTS)}) in this folder')
        return len(names), None, (cv2.imread(osp.join(path, n)) for n in names)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such video file or frame folder')
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise ValueError(f'{path}: OpenCV cannot open this video')
    count, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), cap.get(cv2.CAP_PROP_FPS) or None

    def frames():
        while True:
            ok, frame = cap.read()
            if not ok:
                cap.release()
                return
            yield frame
    return count, fps, frames()


def track_color(track_id: int) -> Tuple[int, int, int]:
    """A bright BGR colour that identifies a track id (golden-ratio hues)."""
    hue = int((track_id * 0.618033988749895 % 1.0) * 179)
    bgr = cv2.cvtColor(np.uint8([[[hue, 220, 255]]]), cv2.COLOR_HSV2BGR)[0, 0]
    return tuple(int(c) for c in bgr)


def draw_tracks(frame: np.ndarray, bboxes: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Draw (n, 4) x1, y1, x2, y2 boxes and their ids on a copy of a BGR frame."""
    out = frame.copy()
    for (x1, y1, x2, y2), track_id in zip(np.round(bboxes).astype(int), ids):
        color = track_color(int(track_id))
        cv2.rectangle(out, (x1, y1), (x2, y2), color, 2)
        label = str(int(track_id))
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
        cv2.rectangle(out, (x1, y1 - th - 4), (x1 + tw + 4, y1), color, -1)
        cv2.putText(out, label, (x1 + 2, y1 - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import svm  # noqa: F401  (registers S-ViT and the streaming trackers; safe checkpoint loading)
    from mmdet.apis import inference_mot, init_track_model
    from mmengine.registry import init_default_scope
    from mmengine.utils import ProgressBar

    init_default_scope('mmdet')
    model = init_track_model(args.config, args.checkpoint, device=args.device)
    num_frames, fps, frames = open_frames(args.input)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    writer, rows = None, []
    bar = ProgressBar(num_frames)
    for frame_id, frame in enumerate(frames):
        result = inference_mot(model, frame, frame_id=frame_id, video_len=num_frames)
        tracks = result.video_data_samples[0].pred_track_instances
        keep = (tracks.scores >= args.score_thr).cpu().numpy()
        bboxes = tracks.bboxes.cpu().numpy()[keep]
        ids = tracks.instances_id.cpu().numpy()[keep]
        scores = tracks.scores.cpu().numpy()[keep]
        if writer is None:
            h, w = frame.shape[:2]
            writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'), fps or args.fps or 25, (w, h))
        writer.write(draw_tracks(frame, bboxes, ids))
        rows += [f'{frame_id + 1},{int(i)},{x1:.1f},{y1:.1f},{x2 - x1:.1f},{y2 - y1:.1f},{s:.3f},-1,-1,-1'
                 for (x1, y1, x2, y2), i, s in zip(bboxes, ids, scores)]
        bar.update()
    if writer is not None:
        writer.release()
    if args.out_txt:
        with open(args.out_txt, 'w') as f:
            f.write('\n'.join(rows) + ('\n' if rows else ''))
    print(f'\nwrote {args.out} ({num_frames} frames, {len({r.split(",")[1] for r in rows})} tracks)')


if __name__ == '__main__':
    main()
