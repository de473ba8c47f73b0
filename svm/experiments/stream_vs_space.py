"""Experiment: streaming vs frame-based S-ViT trackers on the hard synthetic MOT set, over training seeds and
test-time memory lengths: the paper's two MOT experiments in miniature (tools/experiments/stream_vs_space.py,
``make mot-claims``, docs/demo.md).

- Exp 1, "temporal information matters": the same tracker (:data:`CONFIG`, the tiny
  S-ViT + YOLOX + ByteTrack of ``make demo``) trained with the streaming encoder (``attn_mode='stream'``)
  and with the frame-based one (``'space'``), with the same data, budget, seeds and config otherwise: every
  run is the config with ``--cfg-options`` (:class:`Run`), as ``tools/train.py`` would take them.
- Exp 2, the memory length: every streaming checkpoint tested with each memory length L
  (:func:`svm.experiments.memory_sweep.run_memory_sweep`). The frame-based encoder has no memory: it is tested
  once, and that figure stands for every L (a flat line in the plot, marked as such in the table).

The data is the ``hard`` preset of svm/datasets/synthetic/mot.py (long occlusions, look-alikes that cross,
people who stop, camera shake), generated once (seed 0) and shared by every run; the training seed
(``randomness.seed``) varies. The figures are TrackEval's (HOTA, AssA, IDF1, IDSW, and DetA, MOTA), their
mean and spread over the seeds (:func:`aggregate`), written as ``stream_vs_space.{json,md,png}``.

A run whose work dir already holds its checkpoint is not trained again, and one whose memory sweep holds
every length asked for is not tested again: an interrupted comparison resumes where it stopped.
"""
import json
import math
import os
import os.path as osp
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from svm.utils.table import markdown_table

CONFIG = 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-hard.py'
ENCODER_NAMES = {'stream': 'streaming (S-ViT)', 'space': 'frame-based (space)'}
DEFAULT_SEEDS = (0, 1, 2)
DEFAULT_MEMORY_LENS = (1, 2, 4, 8, 16, 32)
METRICS = ('HOTA', 'AssA', 'IDF1', 'IDSW', 'DetA', 'MOTA')
TABLE_METRICS = ('HOTA', 'AssA', 'IDF1', 'IDSW')
RATES = {'HOTA', 'AssA', 'IDF1', 'DetA', 'MOTA'}  # in [0, 1]; shown in percent
PLOTTED = ('HOTA', 'AssA', 'IDF1')
ATTN_MODE_KEY = 'model.detector.backbone.attn_mode'
LOADERS = ('train_dataloader.dataset.dataset.datasets.0', 'val_dataloader.dataset', 'test_dataloader.dataset')

Figures = Dict[str, float]  # {metric: value} of one test


@dataclass(frozen=True)
class Run:
    """One training of the comparison and the memory lengths it is tested with.

    ``cfg_options`` are the ``--cfg-options`` of tools/train.py that make the config this run (encoder, seed,
    data root, budget); the checkpoint goes to ``<work_dir>/train``, the memory sweep to
    ``<work_dir>/memory_sweep``.
    """
    encoder: str
    seed: int
    memory_lens: Tuple[int, ...]
    work_dir: str
    cfg_options: Dict[str, object] = field(hash=False)

    @property
    def name(self) -> str:
        return f'{self.encoder} seed {self.seed}'

    def train_command(self, config: str) -> str:
        """The tools/train.py command line that trains this run."""
        options = ' '.join(f'{key}={_option_text(value)}' for key, value in self.cfg_options.items())
        return f'python tools/train.py {config} --work-dir {osp.join(self.work_dir, "train")} --cfg-options {options}'


def _option_text(value) -> str:
    return f'"{value}"' if isinstance(value, (tuple, list)) else str(value)


def data_options(data_root: str) -> Dict[str, str]:
    """``--cfg-options`` that point the training, validation and test loaders of the config at ``data_root``."""
    root = data_root.rstrip('/') + '/'
    return {f'{loader}.data_root': root for loader in LOADERS}


