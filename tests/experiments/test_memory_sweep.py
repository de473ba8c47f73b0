"""The memory-length sweep experiment (svm/experiments/memory_sweep.py, tools/experiments/memory_sweep.py): its
table and its plot, redrawn from the JSON by the same command (the sweep itself runs in
tests/tools/test_tiny_mot_end_to_end.py on a trained tiny tracker)."""
import json
import os.path as osp

import pytest

from svm.experiments.memory_sweep import default_plot_path, format_table, load_sweep, plot_sweep
from helpers import run_tool


def test_plot_memory_sweep(tmp_path):
    sweep = {str(L): dict(HOTA=0.4 + 0.01 * L, MOTA=0.5, IDF1=0.6, IDSW=3) for L in (1, 2, 4, 8)}
    path = tmp_path / 'memory_sweep.json'
    path.write_text(json.dumps(sweep))
    out = default_plot_path(str(path))
    plot_sweep(load_sweep(str(path)), out)
    assert out == str(tmp_path / 'memory_sweep.png') and osp.getsize(out) > 1000
    path.write_text(json.dumps({'x': {}}))
    with pytest.raises(ValueError, match='integer memory length'):
        load_sweep(str(path))


def test_table_is_markdown_with_rates_in_percent():
    table = format_table({1: dict(HOTA=0.5, MOTA=0.25, IDF1=0.125, DetA=0.5, AssA=0.5, IDSW=7)})
    assert table.splitlines() == ['| memory_len | HOTA | MOTA | IDF1 | DetA | AssA | IDSW |',
                                  '|---|---|---|---|---|---|---|', '| 1 | 50.00 | 25.00 | 12.50 | 50.00 | 50.00 | 7 |']


def test_command_replots_a_sweep(tmp_path):
    sweep = {str(L): dict(HOTA=0.4, MOTA=0.5, IDF1=0.6) for L in (1, 4)}
    path = tmp_path / 'memory_sweep.json'
    path.write_text(json.dumps(sweep))
    proc = run_tool(['python', 'tools/experiments/memory_sweep.py', '--replot', path, '--out', tmp_path / 'p.png'])
    assert f'wrote {tmp_path / "p.png"}' in proc.stdout and osp.getsize(tmp_path / 'p.png') > 1000
    refused = run_tool(['python', 'tools/experiments/memory_sweep.py', '--replot', path, 'some_config.py'],
                       check=False)
    assert refused.returncode == 2 and 'give no config or --checkpoint with it' in refused.stderr
    refused = run_tool(['python', 'tools/experiments/memory_sweep.py', 'some_config.py'], check=False)
    assert refused.returncode == 2 and 'a sweep needs the config and --checkpoint' in refused.stderr
