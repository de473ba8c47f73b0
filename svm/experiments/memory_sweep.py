"""Experiment: the paper's memory-length study, one MOT checkpoint tested with several S-ViT memory lengths, and
its plot (tools/experiments/memory_sweep.py; ``--replot`` redraws the plot from the JSON).

Each length L is a normal mmengine test run of the config with ``model.detector.backbone.memory_len=L`` (the
override ``tools/test.py --cfg-options`` takes); the sweep is TrackEval's HOTA, MOTA, IDF1 (and DetA, AssA,
IDSW) per length, written as ``memory_sweep.json``: ``{"<L>": {"HOTA": ..., ...}, ...}``.
"""
import json
import os.path as osp
from typing import Dict, Optional, Sequence

from svm.utils.table import markdown_table

COLUMNS = ('HOTA', 'MOTA', 'IDF1', 'DetA', 'AssA', 'IDSW')
RATES = {'HOTA', 'MOTA', 'IDF1', 'DetA', 'AssA'}
PLOTTED = ('HOTA', 'MOTA', 'IDF1')


def metric_value(metrics: dict, name: str) -> float:
    """A figure from the evaluator's output, whatever prefix the metric gave it."""
    for key, value in metrics.items():
        if key.split('/')[-1] == name:
            return float(value)
    raise KeyError(f'the test run reported no {name!r} (got {sorted(metrics)})')


def default_work_dir(config_path: str) -> str:
    """``./work_dirs/<config name>_memory_sweep``."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0] + '_memory_sweep')


def run_memory_sweep(config_path: str, checkpoint: str, memory_lens: Sequence[int], work_dir: Optional[str] = None,
                     cfg_options: Optional[dict] = None, trust_checkpoint: bool = False) -> Dict[int, Dict[str, float]]:
    """Test ``checkpoint`` once per memory length (logs under ``<work_dir>/mem<L>``) and write the sweep to
    ``<work_dir>/memory_sweep.json`` (default work dir: :func:`default_work_dir`).

    Returns:
        {L: {column: value}} for the :data:`COLUMNS`.
    """
    import mmengine
    from mmengine.config import Config
    from mmengine.runner import Runner

    from svm.utils.runner import apply_common_args
    if any(length < 1 for length in memory_lens):
        raise ValueError(f'memory lengths must be >= 1, got {list(memory_lens)}')
    work_dir = work_dir or default_work_dir(config_path)
    rows = {}
    for length in memory_lens:
        cfg = Config.fromfile(config_path)
        apply_common_args(cfg, config_path, cfg_options, osp.join(work_dir, f'mem{length}'),
                          trust_checkpoint=trust_checkpoint)
        cfg.model.detector.backbone.memory_len = length
        cfg.load_from = checkpoint
        metrics = Runner.from_cfg(cfg).test()
        rows[length] = {c: metric_value(metrics, c) for c in COLUMNS}
        print(f'memory_len={length}: ' + ', '.join(f'{c} {v:.4f}' for c, v in rows[length].items()))
    mmengine.dump({str(k): v for k, v in rows.items()}, osp.join(work_dir, 'memory_sweep.json'), indent=2)
    return rows


def format_table(rows: Dict[int, Dict[str, float]]) -> str:
    """The sweep as a Markdown table: one row per memory length, rates in percent."""
    def cell(metrics: Dict[str, float], column: str) -> str:
        return f'{100 * metrics[column]:.2f}' if column in RATES else f'{metrics[column]:.0f}'
    return markdown_table(['memory_len', *COLUMNS],
                          [[length, *(cell(metrics, c) for c in COLUMNS)] for length, metrics in rows.items()])


def load_sweep(path: str) -> Dict[int, dict]:
    """{memory length: {metric: value}} from a memory_sweep.json, checked, in increasing length."""
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


def default_plot_path(sweep_json: str) -> str:
    """``memory_sweep.png`` next to the sweep's JSON."""
    return osp.join(osp.dirname(osp.abspath(sweep_json)), 'memory_sweep.png')


def plot_sweep(rows: Dict[int, dict], out: str, title: Optional[str] = None) -> None:
    """HOTA, MOTA and IDF1 in percent against the memory length (log scale), to the PNG ``out``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    lengths = list(rows)
    fig = Figure(figsize=(6.4, 3.6), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for metric in PLOTTED:
        ax.plot(lengths, [100 * rows[L][metric] for L in lengths], marker='o', label=metric)
    ax.set_xscale('log', base=2)
    ax.set_xticks(lengths, [str(L) for L in lengths])
    ax.set_xlabel('memory length L (frames)')
    ax.set_ylabel('%')
    ax.set_title(title or 'S-ViT tracker: test-time memory length')
    ax.grid(alpha=0.3)
    ax.legend(loc='center left', bbox_to_anchor=(1.02, 0.5))  # outside: the lines fill the plot
    fig.tight_layout()
    fig.savefig(out)
