"""tools/analysis_tools/analyze_logs.py and svm/analysis/analyze_logs.py on json logs in mmengine's format."""
import json

import numpy as np
import pytest

from svm.analysis.analyze_logs import (curve, format_train_time, latest_test_metrics, load_json_log,
                                       load_json_logs, match_keys, plot_curves, train_time_stats)
from helpers import run_tool


def write_log(path, epochs=3, iters_per_epoch=4, interval=2, base_time=0.5):
    """An epoch-based run as mmengine logs it: a training line every ``interval`` iterations (time = the
    window's mean), a validation line (step = epoch) after every epoch."""
    lines, it = [], 0
    for epoch in range(1, epochs + 1):
        for i in range(interval, iters_per_epoch + 1, interval):
            it = (epoch - 1) * iters_per_epoch + i
            first = i == interval
            lines.append(dict(lr=0.01 / epoch, loss=10. / it, loss_cls=5. / it, data_time=0.01,
                              time=base_time * epoch + (10. if first else 0.), epoch=epoch, iter=it, step=it))
        lines.append({'motchallenge-metric/HOTA': 0.2 * epoch, 'motchallenge-metric/MOTA': 0.1 * epoch,
                      'data_time': 0.02, 'time': 0.3, 'step': epoch})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(line) + '\n' for line in lines) + '\n')
    return path


def test_curves_and_keys(tmp_path):
    records = load_json_log(write_log(tmp_path / 'run.json'))
    assert match_keys(records, 'HOTA') == ['motchallenge-metric/HOTA']
    assert match_keys(records, 'loss') == ['loss']
    x, y, label = curve(records, 'loss')
    assert label == 'iter' and x.tolist() == [2, 4, 6, 8, 10, 12] and y[0] == pytest.approx(5.)
    x, y, label = curve(records, 'motchallenge-metric/HOTA')
    assert label == 'epoch' and x.tolist() == [1, 2, 3] and np.allclose(y, [0.2, 0.4, 0.6])
    x, _, _ = curve(records, 'time')  # logged in training and validation: the training curve
    assert x.tolist() == [2, 4, 6, 8, 10, 12]


def test_train_time_known_answer(tmp_path):
    records = load_json_log(write_log(tmp_path / 'run.json'))
    # each epoch: lines at its 2nd and 4th iteration, time = 0.5 * epoch (+10 s for the epoch's first line)
    stats = train_time_stats(records)
    assert stats['per_epoch_s_per_iter'] == pytest.approx({1: 0.5, 2: 1.0, 3: 1.5})
    assert stats['slowest_epoch'] == 3 and stats['fastest_epoch'] == 1
    assert stats['s_per_iter'] == pytest.approx(1.0) and stats['std_over_epochs'] == pytest.approx(np.std([.5, 1, 1.5]))
    assert stats['iters'] == 12
    assert stats['estimated_total_s'] == pytest.approx(2 * sum(2 * (0.5 * e) + 10 for e in (1, 2, 3)))
    with_outliers = train_time_stats(records, include_outliers=True)
    assert with_outliers['per_epoch_s_per_iter'][1] == pytest.approx(5.5)


def test_plot_curve_tool(tmp_path):
    """The command line: one panel per key, the points of each curve printed, the image written."""
    log_a = write_log(tmp_path / 'work_a' / '20260101_000000' / 'vis_data' / '20260101_000000.json')
    log_b = write_log(tmp_path / 'b.json', epochs=2)
    out = tmp_path / 'curves.png'
    proc = run_tool(['python', 'tools/analysis_tools/analyze_logs.py', 'plot_curve', log_a, log_b, '--keys', 'loss',
                     'lr', 'HOTA', '--out', out])
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert 'loss: work_a/20260101_000000 (6 points), b (4 points)' in proc.stdout
    assert 'HOTA: work_a/20260101_000000 (3 points), b (2 points)' in proc.stdout
    assert f'wrote {out}' in proc.stdout


def test_plot_curves_counts_points_and_names_missing_keys(tmp_path):
    log_a = write_log(tmp_path / 'work_a' / '20260101_000000' / 'vis_data' / '20260101_000000.json')
    logs = load_json_logs([str(log_a), str(write_log(tmp_path / 'b.json', epochs=2))])
    assert list(logs) == ['work_a/20260101_000000', 'b']
    counts = plot_curves(logs, ['loss', 'lr', 'HOTA'], str(tmp_path / 'curves.png'))
    assert counts['loss'] == {'work_a/20260101_000000': 6, 'b': 4}
    assert counts['HOTA'] == {'work_a/20260101_000000': 3, 'b': 2}
    with pytest.raises(KeyError, match=r"no log has the key 'mAP'.*loss_cls.*motchallenge-metric/HOTA"):
        plot_curves({'b': logs['b']}, ['mAP'], str(tmp_path / 'curves.png'))
    assert list(load_json_logs([str(tmp_path / 'b.json')] * 2)) == ['b (0)', 'b (1)']  # repeated labels
    with pytest.raises(ValueError, match='1 labels for 2 logs'):
        load_json_logs([str(tmp_path / 'b.json')] * 2, ['only one'])


def test_cal_train_time_report(tmp_path):
    logs = load_json_logs([str(write_log(tmp_path / 'run.json'))])
    stats = train_time_stats(logs['run'])
    assert stats['s_per_iter'] == pytest.approx(1.0)
    out = format_train_time('run', stats)
    assert 'slowest epoch 3, average time is 1.5000 s/iter' in out and 'average iter time: 1.0000 s/iter' in out


def test_latest_test_metrics(tmp_path):
    with pytest.raises(FileNotFoundError, match='no test results'):
        latest_test_metrics(str(tmp_path))
    for stamp, hota in (('20260101_000000', 0.5), ('20260102_000000', 0.6)):
        (tmp_path / stamp).mkdir()
        (tmp_path / stamp / f'{stamp}.json').write_text(json.dumps({'motchallenge-metric/HOTA': hota}))
    (tmp_path / '20260102_000000' / 'other.json').write_text('{}')  # not a run's metrics file
    assert latest_test_metrics(str(tmp_path)) == {'HOTA': 0.6}


def test_bad_log_lines_are_named(tmp_path):
    path = tmp_path / 'bad.json'
    path.write_text('{"loss": 1, "iter": 1, "step": 1}\n{"loss": 2, "iter"\n')
    with pytest.raises(ValueError, match=r'bad.json:2: not a json object'):
        load_json_log(str(path))
    path.write_text('\n')
    with pytest.raises(ValueError, match='no records'):
        load_json_log(str(path))
