"""Plot the memory-length sweep of tools/analysis_tools/memory_sweep.py as a PNG.

    python tools/analysis_tools/plot_memory_sweep.py WORK_DIR/memory_sweep.json [--out sweep.png]

The JSON maps each test-time memory length L to TrackEval's figures (HOTA, MOTA, IDF1 in [0, 1]);
the plot shows them in percent against L (log scale).
"""
import argparse
import json
import os.path as osp

PLOTTED = ('HOTA', 'MOTA', 'IDF1')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('sweep_json', help='memory_sweep.json written by memory_sweep.py')
    parser.add_argument('--out', help='PNG to write (default: next to the JSON, memory_sweep.png)')
    parser.add_argument('--title', default='S-ViT tracker: test-time memory length')
    return parser.parse_args(argv)


def load_sweep(path: str) -> dict:
    """{memory length: {metric: value}} from a memory_sweep.json, checked."""
    with open(path) as f:
        raw = json.load(f)
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f'{path}: expected a JSON object mapping memory lengths to metrics, got {raw!r:.80}')
    rows = {}
    for length, metrics in raw.items():
        missing = [m for m in PLOTTED if m not in metrics]
        if not str(length).isdigit() or missing:
            raise ValueError(f'{path}: entry {length!r} needs an integer memory length and the metrics '
                             f'{PLOTTED} (missing {missing})')
        rows[int(length)] = metrics
    return dict(sorted(rows.items()))


def plot_sweep(rows: dict, out: str, title: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    lengths = list(rows)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for metric in PLOTTED:
        ax.plot(lengths, [100 * rows[L][metric] for L in lengths], marker='o', label=metric)
    ax.set_xscale('log', base=2)
    ax.set_xticks(lengths, [str(L) for L in lengths])
    ax.set_xlabel('memory length L (frames)')
    ax.set_ylabel('%')
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc='center left', bbox_to_anchor=(1.02, 0.5))  # outside: the lines fill the plot
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv=None) -> str:
    args = parse_args(argv)
    out = args.out or osp.join(osp.dirname(osp.abspath(args.sweep_json)), 'memory_sweep.png')
    plot_sweep(load_sweep(args.sweep_json), out, args.title)
    print(f'wrote {out}')
    return out


if __name__ == '__main__':
    main()
