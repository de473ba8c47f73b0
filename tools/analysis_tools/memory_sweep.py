"""The paper's memory-length study: test one MOT checkpoint with several S-ViT memory lengths.

Runs the config's test set once per length L (``model.detector.backbone.memory_len=L``, the same
override ``tools/test.py --cfg-options`` takes) and prints a table of TrackEval's HOTA, MOTA, IDF1
(and DetA / AssA / IDSW) per length.

    python tools/analysis_tools/memory_sweep.py \
        configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth_test-mot17halfval.py \
        --checkpoint CKPT --memory-lens 1 2 4 8 16 32 64

The test of each length is a normal mmengine test run (logs under ``<work-dir>/mem<L>``); the table
is also written to ``<work-dir>/memory_sweep.json``.
"""
import argparse
import os.path as osp

import mmengine
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from svm.utils.runner import apply_common_args

COLUMNS = ('HOTA', 'MOTA', 'IDF1', 'DetA', 'AssA', 'IDSW')
RATES = {'HOTA', 'MOTA', 'IDF1', 'DetA', 'AssA'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Sweep the test-time memory length of a S-ViT tracker')
    parser.add_argument('config', help='MOT test config')
    parser.add_argument('--checkpoint', required=True, help='trained tracker checkpoint')
    parser.add_argument('--memory-lens', type=int, nargs='+', default=[1, 2, 4, 8, 16, 32, 64],
                        help='memory lengths L to test')
    parser.add_argument('--work-dir', help='where the runs log (default ./work_dirs/<config>_memory_sweep)')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow a checkpoint that needs full unpickling (only files you trust)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='other config overrides')
    args = parser.parse_args(argv)
    if any(L < 1 for L in args.memory_lens):
        parser.error(f'--memory-lens must be >= 1, got {args.memory_lens}')
    args.launcher = 'none'
    return args


def metric_value(metrics: dict, name: str) -> float:
    """A figure from the evaluator's output, whatever prefix the metric gave it."""
    for key, value in metrics.items():
        if key.split('/')[-1] == name:
            return float(value)
    raise KeyError(f'the test run reported no {name!r} (got {sorted(metrics)})')


def format_table(rows: dict) -> str:
    lines = ['memory_len' + ''.join(f'{c:>9}' for c in COLUMNS)]
    for length, metrics in rows.items():
        cells = [f'{100 * metrics[c]:9.2f}' if c in RATES else f'{metrics[c]:9.0f}' for c in COLUMNS]
        lines.append(f'{length:>10}' + ''.join(cells))
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    work_dir = args.work_dir or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0] + '_memory_sweep')
    rows = {}
    for length in args.memory_lens:
        cfg = Config.fromfile(args.config)
        args.work_dir = osp.join(work_dir, f'mem{length}')
        apply_common_args(cfg, args)
        cfg.model.detector.backbone.memory_len = length
        cfg.load_from = args.checkpoint
        metrics = Runner.from_cfg(cfg).test()
        rows[length] = {c: metric_value(metrics, c) for c in COLUMNS}
        print(f'memory_len={length}: ' + ', '.join(f'{c} {v:.4f}' for c, v in rows[length].items()))
    table = format_table(rows)
    print('\nS-ViT test-time memory length sweep (' + osp.basename(args.config) + ')\n' + table)
    mmengine.dump({str(k): v for k, v in rows.items()}, osp.join(work_dir, 'memory_sweep.json'), indent=2)
    return rows


if __name__ == '__main__':
    main()
