"""Track the objects of a video with an S-ViT tracker, streaming, and write a video of the tracks.

    python demo/mot_demo.py SOURCE --config CONFIG --checkpoint CKPT --out OUT.mp4

SOURCE is a video file, a folder of frames (sorted by name), a webcam index (``0``) or a stream URL
(``rtsp://...``, ``http(s)://...``): svm.apis.open_video_source reads it. Frames are read and tracked one
at a time (svm.apis.track_video): the S-ViT memory holds at most ``memory_len`` frames and the tracker only
its live tracks, so memory stays constant however long the video is. Each track is drawn as a box with
its id, in a colour of its own. ``--out-txt`` also writes the tracks in the MOTChallenge result format
(frame,id,left,top,width,height,score,-1,-1,-1); ``--show`` displays them (``q`` stops). Progress: 'frame
i/N' lines for files and folders, the running frame rate for webcams and streams. Ctrl-C (or
``--max-frames``) stops a live source; what was tracked so far is written.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Iterator, Optional, Tuple

import cv2
import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', help='a video file, a folder of frames, a webcam index (0) or a stream URL '
                        '(rtsp://, http(s)://)')
    parser.add_argument('--config', required=True, help='MOT config (configs/mot/svm/...)')
    parser.add_argument('--checkpoint', required=True, help='trained tracker checkpoint')
    parser.add_argument('--out', help='output video (.mp4)')
    parser.add_argument('--out-txt', help='also write the tracks in the MOTChallenge format')
    parser.add_argument('--show', action='store_true', help='display the tracks in a window (q stops)')
    parser.add_argument('--fps', type=float, default=None, help='output frame rate (default: input or 25)')
    parser.add_argument('--score-thr', type=float, default=0.0, help='draw tracks scoring at least this')
    parser.add_argument('--max-frames', type=int, default=None, help='stop after this many frames')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    if not (args.out or args.out_txt or args.show):
        parser.error('nothing to do: give --out, --out-txt or --show')
    return args


def open_frames(path: str) -> Tuple[Optional[int], Optional[float], Iterator[np.ndarray]]:
    """Number of frames (None for a live source), frame rate (or None) and an iterator over BGR frames."""
    from svm.apis import open_video_source
    source = open_video_source(path)
    return source.num_frames, source.fps, iter(source)


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
    from svm.apis import FrameProgress, init_tracker, open_video_source, track_video

    source = open_video_source(args.input)
    model = init_tracker(args.config, args.checkpoint, device=args.device)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    writer, rows, num_frames = None, [], 0
    # files and folders: 'frame i/N' lines; webcams and streams: the running frame rate
    progress = FrameProgress(None if source.live else min(source.num_frames, args.max_frames or source.num_frames))
    try:
        for frame_id, frame, tracks in track_video(model, source, score_thr=args.score_thr,
                                                   max_frames=args.max_frames):
            drawn = draw_tracks(frame, tracks.bboxes, tracks.ids)
            if args.out:
                if writer is None:
                    h, w = frame.shape[:2]
                    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'),
                                             args.fps or source.fps or 25, (w, h))
                writer.write(drawn)
            rows += [f'{frame_id + 1},{int(i)},{x1:.1f},{y1:.1f},{x2 - x1:.1f},{y2 - y1:.1f},{s:.3f},-1,-1,-1'
                     for (x1, y1, x2, y2), i, s in zip(tracks.bboxes, tracks.ids, tracks.scores)]
            num_frames += 1
            progress.update()
            if args.show:
                cv2.imshow('svm tracks', drawn)
                if cv2.waitKey(1) & 0xFF == ord('q'):
                    break
    except KeyboardInterrupt:
        print('\ninterrupted: writing what was tracked so far')
    finally:
        if writer is not None:
            writer.release()
        if args.show:
            cv2.destroyAllWindows()
    progress.close()
    if num_frames == 0:
        raise ValueError(f'{source.name}: no frame could be read')
    if args.out_txt:
        with open(args.out_txt, 'w') as f:
            f.write('\n'.join(rows) + ('\n' if rows else ''))
    outputs = ', '.join(p for p in (args.out, args.out_txt) if p) or 'nothing written'
    print(f'{outputs}: {num_frames} frames, {len({r.split(",")[1] for r in rows})} tracks')


if __name__ == '__main__':
    main()