def epoch_options(param_scheduler: Sequence[dict], epochs: int) -> Dict[str, int]:
    """``--cfg-options`` for a budget of ``epochs``: the training loop, the final checkpoint, and the schedulers
    that run to the end of training (those that begin after epoch 0: the warm-up stays, the decay after it
    ends with the last epoch, ``T_max`` shortened with it). No validation during training
    (``val_begin`` past the end): the comparison tests every checkpoint itself."""
    if epochs < 2:
        raise ValueError(f'epochs must be >= 2 (one warm-up epoch, then the schedule), got {epochs}')
    options = {'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': epochs, 'train_cfg.val_begin': epochs + 1,
               'default_hooks.checkpoint.interval': epochs}
    for i, scheduler in enumerate(param_scheduler):
        if scheduler.get('begin', 0) > 0:
            options[f'param_scheduler.{i}.end'] = epochs
            if 'T_max' in scheduler:
                options[f'param_scheduler.{i}.T_max'] = epochs - scheduler['begin']
    return options


def plan_runs(work_dir: str, data_root: str, seeds: Sequence[int] = DEFAULT_SEEDS,
              memory_lens: Sequence[int] = DEFAULT_MEMORY_LENS, encoders: Sequence[str] = ('stream', 'space'),
              budget_options: Optional[Mapping[str, object]] = None,
              cfg_options: Optional[Mapping[str, object]] = None, space_memory_len: int = 1) -> List[Run]:
    """Every run of the comparison, seed by seed (each seed's encoders next to each other, so a partial
    comparison is a fair one), under ``<work_dir>/<encoder>/seed<seed>``.

    Args:
        budget_options: the same for every run, e.g. :func:`epoch_options`.
        cfg_options: further options for every run, applied last (e.g. a longer training clip).
        space_memory_len: the one memory length the frame-based runs are tested with (their memory is unused).
    """
    unknown = [e for e in encoders if e not in ENCODER_NAMES]
    if unknown or not encoders:
        raise ValueError(f'encoders must be among {list(ENCODER_NAMES)}, got {list(encoders)}')
    if not seeds:
        raise ValueError('at least one seed is needed')
    if not memory_lens or any(L < 1 for L in memory_lens):
        raise ValueError(f'memory lengths must be >= 1, got {list(memory_lens)}')
    runs = []
    for seed in seeds:
        for encoder in encoders:
            options = {ATTN_MODE_KEY: encoder, 'randomness.seed': seed, **data_options(data_root),
                       **(budget_options or {}), **(cfg_options or {})}
            lens = tuple(sorted(set(memory_lens))) if encoder == 'stream' else (space_memory_len, )
            runs.append(Run(encoder, seed, lens, osp.join(work_dir, encoder, f'seed{seed}'), options))
    return runs


def read_sweep(path: str) -> Dict[int, Figures]:
    """{memory length: figures} of a memory_sweep.json; empty when the file does not exist."""
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return {int(length): figures for length, figures in json.load(f).items()}


def train_and_sweep(config: str, run: Run) -> dict:
    """Train ``run`` (unless its work dir holds the final checkpoint of the same config and options) and test
    it with each of its memory lengths (unless its sweep already has them all).

    Returns:
        ``sweep`` ({memory length: figures}), ``checkpoint``, ``train_s`` and ``test_s`` (seconds; 0 when
        reused).

    Raises:
        ValueError: the work dir holds a run of other settings (e.g. another budget).
    """
    from svm.experiments.memory_sweep import run_memory_sweep
    from svm.utils.runner import config_for_training, run_training
    train_dir = osp.join(run.work_dir, 'train')
    sweep_dir = osp.join(run.work_dir, 'memory_sweep')
    pointer = osp.join(train_dir, 'last_checkpoint')
    settings_file = osp.join(run.work_dir, 'run.json')
    settings = json.loads(json.dumps(dict(config=osp.abspath(config), cfg_options=run.cfg_options)))  # as stored
    if osp.isfile(settings_file):
        with open(settings_file) as f:
            if json.load(f) != settings:
                raise ValueError(f'{run.work_dir} holds a run of other settings than {settings} (see {settings_file}): '
                                 'choose another work dir')
    start = time.perf_counter()
    if not osp.isfile(pointer):
        os.makedirs(run.work_dir, exist_ok=True)
        with open(settings_file, 'w') as f:
            json.dump(settings, f, indent=2)
        run_training(config_for_training(config, dict(run.cfg_options), train_dir))
    train_s = time.perf_counter() - start
    with open(pointer) as f:
        checkpoint = f.read().strip()
    sweep = read_sweep(osp.join(sweep_dir, 'memory_sweep.json'))
    start = time.perf_counter()
    if not set(run.memory_lens) <= set(sweep):
        sweep = run_memory_sweep(config, checkpoint, run.memory_lens, sweep_dir, dict(run.cfg_options))
    return dict(sweep={L: sweep[L] for L in run.memory_lens}, checkpoint=checkpoint, train_s=train_s,
                test_s=time.perf_counter() - start)


