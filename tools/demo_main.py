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
5. sweeps the test-time memory length of the tracker and plots it (tools/experiments/memory_sweep.py);
   skip with --no-memory-sweep;
6. prints the figures beside the documented ones (docs/figures/demo.json: three training seeds and the
   environment that produced them) and this machine's environment, and says when they fall outside.

Every step is the command a user would run; they are printed before they run. ``--write-reference``
records this run's figures and environment under its training seed in a reference file (how
docs/figures/demo.json is made: one run per seed, in one environment).
"""
import argparse
import json
import os.path as osp
import time

from svm.analysis.analyze_logs import latest_test_metrics
from svm.utils.commands import command_threads, run_command
from svm.utils.reproducibility import (compare_with_reference, describe_environment, environment, load_reference,
                                       same_environment)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-15e_synthetic-mot.py'
REFERENCE = 'docs/figures/demo.json'
METRICS = ('HOTA', 'MOTA', 'IDF1', 'DetA', 'AssA', 'IDSW')


def demo_figures(metrics: dict, sweep: dict = None) -> dict:
    """The documented figures of one run: the metrics in percent (IDSW as a count) and the sweep's HOTA."""
    figures = {m: (metrics[m] if m == 'IDSW' else 100 * metrics[m]) for m in METRICS if m in metrics}
    for length, row in (sweep or {}).items():
        figures[f'HOTA, memory {length}'] = 100 * row['HOTA']
    return {name: round(float(value), 4) for name, value in figures.items()}


def write_reference(path: str, seed: int, figures: dict, env: dict) -> None:
    """Record ``figures`` under ``seed`` in the reference file ``path``; every run in it must come from one
    environment (the packages and CPU capability), so a run from another is refused."""
    reference = dict(environment=env, runs={})
    if osp.isfile(path):
        reference = load_reference(path)
        documented = reference['environment']
        if not same_environment(documented, env):
            raise SystemExit(f'{path} holds runs from another environment:\n  {describe_environment(documented)}\n'
                             f'this one is\n  {describe_environment(env)}\nstart a new file (remove it) to '
                             'document this environment')
    reference['runs'][str(seed)] = figures
    reference['runs'] = dict(sorted(reference['runs'].items(), key=lambda item: int(item[0])))
    with open(path, 'w') as f:
        json.dump(reference, f, indent=2)
        f.write('\n')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/synthetic_mot', help='synthetic MOT benchmark folder')
    parser.add_argument('--seed', type=int, default=0, help='seed of the generated benchmark')
    parser.add_argument('--train-seed', type=int, default=0, help="training seed (the config's randomness.seed)")
    parser.add_argument('--reference', default=REFERENCE, help='documented figures to compare with')
    parser.add_argument('--write-reference', metavar='JSON',
                        help="record this run's figures and environment under its training seed in JSON")
    parser.add_argument('--no-video', action='store_true', help='skip the video of the tracks')
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
        run(['python', 'tools/train.py', args.config, '--work-dir', train_dir,
             '--cfg-options', f'randomness.seed={args.train_seed}'])
    with open(osp.join(REPO, checkpoint)) as f:
        weights = f.read().strip()
    run(['python', 'tools/test.py', args.config, '--checkpoint', weights, '--work-dir', test_dir])
    metrics = latest_test_metrics(osp.join(REPO, test_dir))

    frames = osp.join(data_root, 'val', args.video_seq, 'img1')
    video = osp.join(args.work_dir, f'{args.video_seq}_tracks.mp4')
    if not args.no_video:
        run(['python', 'demo/mot_demo.py', frames, '--config', args.config, '--checkpoint', weights,
             '--out', video])

    sweep = None
    if not args.no_memory_sweep:
        sweep_dir = osp.join(args.work_dir, 'memory_sweep')
        run(['python', 'tools/experiments/memory_sweep.py', args.config, '--checkpoint', weights,
             '--work-dir', sweep_dir, '--memory-lens', *map(str, args.memory_lens)])
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
    minutes = (time.time() - start) / 60
    print(f'checkpoint: {weights}\ntrack video: {video}\ntotal time: {minutes:.1f} min')

    env = environment(threads=command_threads())  # the threads its commands ran with
    figures = demo_figures(metrics, sweep)
    print(f'\nthis machine: {describe_environment(env)}')
    reference_path = osp.join(REPO, args.reference)
    if osp.isfile(reference_path):
        reference = load_reference(reference_path)
        print(f'documented ({args.reference}): {describe_environment(reference["environment"])}')
        print(compare_with_reference(figures, reference, list(figures), str(args.train_seed), env))
    with open(osp.join(REPO, args.work_dir, 'demo_metrics.json'), 'w') as f:
        json.dump(dict(metrics=metrics, figures=figures, train_seed=args.train_seed, checkpoint=weights,
                       video=None if args.no_video else video, memory_sweep=sweep, minutes=minutes,
                       environment=env), f, indent=2)
    if args.write_reference:
        write_reference(args.write_reference, args.train_seed, figures, env)
        print(f'recorded seed {args.train_seed} in {args.write_reference}')


if __name__ == '__main__':
    main()
