"""Plot the memory-length sweep of tools/analysis_tools/memory_sweep.py as a PNG.

    python tools/analysis_tools/plot_memory_sweep.py WORK_DIR/memory_sweep.json [--out sweep.png]

The JSON maps each test-time memory length L to TrackEval's figures (HOTA, MOTA, IDF1 in [0, 1]);
the plot shows them in percent against L (log scale) (svm/analysis/memory_sweep.py).
"""
import argparse

from svm.analysis.memory_sweep import default_plot_path, load_sweep, plot_sweep
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('sweep_json', help='memory_sweep.json written by memory_sweep.py')
    parser.add_argument('--out', help='PNG to write (default: next to the JSON, memory_sweep.png)')
    parser.add_argument('--title', help="figure title (default: 'S-ViT tracker: test-time memory length')")
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    out = args.out or default_plot_path(args.sweep_json)
    plot_sweep(load_sweep(args.sweep_json), out, args.title)
    print(f'wrote {out}')
    return out


if __name__ == '__main__':
    run_main(main)
