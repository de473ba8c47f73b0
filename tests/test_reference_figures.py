"""The documented figures move only on purpose: a short deterministic run of `make demo`'s pipeline is pinned.

A small synthetic MOT set, the demo config trained for a few epochs with `tools/train.py` on one thread (data
pipeline, model, losses, optimizer), and TrackEval's HOTA / MOTA / IDF1 of a seeded perturbation of its
validation ground truth (the scorer: TrackEval, SciPy's assignment, numpy): these figures repeat bit for bit
in the locked environment (requirements/locked_cpu.txt) on a CPU of the pinned capability. When a dependency, a kernel or
the code moves them, this test fails with the old and new values: then rerun the documented experiments
(`make demo` per seed with --write-reference, see docs/demo.md), update README, docs and
docs/figures/*.json in the same change, and rewrite the pins with

    SVM_UPDATE_REFERENCE_FIGURES=1 .venv/bin/python -m pytest tests/test_reference_figures.py

In an environment other than the lock's, or on another CPU capability, the figures are not expected to
repeat and the test is skipped, saying why.
"""
import json
import os
from pathlib import Path

import pytest

from svm.analysis.analyze_logs import load_json_log
from helpers import REPO_ROOT, run_tool
from svm.utils.reproducibility import describe_environment, environment

PINS = REPO_ROOT / 'tests' / 'data' / 'reference_figures.json'
CONFIG = 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-15e_synthetic-mot.py'
SIZE = dict(width=160, height=96, num_frames=24)  # multiples of 32 for the generator; two clips per sequence
EPOCHS = 3
UPDATE = os.environ.get('SVM_UPDATE_REFERENCE_FIGURES') == '1'


def run_figures(tmp_path: Path, seed: int = 0) -> dict:
    """Losses at every logged iteration and the test metrics of one short seeded run of the demo pipeline."""
    from svm.datasets.synthetic.mot import convert_mot_benchmark, preset_config, write_mot_benchmark
    data = tmp_path / 'data'
    write_mot_benchmark(str(data), seed=seed, num_train=2, num_val=1, cfg=preset_config('default', **SIZE))
    convert_mot_benchmark(str(data))
    data_options = [f'train_dataloader.dataset.dataset.datasets.0.data_root={data}',
                    f'val_dataloader.dataset.data_root={data}', f'test_dataloader.dataset.data_root={data}']
    work_dir = tmp_path / 'train'
    run_tool(['python', 'tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options', f'train_cfg.max_epochs={EPOCHS}',
              'default_hooks.logger.interval=12', f'randomness.seed={seed}', *data_options])
    scalars = load_json_log(str(next(work_dir.glob('*/vis_data/scalars.json'))))
    figures = {f'loss, iteration {record["iter"]}': record['loss'] for record in scalars if 'loss' in record}
    figures.update(score_perturbed_ground_truth(data / 'val', tmp_path / 'results', seed))
    return figures


def score_perturbed_ground_truth(gt_root: Path, result_dir: Path, seed: int) -> dict:
    """HOTA, MOTA, IDF1 and IDSW of the ground truth with boxes jittered, some dropped and some identities
    swapped (seeded): a tracker's typical errors, scored as tools/test.py scores (svm.evaluation)."""
    import numpy as np

    from svm.evaluation.mot_files import evaluate_mot_files
    rng = np.random.default_rng(seed)
    result_dir.mkdir()
    for gt_file in sorted(gt_root.glob('*/gt/gt.txt')):
        rows = np.loadtxt(gt_file, delimiter=',', ndmin=2)
        rows = rows[(rows[:, 6] > 0) & (rng.random(len(rows)) > 0.1)]
        rows[:, 2:6] += rng.normal(0, 2.0, (len(rows), 4))
        late = rows[:, 0] > rows[:, 0].max() / 2
        ids = np.unique(rows[:, 1])
        swapped = dict(zip(ids, np.roll(ids, 1)))  # halfway, every track takes the next one's identity
        rows[late, 1] = [swapped[i] for i in rows[late, 1]]
        rows[:, 6], rows[:, 7:] = 1, -1
        np.savetxt(result_dir / f'{gt_file.parent.parent.name}.txt', rows, fmt='%.4f', delimiter=',')
    metrics = evaluate_mot_files(str(result_dir), str(gt_root), print_results=False)['COMBINED']
    return {name: float(metrics[name]) for name in ('HOTA', 'MOTA', 'IDF1', 'IDSW')}


def moved(pinned: dict, measured: dict, rel: float = 1e-6) -> list:
    """The figures that differ, as 'name: pinned -> measured' lines (a figure missing on either side included)."""
    lines = []
    for name in sorted(set(pinned) | set(measured)):
        old, new = pinned.get(name), measured.get(name)
        if old is None or new is None or abs(old - new) > rel * max(abs(old), abs(new), 1e-12):
            lines.append(f'{name}: {old} -> {new}')
    return lines


def test_moved_names_each_changed_figure():
    pinned = {'HOTA': 0.5, 'loss, iteration 5': 2.0, 'IDSW': 3}
    assert moved(pinned, dict(pinned)) == []
    assert moved(pinned, {'HOTA': 0.5001, 'loss, iteration 5': 2.0, 'IDSW': 4}) == [
        'HOTA: 0.5 -> 0.5001', 'IDSW: 3 -> 4']
    assert moved(pinned, {'HOTA': 0.5, 'IDSW': 3}) == ['loss, iteration 5: 2.0 -> None']


def test_demo_pipeline_figures_are_the_pinned_ones(tmp_path):
    env = environment(threads=int(os.environ.get('OMP_NUM_THREADS', '1')))  # run_tool's, for the runs
    pins = json.loads(PINS.read_text()) if PINS.is_file() else None
    if not UPDATE:
        assert pins is not None, f'{PINS} is missing: write it with SVM_UPDATE_REFERENCE_FIGURES=1'
        if env['differs_from_lock']:
            pytest.skip(f'figures are pinned for {env["lock"]}; this environment differs: '
                        f'{describe_environment(env)}')
        if env['cpu_capability'] != pins['environment']['cpu_capability']:
            pytest.skip(f'figures are pinned on a CPU of capability {pins["environment"]["cpu_capability"]}, '
                        f'this one is {env["cpu_capability"]}: torch picks other kernels')
    figures = run_figures(tmp_path)
    assert sum(name.startswith('loss') for name in figures) >= 3 and 0 <= figures['HOTA'] <= 1
    if UPDATE:
        PINS.write_text(json.dumps(dict(environment=env, figures=figures), indent=2) + '\n')
        return
    changes = moved(pins['figures'], figures)
    assert not changes, (
        'the pinned figures of the demo pipeline moved (pinned -> now):\n  ' + '\n  '.join(changes) +
        f'\npinned in: {describe_environment(pins["environment"])}\nnow:       {describe_environment(env)}\n'
        'If the change is intended, rerun the documented experiments, update the docs and docs/figures/*.json, '
        'and rewrite the pins (see this file\'s docstring).')
