"""`make track-recognition-demo`: one streaming S-ViT pass per frame for tracking and action recognition, end to
end on generated data, on a CPU (docs/track_recognition.md).

    python tools/track_recognition_demo_main.py [--work-dir work_dirs/track_recognition_demo] [--retrain]

1. generates the synthetic crowd-flow set (data/synthetic_mot_flow, if absent): MOT17-layout sequences of 60
   frames in which everyone walks left or everyone walks right, with mmaction2 frame lists of the direction
   (tools/misc/generate_synthetic_mot.py --preset flow);
2. stage 1: trains the tiny S-ViT tracker on it (tools/train.py);
3. stage 2: trains the action head as a recogniser on the tracker's frozen backbone, initialised from its
   checkpoint (tools/train.py), and tests it on the validation videos (tools/test.py: top-1);
4. joins the two checkpoints into the track recognizer's (tools/model_converters/assemble_track_recognizer.py);
5. tests the track recognizer as a tracker on the validation sequences (tools/test.py: HOTA, MOTA, IDF1);
6. measures its online action accuracy on the validation videos and its per-frame cost against the tracker
   and the recogniser run separately (tools/analysis_tools/benchmark.py track-recognition);
7. writes a video of one validation sequence with the tracks and the current action
   (demo/track_recognition_demo.py).

Trained stages are reused unless --retrain. Every step is the command a user would run, printed before it runs.
"""
import argparse
import json
import os.path as osp
import time

from svm.analysis.analyze_logs import latest_test_metrics
from svm.utils.commands import run_command
from svm.utils.user_errors import run_main

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TRACKER_CONFIG = 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-flow.py'
ACTION_CONFIG = 'configs/track_recognition/svm/action-head_svit-tiny-frozen_1xb8-8x1x1-10e_synthetic-mot-flow.py'
TRACK_RECOGNITION_CONFIG = 'configs/track_recognition/svm/bytetrack-action-head_svit-tiny_yolox_synthetic-mot-flow.py'
MOT_METRICS = ('HOTA', 'MOTA', 'IDF1', 'DetA', 'AssA', 'IDSW')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/synthetic_mot_flow', help='synthetic crowd-flow set folder')
    parser.add_argument('--seed', type=int, default=0, help='seed of the generated set')
    parser.add_argument('--train-seed', type=int, default=0, help="training seed of both stages (randomness.seed)")
    parser.add_argument('--work-dir', default='work_dirs/track_recognition_demo')
    parser.add_argument('--retrain', action='store_true', help='train both stages even if checkpoints exist')
    parser.add_argument('--video-seq', default='SYN-51', help='validation sequence drawn into the video')
    return parser.parse_args(argv)


def run(cmd) -> None:
    run_command(cmd, REPO)


