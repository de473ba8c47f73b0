"""The streaming vs frame-based comparison on the hard synthetic MOT set
(tools/experiments/stream_vs_space.py): its planning and aggregation on known numbers, and a dry run of the
whole pipeline (generate, train, test over memory lengths, table, plot) at the smallest size."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from svm.experiments.stream_vs_space import (ATTN_MODE_KEY, CONFIG, Run, aggregate, data_options, epoch_options,
                                          format_cell, format_gates, format_markdown, mean_and_spread, plan_runs,
                                          progress_line, t2d_gate_statistics)
from helpers import REPO_ROOT


def _figures(hota, assa=0.5, idf1=0.5, idsw=3.0):
    return dict(HOTA=hota, AssA=assa, IDF1=idf1, IDSW=idsw, DetA=0.5, MOTA=0.5)


def test_mean_and_spread_on_known_numbers():
    assert mean_and_spread([1.0, 2.0, 3.0, 4.0]) == pytest.approx((2.5, math.sqrt(5 / 3)))  # sample std (n - 1)
    assert mean_and_spread([0.25, 0.25]) == (0.25, 0.0)
    assert mean_and_spread([0.7]) == (0.7, None)  # one seed: the spread is unknown, not zero
    with pytest.raises(ValueError, match='no values'):
        mean_and_spread([])


def test_aggregate_over_seeds_and_memory_lengths():
    sweeps = {
        'stream': {0: {1: _figures(0.40, idsw=10), 4: _figures(0.50, idsw=6)},
                   1: {1: _figures(0.44, idsw=12), 4: _figures(0.54, idsw=8)},
                   2: {1: _figures(0.42, idsw=14), 4: _figures(0.58, idsw=4)}},
        'space': {0: {1: _figures(0.30)}, 1: {1: _figures(0.36)}, 2: {1: _figures(0.33)}},
    }
    table = aggregate(sweeps, [1, 4])
    stream, space = table['stream'], table['space']
    assert stream[1]['HOTA']['mean'] == pytest.approx(0.42) and stream[1]['HOTA']['std'] == pytest.approx(0.02)
    assert stream[4]['HOTA']['mean'] == pytest.approx(0.54) and stream[4]['HOTA']['std'] == pytest.approx(0.04)
    assert stream[1]['IDSW']['mean'] == pytest.approx(12) and stream[1]['IDSW']['std'] == pytest.approx(2)
    assert stream[4]['HOTA']['values'] == [0.50, 0.54, 0.58] and stream[4]['seeds'] == [0, 1, 2]
    assert [stream[L]['tested_len'] for L in (1, 4)] == [1, 4]
    # the frame-based encoder was tested once: the same figures at every memory length
    assert space[1] == space[4] and space[4]['tested_len'] == 1
    assert space[4]['HOTA']['mean'] == pytest.approx(0.33) and space[4]['HOTA']['std'] == pytest.approx(0.03)

    assert format_cell(stream[4]['HOTA'], 'HOTA') == '54.0 ± 4.0'
    assert format_cell(stream[1]['IDSW'], 'IDSW') == '12.0 ± 2.0'
    markdown = format_markdown(table)
    assert '| streaming (S-ViT) | 42.0 ± 2.0 | 54.0 ± 4.0 |' in markdown
    assert '| frame-based (space) | 33.0 ± 3.0 | 33.0 ± 3.0 |' in markdown
    assert '| streaming (S-ViT) | 4 | 54.0 ± 4.0 | 50.0 ± 0.0 | 50.0 ± 0.0 | 6.0 ± 2.0 |' in markdown
    assert 'frame-based (space) has no memory: tested once (memory_len=1' in markdown


def test_aggregate_refuses_inconsistent_sweeps():
    with pytest.raises(ValueError, match='different memory lengths'):
        aggregate({'stream': {0: {1: _figures(0.4), 2: _figures(0.4)}, 1: {1: _figures(0.4)}}}, [1, 2])
    with pytest.raises(ValueError, match='not tested with memory length 8'):
        aggregate({'stream': {0: {1: _figures(0.4), 2: _figures(0.4)}}}, [1, 8])


def test_runs_differ_only_in_encoder_and_seed(tmp_path):
    from mmengine.config import Config
    from svm.utils.config_checks import check_override_keys
    cfg = Config.fromfile(str(REPO_ROOT / CONFIG))
    budget = epoch_options(cfg.param_scheduler, 5)
    assert budget == {'train_cfg.max_epochs': 5, 'train_cfg.val_interval': 5, 'train_cfg.val_begin': 6,
                      'default_hooks.checkpoint.interval': 5, 'param_scheduler.1.end': 5, 'param_scheduler.1.T_max': 4}
    runs = plan_runs(str(tmp_path), 'data/elsewhere', seeds=[0, 1], memory_lens=[4, 1, 4], budget_options=budget)
    assert [(r.encoder, r.seed) for r in runs] == [('stream', 0), ('space', 0), ('stream', 1), ('space', 1)]
    assert runs[0].memory_lens == (1, 4) and runs[1].memory_lens == (1, )
    assert runs[3].work_dir == str(tmp_path / 'space' / 'seed1')
    for run in runs:
        others = {k: v for k, v in run.cfg_options.items() if k not in (ATTN_MODE_KEY, 'randomness.seed')}
        assert others == {k: v for k, v in runs[0].cfg_options.items() if k not in (ATTN_MODE_KEY, 'randomness.seed')}
        assert f'{ATTN_MODE_KEY}={run.encoder}' in run.train_command(CONFIG)
        check_override_keys(cfg, run.cfg_options)  # every key takes effect
    merged = Config.fromfile(str(REPO_ROOT / CONFIG))
    merged.merge_from_dict(dict(runs[1].cfg_options))
    assert merged.model.detector.backbone.attn_mode == 'space' and merged.randomness.seed == 0
    assert merged.train_dataloader.dataset.dataset.datasets[0].data_root == 'data/elsewhere/'
    assert merged.test_dataloader.dataset.data_root == merged.val_dataloader.dataset.data_root == 'data/elsewhere/'
    assert merged.param_scheduler[1].end == 5 and merged.train_cfg.max_epochs == 5
    assert data_options('x') == data_options('x/')

    with pytest.raises(ValueError, match='encoders must be among'):
        plan_runs(str(tmp_path), 'd', encoders=['clip'])
    with pytest.raises(ValueError, match='memory lengths must be >= 1'):
        plan_runs(str(tmp_path), 'd', memory_lens=[0, 2])
    with pytest.raises(ValueError, match='epochs must be >= 2'):
        epoch_options(cfg.param_scheduler, 1)


def test_t2d_gate_statistics_of_a_checkpoint(tmp_path):
    state = {'detector.backbone.blocks.0.attn.t2d_alpha': torch.tensor([0.1, -0.3]),
             'detector.backbone.blocks.0.attn.in_proj.weight': torch.ones(2, 2),
             'detector.backbone.blocks.1.attn.t2d_alpha': torch.tensor([0.0, 0.2])}
    torch.save(dict(state_dict=state, meta=dict(epoch=1)), tmp_path / 'stream.pth')
    stats = t2d_gate_statistics(str(tmp_path / 'stream.pth'))
    assert stats['block_means'] == pytest.approx([0.2, 0.1])  # |alpha|, in the model's block order
    assert stats['mean'] == pytest.approx(0.15) and stats['max'] == pytest.approx(0.3)
    line = format_gates({0: stats, 1: dict(stats, mean=0.25, max=0.5)})
    assert '0.200 ± 0.071 over seeds [0, 1] (per seed 0.150, 0.250), largest 0.30-0.50' in line
    torch.save(dict(state_dict={'detector.backbone.blocks.0.attn.in_proj.weight': torch.ones(2, 2)}),
               tmp_path / 'space.pth')
    with pytest.raises(ValueError, match='space.pth: no T2D gate'):
        t2d_gate_statistics(str(tmp_path / 'space.pth'))


def test_progress_line_estimates_the_time_left():
    run = Run('space', 2, (1, ), 'w', {})
    assert progress_line(2, 6, 600.0, run, 250.0) == \
        'run 2 of 6 done (space seed 2, 4.2 min): elapsed 10.0 min, ETA 20.0 min'


def test_bad_runs_are_refused_before_any_starts(tmp_path):
    from svm.experiments.stream_vs_space import run_all
    runs = plan_runs(str(tmp_path), 'data/none', seeds=[0], memory_lens=[1])
    with pytest.raises(ValueError, match='jobs must be >= 1'):
        run_all(str(REPO_ROOT / CONFIG), runs, jobs=0)
    with pytest.raises(FileNotFoundError, match='missing_config.py does not exist'):
        run_all(str(tmp_path / 'missing_config.py'), runs, jobs=2)
    assert not (tmp_path / 'stream').exists()


def _val_gt_rows(data_root: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in (data_root / 'val').glob('*/gt/gt.txt'))


def test_dry_run_end_to_end(tmp_path):
    """tools/experiments/stream_vs_space.py at the smallest size: 1 seed, 2 memory lengths, 2 epochs of 2
    iterations, one 8-frame validation sequence; two runs side by side (--jobs 2)."""
    pytest.importorskip('cv2')
    from svm.analysis.analyze_logs import latest_test_metrics
    from svm.datasets.synthetic.mot import convert_mot_benchmark, preset_config, write_mot_benchmark
    data_root, work_dir = tmp_path / 'hard', tmp_path / 'work'
    write_mot_benchmark(str(data_root), seed=0, num_train=1, num_val=1,
                        cfg=preset_config('hard', width=160, height=96, num_frames=8, obj_height=(24.0, 48.0)))
    convert_mot_benchmark(str(data_root))
    env = dict(os.environ, OMP_NUM_THREADS='1')
    done = subprocess.run(
        [sys.executable, 'tools/experiments/stream_vs_space.py', '--data-root', str(data_root), '--seeds', '0',
         '--memory-lens', '1', '2', '--epochs', '2', '--jobs', '2', '--work-dir', str(work_dir)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert 'run 1 of 2 queued: stream seed 0' in done.stdout and 'run 2 of 2 done' in done.stdout
    assert 'ETA' in done.stdout

    summary = json.loads((work_dir / 'stream_vs_space.json').read_text())
    assert summary['seeds'] == [0] and summary['memory_lens'] == [1, 2] and summary['epochs'] == 2
    assert set(summary['table']) == {'stream', 'space'}
    gt_rows = _val_gt_rows(data_root)
    for run in summary['runs']:
        assert Path(run['checkpoint']).is_file() and run['train_s'] > 0 and run['test_s'] > 0
        for length, figures in run['sweep'].items():
            # the figures are what the test run's evaluator (TrackEval) logged, scored on this data's gt
            logged = latest_test_metrics(str(Path(run['work_dir']) / 'memory_sweep' / f'mem{length}'))
            assert {m: figures[m] for m in figures} == {m: pytest.approx(logged[m]) for m in figures}
            assert logged['CLR_TP'] + logged['CLR_FN'] == gt_rows > 0
            assert all(0 <= figures[m] <= 1 for m in ('HOTA', 'AssA', 'IDF1', 'DetA'))
            assert figures['IDSW'] >= 0 and figures['IDSW'] == int(figures['IDSW'])
    runs = {r['encoder']: r for r in summary['runs']}
    assert sorted(runs['stream']['sweep']) == ['1', '2'] and sorted(runs['space']['sweep']) == ['1']
    for encoder, rows in summary['table'].items():
        assert sorted(rows) == ['1', '2']
        for length, row in rows.items():
            tested = length if encoder == 'stream' else '1'
            assert row['tested_len'] == int(tested) and row['seeds'] == [0]
            for metric in ('HOTA', 'AssA', 'IDF1', 'IDSW'):
                assert row[metric]['std'] is None  # one seed
                assert row[metric]['mean'] == runs[encoder]['sweep'][tested][metric]
    markdown = (work_dir / 'stream_vs_space.md').read_text()
    hota = 100 * summary['table']['stream']['2']['HOTA']['mean']
    assert f'| streaming (S-ViT) | 2 | {hota:.1f} |' in markdown and 'Wall time:' in markdown
    # the streaming run's T2D gates, read from its checkpoint; the frame-based run has none
    assert runs['space']['t2d_gate'] is None
    gate = runs['stream']['t2d_gate']
    assert len(gate['block_means']) > 0 and gate['max'] >= gate['mean'] > 0
    assert 'T2D gate |alpha| after training' in markdown
    assert (work_dir / 'stream_vs_space.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert np.isfinite(summary['wall_s']) and summary['wall_s'] > 0

    # run again: every run is reused (nothing trained or tested), the same table; another budget is refused
    from svm.experiments.stream_vs_space import compare_stream_space
    again = compare_stream_space(str(work_dir), str(data_root), config=str(REPO_ROOT / CONFIG), seeds=[0],
                                 memory_lens=[1, 2], epochs=2)
    assert again['table'] == summary['table'] and all(r['train_s'] < 1 and r['test_s'] < 1 for r in again['runs'])
    with pytest.raises(ValueError, match='holds a run of other settings'):
        compare_stream_space(str(work_dir), str(data_root), config=str(REPO_ROOT / CONFIG), seeds=[0], memory_lens=[1],
                             epochs=3)