def _train_and_sweep_quietly(config: str, run: Run, threads: int) -> dict:
    """:func:`train_and_sweep` in a worker process, its console output to ``<work_dir>/run.log``."""
    import contextlib

    import torch
    torch.set_num_threads(threads)
    os.makedirs(run.work_dir, exist_ok=True)
    with open(osp.join(run.work_dir, 'run.log'), 'a') as log, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        return train_and_sweep(config, run)


def format_duration(seconds: float) -> str:
    """``'1 h 02 min'``, ``'12.5 min'`` or ``'40 s'``."""
    if seconds >= 3600:
        return f'{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min'
    return f'{seconds / 60:.1f} min' if seconds >= 60 else f'{seconds:.0f} s'


def progress_line(done: int, total: int, elapsed: float, run: Run, run_s: float) -> str:
    """``run 2 of 6 done (space seed 0, 4.1 min): elapsed 8.3 min, ETA 16.6 min``; the ETA assumes that the
    runs left take as long as the ones done."""
    eta = elapsed / done * (total - done)
    return (f'run {done} of {total} done ({run.name}, {format_duration(run_s)}): elapsed {format_duration(elapsed)}, '
            f'ETA {format_duration(eta)}')


def run_all(config: str, runs: Sequence[Run], jobs: int = 1, threads: int = 1) -> Dict[Run, dict]:
    """Every run of ``runs`` (:func:`train_and_sweep`), ``jobs`` at a time, each on ``threads`` torch threads;
    prints a line as each starts (``jobs == 1``) or is submitted, and as each ends, with the elapsed time and
    an ETA. With ``jobs > 1`` the runs are separate processes writing their logs to ``<work_dir>/run.log``.

    Returns:
        {run: what :func:`train_and_sweep` returned}, in the order of ``runs``.
    """
    if jobs < 1:
        raise ValueError(f'jobs must be >= 1, got {jobs}')
    if not osp.isfile(config):  # before any worker starts
        raise FileNotFoundError(f'config {config} does not exist')
    start, results = time.perf_counter(), {}

    def report(run: Run, result: dict) -> None:
        results[run] = result
        print(progress_line(len(results), len(runs), time.perf_counter() - start, run,
                            result['train_s'] + result['test_s']), flush=True)

    if jobs == 1:
        import torch
        torch.set_num_threads(threads)
        for i, run in enumerate(runs, 1):
            print(f'\n=== run {i} of {len(runs)}: {run.name}, tested with memory {list(run.memory_lens)}\n'
                  f'$ {run.train_command(config)}', flush=True)
            report(run, train_and_sweep(config, run))
    else:
        import multiprocessing
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context('spawn')) as pool:
            futures = {}
            for i, run in enumerate(runs, 1):
                print(f'run {i} of {len(runs)} queued: {run.name} (log: {osp.join(run.work_dir, "run.log")})\n'
                      f'$ {run.train_command(config)}', flush=True)
                futures[pool.submit(_train_and_sweep_quietly, config, run, threads)] = run
            for future in as_completed(futures):
                run = futures[future]
                try:
                    result = future.result()
                except Exception as err:
                    for other in futures:  # the comparison is incomplete anyway: start no further run
                        other.cancel()
                    raise RuntimeError(f'{run.name} failed ({type(err).__name__}: {err}); its log: '
                                       f'{osp.join(run.work_dir, "run.log")}') from err
                report(run, result)
    return {run: results[run] for run in runs}


