"""`make demo`: the main job end to end on generated data, on a CPU, in minutes.

    python tools/demo_main.py [--work-dir work_dirs/demo] [--retrain]

1. generates the synthetic MOT benchmark in the MOT17 layout (data/synthetic_mot, if absent) and
   converts it to COCO-video json with tools/dataset_converters/mot2coco.py (tools/misc/
   generate_synthetic_mot.py does both);
2. trains a tiny S-ViT tracker (ByteTrack + YOLOX on a streaming S-ViT) from scratch with
   tools/train.py (skipped when the work dir already holds the final checkpoint, unless --retrain);
3. tests it on the validation sequences with tools/test.py (TrackEval: HOTA, CLEAR, Identity) and
   prints HOTA, MOTA and IDF1;
4. tracks one validation sequence frame by frame with demo/mot_demo.py and writes a video of the
   tracks (boxes and ids);
5. sweeps the test-time memory length of the tracker (tools/analysis_tools/memory_sweep.py) and plots
   it (tools/analysis_tools/plot_memory_sweep.py); skip with --no-memory-sweep.

Every step is the command a user would run; they are printed before they run.
"""
import argparse
import json
import os.path as osp
import time

from svm.analysis.logs import latest_test_metrics
from svm.utils.commands import run_command

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/mot/svm/demo_bytetrack_svit-tiny_yolox_synthetic-mot.py'
METRICS = ('HOTA', 'MOTA', 'IDF1', 'DetA', 'AssA', 'IDSW')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/synthetic_mot', help='synthetic MOT benchmark folder')
    parser.add_argument('--seed', type=int, default=0, help='seed of the generated benchmark')
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--retrain', action='store_true', help='train even if a checkpoint exists')
    parser.add_argument('--video-seq', default='SYN-51', help='validation sequence drawn into the video')
    parser.add_argument('--memory-lens', type=int, nargs='+', default=[1, 2, 4, 8, 16],
                        help='test-time memory lengths of the sweep')
    parser.add_argument('--no-memory-sweep', action='store_true', help='skip the memory-length sweep')
    return parser.parse_args(argv)


def run(cmd) -> None:
    run_command(cmd, REPO)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    data_root = args.data_root
    train_dir = osp.join(args.work_dir, 'train')
    test_dir = osp.join(args.work_dir, 'test')

    if not osp.isdir(osp.join(REPO, data_root, 'val')):  # generates and converts
        run(['python', 'tools/misc/generate_synthetic_mot.py', '--out', data_root, '--seed', str(args.seed)])
    elif not osp.isfile(osp.join(REPO, data_root, 'annotations', 'val_cocoformat.json')):
        run(['python', 'tools/dataset_converters/mot2coco.py', '-i', data_root, '-o',
             osp.join(data_root, 'annotations'), '--subsets', 'train', 'val'])

    checkpoint = osp.join(train_dir, 'last_checkpoint')
    if args.retrain or not osp.isfile(osp.join(REPO, checkpoint)):
        run(['python', 'tools/train.py', args.config, '--work-dir', train_dir])
    with open(osp.join(REPO, checkpoint)) as f:
        weights = f.read().strip()
    run(['python', 'tools/test.py', args.config, '--checkpoint', weights, '--work-dir', test_dir])
    metrics = latest_test_metrics(osp.join(REPO, test_dir))

    frames = osp.join(data_root, 'val', args.video_seq, 'img1')
    video = osp.join(args.work_dir, f'{args.video_seq}_tracks.mp4')
    run(['python', 'demo/mot_demo.py', frames, '--config', args.config, '--checkpoint', weights,
         '--out', video])

    sweep = None
    if not args.no_memory_sweep:
        sweep_dir = osp.join(args.work_dir, 'memory_sweep')
        run(['python', 'tools/analysis_tools/memory_sweep.py', args.config, '--checkpoint', weights,
             '--work-dir', sweep_dir, '--memory-lens', *map(str, args.memory_lens)])
        run(['python', 'tools/analysis_tools/plot_memory_sweep.py', osp.join(sweep_dir, 'memory_sweep.json')])
        with open(osp.join(REPO, sweep_dir, 'memory_sweep.json')) as f:
            sweep = json.load(f)

    print(f'\n== make demo: tiny S-ViT tracker trained on CPU, synthetic validation sequences '
          f'({data_root}/val), TrackEval ==')
    print(' '.join(f'{m:>6}' for m in METRICS))
    print(' '.join(f'{100 * metrics[m]:6.1f}' if m != 'IDSW' else f'{metrics[m]:6.0f}' for m in METRICS
                   if m in metrics))
    if sweep:
        print('test-time memory length: ' + ', '.join(f'L={L}: HOTA {100 * m["HOTA"]:.1f}' for L, m in sweep.items()))
        print(f'memory sweep plot: {osp.join(args.work_dir, "memory_sweep", "memory_sweep.png")}')
    print(f'checkpoint: {weights}\ntrack video: {video}\ntotal time: {(time.time() - start) / 60:.1f} min')
    with open(osp.join(REPO, args.work_dir, 'demo_metrics.json'), 'w') as f:
        json.dump(dict(metrics=metrics, checkpoint=weights, video=video, memory_sweep=sweep,
                       minutes=(time.time() - start) / 60),
                  f, indent=2)


if __name__ == '__main__':
    main()
