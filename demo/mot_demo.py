"""Track the objects of a video with an S-ViT tracker, streaming, and write a video of the tracks.

    python demo/mot_demo.py SOURCE --config CONFIG [--checkpoint CKPT] --out OUT.mp4

SOURCE is a video file, a folder of frames (sorted by name), a webcam index (``0``) or a stream URL
(``rtsp://...``, ``http(s)://...``): svm.apis.open_video_source reads it. Frames are read and tracked one
at a time (svm.apis.track_video): the S-ViT memory holds at most ``memory_len`` frames and the tracker only
its live tracks, so memory stays constant however long the video is. Each track is drawn as a box with
its id, in a colour of its own. ``--out-txt`` also writes the tracks in the MOTChallenge result format
(frame,id,left,top,width,height,score,-1,-1,-1); ``--show`` displays them (``q`` stops). Progress: 'frame
i/N' lines for files and folders, the running frame rate for webcams and streams. Ctrl-C (or
``--max-frames``) stops a live source; what was tracked so far is written. The loop is
svm.apis.write_tracked_video.
"""
import argparse
import sys

from svm.apis import RANDOM_WEIGHTS_WARNING, init_tracker, open_video_source, write_tracked_video
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', help='a video file, a folder of frames, a webcam index (0) or a stream URL '
                        '(rtsp://, http(s)://)')
    parser.add_argument('--config', required=True, help='MOT config (configs/mot/svm/...)')
    parser.add_argument('--checkpoint', help='trained tracker checkpoint (default: none: random weights, with a '
                        'warning; enough to check an install or a video source)')
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


def main(argv=None):
    args = parse_args(argv)
    source = open_video_source(args.input)  # a missing or unreadable input fails before the model is built
    if args.checkpoint is None:
        print(RANDOM_WEIGHTS_WARNING.format(what='tracker'), file=sys.stderr)
    model = init_tracker(args.config, args.checkpoint, device=args.device)
    written = write_tracked_video(model, source, out=args.out, out_txt=args.out_txt, show=args.show, fps=args.fps,
                                  score_thr=args.score_thr, max_frames=args.max_frames)
    outputs = ', '.join(p for p in (args.out, args.out_txt) if p) or 'nothing written'
    print(f'{outputs}: {written["num_frames"]} frames, {written["num_tracks"]} tracks')


if __name__ == '__main__':
    run_main(main)
