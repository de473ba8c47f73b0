"""mmengine's json scalar logs: curves of losses, learning rates and metrics, and training-time statistics.

mmengine writes one json object per line to ``<work_dir>/<timestamp>/vis_data/<timestamp>.json`` (and the
same lines to ``scalars.json``):

- a training line every ``logger.interval`` iterations: ``lr``, ``loss``, ``loss_*``, ``time`` and
  ``data_time`` (seconds per iteration, averaged over the logging window), ``iter`` (global), ``epoch``
  (epoch-based loops), ``memory`` (CUDA), ``step`` (= ``iter``);
- a validation line after each evaluation: the metrics (``motchallenge-metric/HOTA``, ``acc/top1``, ...),
  ``time``, ``data_time`` and ``step``: the epoch (epoch-based loops) or the iteration.

A key asked for by its last component (``HOTA``, ``top1``) matches the prefixed metric names.

A test run (``Runner.test()``) writes its metrics to ``<work_dir>/<timestamp>/<timestamp>.json``:
:func:`latest_test_metrics` reads the latest.
"""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np


def load_json_log(path: str) -> List[dict]:
    """The records of a json log, one dict per non-empty line; a line that is not a json object is
    refused with ``path:line``."""
    records = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{path}:{lineno}: not a json object ({err.msg}): {line[:80]!r}') from None
            if not isinstance(record, dict):
                raise ValueError(f'{path}:{lineno}: expected a json object per line, got {type(record).__name__}')
            records.append(record)
    if not records:
        raise ValueError(f'{path}: no records (an mmengine vis_data/*.json log has one json object per line)')
    return records


def is_train_record(record: dict) -> bool:
    """Training lines carry the global ``iter``; validation lines only ``step``."""
    return 'iter' in record


def split_records(records: Sequence[dict]) -> Tuple[List[dict], List[dict]]:
    """(training records, validation records)."""
    return [r for r in records if is_train_record(r)], [r for r in records if not is_train_record(r)]


BOOKKEEPING = ('iter', 'epoch', 'step')


def available_keys(records: Sequence[dict]) -> List[str]:
    """Every numeric key of the records except the counters, in order of appearance."""
    keys = {}
    for record in records:
        for key, value in record.items():
            if key not in BOOKKEEPING and isinstance(value, (int, float)) and not isinstance(value, bool):
                keys.setdefault(key)
    return list(keys)


def match_keys(records: Sequence[dict], key: str) -> List[str]:
    """The log keys that ``key`` names: itself, else the keys whose last ``/`` component is ``key``."""
    keys = available_keys(records)
    if key in keys:
        return [key]
    return [k for k in keys if k.rsplit('/', 1)[-1] == key]


def curve(records: Sequence[dict], key: str) -> Tuple[np.ndarray, np.ndarray, str]:
    """(x, y, x label) of ``key`` (an exact log key): from the training lines against ``iter`` if it is
    logged in training, else from the validation lines against their ``step`` (the epoch when the
    training lines carry one, else the iteration)."""
    train, val = split_records(records)
    source = [r for r in train if key in r]
    if source:
        return (np.array([r['iter'] for r in source], float), np.array([r[key] for r in source], float), 'iter')
    source = [r for r in val if key in r]
    x_label = 'epoch' if any('epoch' in r for r in train) else 'iter'
    return (np.array([r['step'] for r in source], float), np.array([r[key] for r in source], float), x_label)


def default_label(path: str) -> str:
    """A legend label for a log: ``<work dir name>/<timestamp>`` for mmengine's layout, else the file name."""
    parts = osp.normpath(osp.abspath(path)).split(osp.sep)
    if len(parts) >= 4 and parts[-2] == 'vis_data':
        return f'{parts[-4]}/{parts[-3]}'
    return osp.splitext(parts[-1])[0]


def load_json_logs(paths: Sequence[str], labels: Optional[Sequence[str]] = None) -> Dict[str, List[dict]]:
    """{legend label: records} of several logs, labelled by ``labels`` (default :func:`default_label`); labels
    that repeat get the log's position appended."""
    labels = list(labels) if labels else [default_label(p) for p in paths]
    if len(labels) != len(paths):
        raise ValueError(f'{len(labels)} labels for {len(paths)} logs')
    if len(set(labels)) != len(labels):
        labels = [f'{label} ({i})' for i, label in enumerate(labels)]
    return {label: load_json_log(path) for label, path in zip(labels, paths)}


