"""Curves and training-time statistics from mmengine's json scalar logs (``<work_dir>/<timestamp>/vis_data/*.json``).

    python tools/analysis_tools/analyze_logs.py plot_curve LOG.json [LOG2.json ...] --keys loss lr HOTA \
        --out FIG.png [--legend A B] [--title T]
    python tools/analysis_tools/analyze_logs.py cal_train_time LOG.json [...] [--include-outliers]

plot_curve draws each key in a panel of its own (training keys against the iteration, validation metrics
against the epoch or iteration they were computed at), one line per log; a key may be given by its last
component (``HOTA`` for ``motchallenge-metric/HOTA``, ``top1`` for ``acc/top1``). cal_train_time prints
the seconds per iteration (mean over epochs, slowest and fastest epoch, spread) and the estimated total.
See svm/analysis/analyze_logs.py.
"""
import argparse
from typing import Dict

from svm.analysis.analyze_logs import format_train_time, load_json_logs, plot_curves, train_time_stats
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves of some keys to an image')
    plot.add_argument('json_logs', nargs='+', help='json logs (vis_data/<timestamp>.json or scalars.json)')
    plot.add_argument('--keys', nargs='+', default=['loss'], help='keys to plot (default: loss)')
    plot.add_argument('--out', required=True, help='output image (.png, .pdf, .svg)')
    plot.add_argument('--legend', nargs='+', help='a legend label per log (default: <work dir>/<timestamp>)')
    plot.add_argument('--title', help='figure title')
    timing = sub.add_parser('cal_train_time', help='seconds per training iteration')
    timing.add_argument('json_logs', nargs='+', help='json logs')
    timing.add_argument('--include-outliers', action='store_true',
                        help="keep each epoch's first logged window (left out by default)")
    return parser.parse_args(argv)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    logs = load_json_logs(args.json_logs, getattr(args, 'legend', None))
    if args.task == 'plot_curve':
        counts = plot_curves(logs, args.keys, args.out, title=args.title)
        for key, per_curve in counts.items():
            print(f'{key}: ' + ', '.join(f'{name} ({n} points)' for name, n in per_curve.items()))
        print(f'wrote {args.out}')
        return counts
    stats = {}
    for label, records in logs.items():
        stats[label] = train_time_stats(records, args.include_outliers)
        print(format_train_time(label, stats[label]))
    return stats


if __name__ == '__main__':
    run_main(main)