def mean_and_spread(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    """(mean, sample standard deviation); the spread is None for a single value (unknown, not zero)."""
    if not values:
        raise ValueError('no values to average')
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    return mean, math.sqrt(sum((v - mean)**2 for v in values) / (len(values) - 1))


def aggregate(sweeps: Mapping[str, Mapping[int, Mapping[int, Figures]]], memory_lens: Sequence[int],
              metrics: Sequence[str] = METRICS) -> Dict[str, Dict[int, dict]]:
    """Mean and spread over seeds, per encoder and memory length.

    Args:
        sweeps: {encoder: {seed: {tested memory length: figures}}}. An encoder tested with a single length
            (``space``, which has no memory) stands for every length of ``memory_lens``.
        memory_lens: the lengths of the comparison.

    Returns:
        {encoder: {memory length: {metric: {'mean', 'std', 'values'}, 'seeds': [...], 'tested_len': L}}}:
        ``std`` is the sample standard deviation over the seeds (None for one seed), ``values`` the figures
        per seed in ``seeds`` order, ``tested_len`` the memory length the figures were measured with.
    """
    table = {}
    for encoder, by_seed in sweeps.items():
        seeds = sorted(by_seed)
        tested = {tuple(sorted(by_seed[s])) for s in seeds}
        if len(tested) != 1:
            raise ValueError(f'{encoder}: the seeds were tested with different memory lengths: {sorted(tested)}')
        tested_lens = tested.pop()
        table[encoder] = {}
        for length in memory_lens:
            tested_len = tested_lens[0] if len(tested_lens) == 1 else length
            if tested_len not in tested_lens:
                raise ValueError(f'{encoder} was not tested with memory length {length} (tested: {tested_lens})')
            entry = {'seeds': seeds, 'tested_len': tested_len}
            for metric in metrics:
                values = [float(by_seed[s][tested_len][metric]) for s in seeds]
                mean, std = mean_and_spread(values)
                entry[metric] = dict(mean=mean, std=std, values=values)
            table[encoder][length] = entry
    return table


def format_cell(stat: Mapping, metric: str) -> str:
    """``'61.3 ± 1.2'`` (rates in percent, IDSW as a count), ``'61.3'`` without a spread."""
    scale, digits = (100, 1) if metric in RATES else (1, 1)
    text = f'{scale * stat["mean"]:.{digits}f}'
    return text if stat['std'] is None else f'{text} ± {scale * stat["std"]:.{digits}f}'


def format_markdown(table: Mapping[str, Mapping[int, dict]], metrics: Sequence[str] = TABLE_METRICS) -> str:
    """The comparison as Markdown: HOTA per encoder and memory length, then every metric of ``metrics`` per
    encoder and length (mean ± sample standard deviation over the seeds; rates in percent)."""
    lengths = list(next(iter(table.values())))
    seeds = next(iter(next(iter(table.values())).values()))['seeds']
    flat = [e for e, rows in table.items() if len({r['tested_len'] for r in rows.values()}) == 1 and len(lengths) > 1]
    lines = [f'HOTA (%), mean ± standard deviation over {len(seeds)} training seed(s) {seeds}:', '',
             markdown_table(['encoder', *(f'L = {L}' for L in lengths)],
                            [[ENCODER_NAMES[encoder], *(format_cell(rows[L]['HOTA'], 'HOTA') for L in lengths)]
                             for encoder, rows in table.items()]), '',
             markdown_table(['encoder', 'L', *(m + (' (%)' if m in RATES else '') for m in metrics)],
                            [[ENCODER_NAMES[encoder], L, *(format_cell(row[m], m) for m in metrics)]
                             for encoder, rows in table.items() for L, row in rows.items()])]
    for encoder in flat:
        tested = next(iter(table[encoder].values()))['tested_len']
        lines += ['', f'{ENCODER_NAMES[encoder]} has no memory: tested once (memory_len={tested}, unused), the same '
                  'figures stand for every L.']
    return '\n'.join(lines)


def plot_comparison(table: Mapping[str, Mapping[int, dict]], out: str, metrics: Sequence[str] = PLOTTED,
                    title: Optional[str] = None) -> None:
    """One panel per metric (HOTA first) against the memory length (log scale), one line per encoder with
    error bars of one standard deviation over the seeds; an encoder without memory is a dashed flat line.
    Written to the PNG ``out``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(4.2 * len(metrics), 3.6), dpi=120)
    FigureCanvasAgg(fig)
    for k, metric in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), k + 1)
        for encoder, rows in table.items():
            lengths = list(rows)
            means = [100 * rows[L][metric]['mean'] for L in lengths]
            stds = [100 * (rows[L][metric]['std'] or 0.0) for L in lengths]
            flat = len({rows[L]['tested_len'] for L in lengths}) == 1 and len(lengths) > 1
            label = ENCODER_NAMES[encoder] + (' (no memory)' if flat else '')
            ax.errorbar(lengths, means, yerr=stds, marker='' if flat else 'o', capsize=3, label=label,
                        linestyle='--' if flat else '-')
        ax.set_xscale('log', base=2)
        ax.set_xticks(lengths, [str(L) for L in lengths])
        ax.set_xlabel('test-time memory length L (frames)')
        ax.set_ylabel(f'{metric} (%)')
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(fontsize='small')
    fig.suptitle(title or 'Streaming vs frame-based S-ViT tracker (mean ± std over seeds)')
    fig.tight_layout()
    fig.savefig(out)


def ensure_hard_benchmark(data_root: str, seed: int = 0, **options) -> bool:
    """Generate and convert the ``hard`` synthetic MOT benchmark under ``data_root`` unless its validation
    annotations are there (``options``: ``num_train``, ``num_val`` and :class:`SyntheticMOTConfig` fields,
    e.g. ``num_frames``); returns whether it generated."""
    if osp.isfile(osp.join(data_root, 'annotations', 'val_cocoformat.json')):
        print(f'using the benchmark already in {data_root}', flush=True)
        return False
    from svm.datasets.synthetic.mot import convert_mot_benchmark, preset_config, write_mot_benchmark
    counts = {key: options.pop(key) for key in ('num_train', 'num_val') if key in options}
    print(f'generating the hard synthetic MOT benchmark in {data_root} (seed {seed}, {counts or "default sizes"}'
          f'{", " + str(options) if options else ""})', flush=True)
    write_mot_benchmark(data_root, seed=seed, cfg=preset_config('hard', **options), **counts)
    convert_mot_benchmark(data_root)
    return True


def t2d_gate_statistics(checkpoint: str) -> Dict[str, object]:
    """How far S-ViT's T2D gates moved in training (they start at ``alpha_init``, 1e-4 by default), i.e. how much
    the temporal branch contributes: ``block_means`` (mean |alpha| of each block, in the model's order),
    ``mean`` (of those) and ``max`` (the largest |alpha| of any channel).

    Raises:
        ValueError: the checkpoint holds no T2D gate (no key ending in ``.t2d_alpha``).
    """
    from svm.utils.checkpoint import load_checkpoint_file
    state = load_checkpoint_file(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    gates = [value.float().abs() for key, value in state.items() if key.endswith('.t2d_alpha')]
    if not gates:
        raise ValueError(f'{checkpoint}: no T2D gate (no key ending in .t2d_alpha): not a streaming S-ViT')
    block_means = [gate.mean().item() for gate in gates]
    return dict(block_means=block_means, mean=sum(block_means) / len(block_means),
                max=max(gate.max().item() for gate in gates))


def format_gates(gates: Mapping[int, Mapping[str, object]]) -> str:
    """One line on the T2D gates of the streaming runs, {seed: :func:`t2d_gate_statistics`}."""
    means = [float(gates[seed]['mean']) for seed in sorted(gates)]
    largest = [float(gates[seed]['max']) for seed in sorted(gates)]
    mean, std = mean_and_spread(means)
    spread = '' if std is None else f' ± {std:.3f}'
    return (f'T2D gate |alpha| after training (streaming runs; it starts at alpha_init): mean over blocks and channels '
            f'{mean:.3f}{spread} over seeds {sorted(gates)} (per seed {", ".join(f"{m:.3f}" for m in means)}), '
            f'largest {min(largest):.2f}-{max(largest):.2f}.')


def compare_stream_space(work_dir: str, data_root: str, config: str = CONFIG, seeds: Sequence[int] = DEFAULT_SEEDS,
                         memory_lens: Sequence[int] = DEFAULT_MEMORY_LENS,
                         encoders: Sequence[str] = ('stream', 'space'), epochs: Optional[int] = None,
                         jobs: int = 1, threads: int = 1, cfg_options: Optional[Mapping[str, object]] = None) -> dict:
    """Plan (:func:`plan_runs`), run (:func:`run_all`) and aggregate (:func:`aggregate`) the comparison on the
    benchmark under ``data_root`` (generated beforehand: :func:`ensure_hard_benchmark`); ``epochs``: the budget
    of every run (default: the config's).

    Writes ``<work_dir>/stream_vs_space.json`` (the table, every run's figures, times and settings),
    ``stream_vs_space.md`` (:func:`format_markdown`) and ``stream_vs_space.png`` (:func:`plot_comparison`).

    Returns:
        what the json holds.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    epochs = epochs or cfg.train_cfg.max_epochs
    runs = plan_runs(work_dir, data_root, seeds, memory_lens, encoders, epoch_options(cfg.param_scheduler, epochs),
                     cfg_options)
    print(f'{len(runs)} runs ({", ".join(encoders)} x seeds {list(seeds)}), {epochs} epochs each, '
          f'{jobs} at a time; memory lengths {sorted(set(memory_lens))}', flush=True)
    start = time.perf_counter()
    results = run_all(config, runs, jobs, threads)
    wall_s = time.perf_counter() - start
    sweeps: Dict[str, Dict[int, Dict[int, Figures]]] = {}
    for run, result in results.items():
        sweeps.setdefault(run.encoder, {})[run.seed] = result['sweep']
    lengths = sorted(set(memory_lens))
    table = aggregate(sweeps, lengths)
    gates = {run: t2d_gate_statistics(result['checkpoint'])
             for run, result in results.items() if run.encoder == 'stream'}
    markdown = format_markdown(table)
    if gates:
        markdown += '\n\n' + format_gates({run.seed: stats for run, stats in gates.items()})
    os.makedirs(work_dir, exist_ok=True)
    plot_comparison(table, osp.join(work_dir, 'stream_vs_space.png'))
    summary = dict(config=config, data_root=data_root, seeds=list(seeds), memory_lens=lengths, epochs=epochs,
                   jobs=jobs, threads=threads, wall_s=wall_s, cfg_options=dict(cfg_options or {}),
                   table={e: {str(L): row for L, row in rows.items()} for e, rows in table.items()},
                   runs=[dict(encoder=r.encoder, seed=r.seed, work_dir=r.work_dir, command=r.train_command(config),
                              checkpoint=res['checkpoint'], train_s=res['train_s'], test_s=res['test_s'],
                              sweep={str(L): f for L, f in res['sweep'].items()}, t2d_gate=gates.get(r))
                         for r, res in results.items()],
                   markdown=markdown)
    with open(osp.join(work_dir, 'stream_vs_space.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    with open(osp.join(work_dir, 'stream_vs_space.md'), 'w') as f:
        f.write(markdown + f'\n\nWall time: {format_duration(wall_s)} ({jobs} run(s) at a time).\n')
    return summary