def plot_curves(logs: Dict[str, Sequence[dict]], keys: Sequence[str], out: str, title: Optional[str] = None,
                dpi: int = 100) -> Dict[str, Dict[str, int]]:
    """Plot each of ``keys`` in a panel of its own, one line per log, to the image ``out`` (matplotlib's Agg
    canvas: no display needed, no global backend change).

    Args:
        logs: {legend label: records of :func:`load_json_log`}.
        keys: log keys or their last components (``loss``, ``lr``, ``HOTA``).

    Returns:
        {key: {curve name: number of points}}, a curve named by its log's label (several logs) and its log key
        (one log, or a key that matches several); a key that no log has is refused with the keys they have.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    if not keys:
        raise ValueError('no keys to plot')
    resolved = {}
    for key in keys:
        matches = {label: match_keys(records, key) for label, records in logs.items()}
        if not any(matches.values()):
            have = sorted({k for records in logs.values() for k in available_keys(records)})
            raise KeyError(f'no log has the key {key!r}; the logs have: {", ".join(have)}')
        resolved[key] = matches
    fig = Figure(figsize=(7, 2.6 * len(keys)), dpi=dpi)
    FigureCanvasAgg(fig)
    counts = {}
    for i, key in enumerate(keys):
        ax = fig.add_subplot(len(keys), 1, i + 1)
        counts[key] = {}
        x_label = 'iter'
        for label, records in logs.items():
            for log_key in resolved[key][label]:
                x, y, x_label = curve(records, log_key)
                parts = [label] if len(logs) > 1 else []
                if len(resolved[key][label]) > 1 or not parts:
                    parts.append(log_key)
                name = ': '.join(parts)
                ax.plot(x, y, marker='o' if len(x) < 20 else None, markersize=3, label=name)
                counts[key][name] = len(x)
        ax.set_xlabel(x_label)
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out)
    return counts


def train_time_stats(records: Sequence[dict], include_outliers: bool = False) -> Dict:
    """Seconds per training iteration from the ``time`` of the training lines.

    Each line's ``time`` is the mean over its logging window; the first line of each epoch (data loader
    start-up, first CUDA kernels) is left out unless ``include_outliers``. Per epoch (epoch-based loops;
    otherwise the whole run is one group): the mean, then the slowest and fastest epoch and the spread over
    epochs, and the total time estimated from the windows' lengths.
    """
    train = [r for r in split_records(records)[0] if 'time' in r]
    if not train:
        raise ValueError('no training lines with a "time" key in this log')
    groups: Dict[int, List[dict]] = {}
    for record in train:
        groups.setdefault(int(record.get('epoch', 0)), []).append(record)
    per_epoch = {}
    for epoch, group in groups.items():
        kept = group if include_outliers or len(group) < 2 else group[1:]
        per_epoch[epoch] = float(np.mean([r['time'] for r in kept]))
    total_s, previous = 0., 0
    for record in train:
        total_s += record['time'] * (record['iter'] - previous)
        previous = record['iter']
    means = np.array(list(per_epoch.values()))
    slowest = max(per_epoch, key=per_epoch.get)
    fastest = min(per_epoch, key=per_epoch.get)
    return dict(s_per_iter=float(means.mean()), per_epoch_s_per_iter=per_epoch, slowest_epoch=slowest,
                slowest_s_per_iter=per_epoch[slowest], fastest_epoch=fastest, fastest_s_per_iter=per_epoch[fastest],
                std_over_epochs=float(means.std()), iters=int(train[-1]['iter']), estimated_total_s=total_s)


def format_train_time(label: str, stats: Dict) -> str:
    """:func:`train_time_stats` of one log as the lines analyze_logs.py cal_train_time prints."""
    return '\n'.join([
        f'-----Analyze train time of {label}-----',
        f"slowest epoch {stats['slowest_epoch']}, average time is {stats['slowest_s_per_iter']:.4f} s/iter",
        f"fastest epoch {stats['fastest_epoch']}, average time is {stats['fastest_s_per_iter']:.4f} s/iter",
        f"time std over epochs is {stats['std_over_epochs']:.4f}",
        f"average iter time: {stats['s_per_iter']:.4f} s/iter",
        f"{stats['iters']} iterations, about {stats['estimated_total_s'] / 3600:.2f} h of training steps"])


def latest_test_metrics(work_dir: str) -> Dict[str, float]:
    """The metrics of the latest test run under ``work_dir`` (``<timestamp>/<timestamp>.json``), keyed by
    their last component (``HOTA`` for ``motchallenge-metric/HOTA``)."""
    runs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    runs = [r for r in runs if osp.basename(r) == osp.basename(osp.dirname(r)) + '.json']
    if not runs:
        raise FileNotFoundError(f'no test results (<timestamp>/<timestamp>.json) under {work_dir}')
    with open(runs[-1]) as f:
        raw = json.load(f)
    return {key.split('/')[-1]: value for key, value in raw.items()}
