"""The unified tracker + recogniser on labelled videos: online action accuracy, and the per-frame cost against the
tracker and the recogniser run separately.

    python tools/analysis_tools/benchmark_unified.py CONFIG CHECKPOINT \\
        --frame-list data/synthetic_mot_flow/annotations/val_flow_rawframes.txt --data-root data/synthetic_mot_flow

Every video of the mmaction2 raw-frame list (``frame_dir total_frames label``) is streamed through the unified
model (svm.apis.track_and_recognize): top-1 after each video's last frame, and over every frame whose window of
``action_window`` frames is full. The first video is then run frame by frame through the unified model and the
two separate models in turn (svm.apis.separate_models), timed per frame. Printed as tables; ``--out`` writes
the figures as JSON. The measurements are svm/analysis/track_recognition_benchmark.py.
"""
import argparse
import json


from svm.analysis.track_recognition_benchmark import (cost_table, online_action_accuracy, read_frame_list,
                                                      unified_vs_separate)
from svm.apis import init_tracker, open_video_source
from svm.utils.progress import progress_bar
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='unified config (configs/unified/svm/...)')
    parser.add_argument('checkpoint', help='unified checkpoint')
    parser.add_argument('--frame-list', required=True, help='mmaction2 raw-frame list of labelled videos')
    parser.add_argument('--data-root', required=True, help='folder the frame list is relative to')
    parser.add_argument('--timing-frames', type=int, default=60, help='frames of the first video to time')
    parser.add_argument('--out', help='write the figures to this JSON file')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    videos = read_frame_list(args.frame_list, args.data_root)
    model = init_tracker(args.config, args.checkpoint, device=args.device)
    bar = progress_bar(len(videos))
    accuracy = online_action_accuracy(model, videos, progress=lambda done: bar.update())
    print(f'\nonline action top-1 on {accuracy["videos"]} videos ({accuracy["frames"]} frames): '
          f'{100 * accuracy["top1_last_frame"]:.1f}% after the last frame, '
          f'{100 * accuracy["top1_full_window"]:.1f}% over the frames with a full window of {model.action_window}')
    frames = [frame for _, frame in zip(range(args.timing_frames), open_video_source(videos[0][0]))]
    costs = unified_vs_separate(model, frames)
    print(f'\nper-frame cost on {videos[0][0]} ({costs["frames"] - costs["warmup"]} frames after '
          f'{costs["warmup"]} warm-up frames, {args.device}):\n{cost_table(costs)}\n'
          f'one pass instead of two saves {100 * costs["saving"]:.0f}% per frame; same tracks: {costs["same_tracks"]}, '
          f'largest action-score difference: {costs["max_score_difference"]:.1e}')
    result = dict(accuracy=accuracy, costs={k: v for k, v in costs.items() if k != 'ms'})
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    run_main(main)
