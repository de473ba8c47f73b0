"""Track the people of a video and recognise its action, live, from one S-ViT pass per frame.

    python demo/track_recognition_demo.py SOURCE --config CONFIG --checkpoint CKPT --out OUT.mp4 [--compare]

SOURCE is a video file, a folder of frames, a webcam index (``0``) or a stream URL (``rtsp://...``,
``http(s)://...``), read by svm.apis.open_video_source. CONFIG is a track recognition config
(configs/track_recognition/svm/: a StreamingByteTrackRecognizer) and CKPT its checkpoint
(tools/model_converters/assemble_track_recognizer.py joins a tracker's and an action head's). Each frame goes through the streaming encoder once; its features
feed the detector and ByteTrack, its tokens the action head over the last frames (svm.apis.inference_track_recognizer).
The video is written with every track as a box with its id and the current top-k action in the corner
(``--show`` displays it; ``q`` stops). Progress: 'frame i/N' lines for files and folders, the running frame
rate for webcams and streams.

``--compare`` then runs the first ``--compare-frames`` frames through the track recognizer and through the two
models it replaces (the tracker alone, then the online recogniser alone, each with its own backbone pass;
svm.apis.separate_models), taking turns frame by frame, and prints the per-frame cost of each and whether their
results agree (svm.benchmark.track_recognition).
"""
import argparse
import itertools

from svm.benchmark.track_recognition import cost_table, track_recognizer_vs_separate
from svm.apis import init_tracker, open_video_source, write_tracked_action_video
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', help='a video file, a folder of frames, a webcam index (0) or a stream URL '
                        '(rtsp://, http(s)://)')
    parser.add_argument('--config', required=True, help='track recognition config (configs/track_recognition/svm/...)')
    parser.add_argument('--checkpoint', required=True, help='track recognizer checkpoint')
    parser.add_argument('--out', help='output video (.mp4)')
    parser.add_argument('--show', action='store_true', help='display the video (q stops)')
    parser.add_argument('--topk', type=int, default=1, help='actions drawn per frame')
    parser.add_argument('--score-thr', type=float, default=0.0, help='draw tracks scoring at least this')
    parser.add_argument('--max-frames', type=int, default=None, help='stop after this many frames')
    parser.add_argument('--compare', action='store_true',
                        help='time the track recognizer against the tracker and the recogniser run separately')
    parser.add_argument('--compare-frames', type=int, default=60, help='frames of the timing (from the start)')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    if not (args.out or args.show or args.compare):
        parser.error('nothing to do: give --out, --show or --compare')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    source = open_video_source(args.input)  # a missing or unreadable input fails before the model is built
    model = init_tracker(args.config, args.checkpoint, device=args.device)
    result = {}
    if args.out or args.show:
        result = write_tracked_action_video(model, source, out=args.out, show=args.show, score_thr=args.score_thr,
                                            topk=args.topk, max_frames=args.max_frames)
        print(f'{args.out or "shown"}: {result["num_frames"]} frames, {result["num_tracks"]} tracks, '
              f'action after the last frame: {result["topk"]}')
    if args.compare:
        frames = list(itertools.islice(open_video_source(args.input), args.compare_frames))
        comparison = track_recognizer_vs_separate(model, frames)
        print(f'\nper-frame cost over {comparison["frames"] - comparison["warmup"]} frames '
              f'({args.device}, after {comparison["warmup"]} warm-up frames):\n{cost_table(comparison)}\n'
              f'one pass instead of two saves {100 * comparison["saving"]:.0f}% per frame; same tracks: '
              f'{comparison["same_tracks"]}, largest action-score difference: '
              f'{comparison["max_score_difference"]:.1e}')
        result['comparison'] = comparison
    return result


if __name__ == '__main__':
    run_main(main)