def trained_checkpoint(work_dir: str) -> str:
    """The checkpoint a finished tools/train.py run left in ``work_dir`` (its last_checkpoint pointer)."""
    with open(osp.join(REPO, work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def train(config: str, work_dir: str, retrain: bool, *options: str) -> str:
    if retrain or not osp.isfile(osp.join(REPO, work_dir, 'last_checkpoint')):
        run(['python', 'tools/train.py', config, '--work-dir', work_dir]
            + (['--cfg-options', *options] if options else []))
    return trained_checkpoint(work_dir)


def main(argv=None) -> dict:
    args = parse_args(argv)
    start = time.time()
    root, work = args.data_root, args.work_dir
    data = [f'train_dataloader.dataset.dataset.datasets.0.data_root={root}/', f'val_dataloader.dataset.data_root={root}/',
            f'test_dataloader.dataset.data_root={root}/']
    if not osp.isfile(osp.join(REPO, root, 'annotations', 'val_flow_rawframes.txt')):
        run(['python', 'tools/misc/generate_synthetic_mot.py', '--out', root, '--preset', 'flow', '--seed',
             str(args.seed), '--num-train', '16', '--num-val', '16'])

    seed = f'randomness.seed={args.train_seed}'
    tracker = train(TRACKER_CONFIG, f'{work}/tracker', args.retrain, *data, seed)
    frame_lists = [f'train_dataloader.dataset.dataset.ann_file={root}/annotations/train_flow_rawframes.txt',
                   f'train_dataloader.dataset.dataset.data_prefix.img={root}/',
                   f'val_dataloader.dataset.ann_file={root}/annotations/val_flow_rawframes.txt',
                   f'val_dataloader.dataset.data_prefix.img={root}/',
                   f'test_dataloader.dataset.ann_file={root}/annotations/val_flow_rawframes.txt',
                   f'test_dataloader.dataset.data_prefix.img={root}/']
    head = train(ACTION_CONFIG, f'{work}/action_head', args.retrain,
                 f'model.backbone.init_cfg.checkpoint={tracker}', *frame_lists, seed)
    run(['python', 'tools/test.py', ACTION_CONFIG, '--checkpoint', head, '--work-dir', f'{work}/action_head_test',
         '--cfg-options', *frame_lists])
    action = latest_test_metrics(osp.join(REPO, work, 'action_head_test'))

    joint = f'{work}/track_recognizer.pth'
    run(['python', 'tools/model_converters/assemble_track_recognizer.py', tracker, head, joint,
         '--check-config', TRACK_RECOGNITION_CONFIG])
    run(['python', 'tools/test.py', TRACK_RECOGNITION_CONFIG, '--checkpoint', joint, '--work-dir',
         f'{work}/track_recognizer_test',
         '--cfg-options', *data])
    mot = latest_test_metrics(osp.join(REPO, work, 'track_recognizer_test'))

    benchmark = f'{work}/benchmark_track_recognition.json'
    run(['python', 'tools/analysis_tools/benchmark.py', 'track-recognition', TRACK_RECOGNITION_CONFIG, joint,
         '--frame-list',
         f'{root}/annotations/val_flow_rawframes.txt', '--data-root', root, '--device', 'cpu', '--out', benchmark])
    with open(osp.join(REPO, benchmark)) as f:
        online = json.load(f)
    video = f'{work}/{args.video_seq}_tracks_and_action.mp4'
    run(['python', 'demo/track_recognition_demo.py', f'{root}/val/{args.video_seq}/img1', '--config',
         TRACK_RECOGNITION_CONFIG,
         '--checkpoint', joint, '--out', video, '--topk', '2'])

    costs = online['costs']['summary']
    print(f'\n== make track-recognition-demo: one S-ViT pass per frame for tracks and the crowd\'s walking direction, '
          f'synthetic validation set ({root}/val) ==')
    print('tracking (TrackEval): ' + ', '.join(
        f'{m} {mot[m]:.0f}' if m == 'IDSW' else f'{m} {100 * mot[m]:.1f}' for m in MOT_METRICS if m in mot))
    print(f'action top-1: {100 * action["top1"]:.1f}% (recogniser test, 3 clips per video); online, track recognizer: '
          f'{100 * online["accuracy"]["top1_last_frame"]:.1f}% after the last frame, '
          f'{100 * online["accuracy"]["top1_full_window"]:.1f}% over frames with a full window')
    print(f'per frame (median): track recognizer {costs["track_recognizer"]["median_ms"]:.1f} ms, '
          f'tracker + recogniser '
          f'{costs["separate"]["median_ms"]:.1f} ms ({100 * online["costs"]["saving"]:.0f}% saved)')
    print(f'checkpoint: {joint}\nvideo: {video}\ntotal time: {(time.time() - start) / 60:.1f} min')
    summary = dict(mot=mot, action_top1=action['top1'], online=online, train_seed=args.train_seed, checkpoint=joint,
                   video=video,
                   minutes=(time.time() - start) / 60)
    with open(osp.join(REPO, work, 'track_recognition_demo_metrics.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    return summary


if __name__ == '__main__':
    run_main(main)
