"""The paper's memory-length study: test one MOT checkpoint with several S-ViT memory lengths, and plot it.

Runs the config's test set once per length L (``model.detector.backbone.memory_len=L``, the same
override ``tools/test.py --cfg-options`` takes) and prints a table of TrackEval's HOTA, MOTA, IDF1
(and DetA / AssA / IDSW) per length.

    python tools/experiments/memory_sweep.py \
        configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth_test-mot17halfval.py \
        --checkpoint CKPT --memory-lens 1 2 4 8 16 32 64
    python tools/experiments/memory_sweep.py --replot WORK_DIR/memory_sweep.json [--out sweep.png]

The test of each length is a normal mmengine test run (logs under ``<work-dir>/mem<L>``); the table
is also written to ``<work-dir>/memory_sweep.json`` and plotted to ``<work-dir>/memory_sweep.png``: HOTA,
MOTA and IDF1 in percent against L (log scale). ``--replot`` redraws the plot of a sweep's JSON without
testing. The experiment is svm/experiments/memory_sweep.py.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

from svm.experiments.memory_sweep import (default_plot_path, default_work_dir, format_table, load_sweep, plot_sweep,
                                          run_memory_sweep)
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='MOT test config (not with --replot)')
    parser.add_argument('--checkpoint', help='trained tracker checkpoint')
    parser.add_argument('--memory-lens', type=int, nargs='+', default=[1, 2, 4, 8, 16, 32, 64],
                        help='memory lengths L to test')
    parser.add_argument('--work-dir', help='where the runs log (default ./work_dirs/<config>_memory_sweep)')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow a checkpoint that needs full unpickling (only files you trust)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='other config overrides')
    parser.add_argument('--replot', metavar='SWEEP_JSON',
                        help='only redraw the plot of a memory_sweep.json written by a sweep')
    parser.add_argument('--out', help='PNG of --replot (default: memory_sweep.png next to the JSON)')
    parser.add_argument('--title', help="plot title (default: 'S-ViT tracker: test-time memory length')")
    args = parser.parse_args(argv)
    if args.replot:
        if args.config or args.checkpoint:
            parser.error('--replot redraws a sweep\'s JSON: give no config or --checkpoint with it')
    elif not (args.config and args.checkpoint):
        parser.error('a sweep needs the config and --checkpoint (or --replot SWEEP_JSON)')
    if any(L < 1 for L in args.memory_lens):
        parser.error(f'--memory-lens must be >= 1, got {args.memory_lens}')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.replot:
        out = args.out or default_plot_path(args.replot)
        plot_sweep(load_sweep(args.replot), out, args.title)
        print(f'wrote {out}')
        return out
    work_dir = args.work_dir or default_work_dir(args.config)
    rows = run_memory_sweep(args.config, args.checkpoint, args.memory_lens, work_dir, args.cfg_options,
                            args.trust_checkpoint)
    print('\nS-ViT test-time memory length sweep (' + osp.basename(args.config) + ')\n' + format_table(rows))
    plot = args.out or default_plot_path(osp.join(work_dir, 'memory_sweep.json'))
    plot_sweep(rows, plot, args.title)
    print(f'wrote {osp.join(work_dir, "memory_sweep.json")} and {plot}')
    return rows


if __name__ == '__main__':
    run_main(main)
