"""tools/analysis_tools/compare_encoders.py and plot_memory_sweep.py on tiny inputs."""
import importlib.util
import json
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, 'tools', 'analysis_tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compare_encoders_end_to_end_tiny(tmp_path, capsys):
    """One epoch on a generated 12-video benchmark: the table, JSON and PNG are written; the frame-based and
    clip-based encoders (no temporal position anywhere) give exactly the same scores for a video played
    backwards, while the streaming encoder's causal memory makes its scores depend on the order."""
    compare = _load('compare_encoders')
    work = tmp_path / 'work'
    results = compare.main(['--data-root', str(tmp_path / 'data'), '--num-train', '2', '--num-val', '1',
                            '--epochs', '1', '--latency-frames', '10', '--work-dir', str(work)])
    assert set(results) == {'space', 'stream', 'clip'}
    assert osp.isfile(tmp_path / 'data' / 'train_list.txt')
    for mode, r in results.items():
        assert 0 <= r['top1'] <= 100 and r['top1'] == pytest.approx(r['top1_recomputed'])
        assert len(r['ms_per_frame']) == 10 and r['gflops_per_video'] > 0
    assert results['space']['max_score_change_reversed'] < 1e-4
    assert results['clip']['max_score_change_reversed'] < 1e-4
    assert results['stream']['max_score_change_reversed'] > 1e-4
    assert results['space']['order_sensitivity'] == 0 and results['clip']['order_sensitivity'] == 0
    # streaming costs more than the frame-based encoder per video, the clip-based one more still
    flops = {m: r['gflops_per_video'] for m, r in results.items()}
    assert flops['space'] < flops['stream'] < flops['clip']
    saved = json.load(open(work / 'compare_encoders.json'))
    assert saved['chance'] == pytest.approx(0.5)
    assert osp.getsize(work / 'latency_along_video.png') > 1000
    assert '| streaming (S-ViT) |' in capsys.readouterr().out


def test_plot_memory_sweep(tmp_path):
    plot = _load('plot_memory_sweep')
    sweep = {str(L): dict(HOTA=0.4 + 0.01 * L, MOTA=0.5, IDF1=0.6, IDSW=3) for L in (1, 2, 4, 8)}
    path = tmp_path / 'memory_sweep.json'
    path.write_text(json.dumps(sweep))
    out = plot.main([str(path)])
    assert out == str(tmp_path / 'memory_sweep.png') and osp.getsize(out) > 1000
    path.write_text(json.dumps({'x': {}}))
    with pytest.raises(ValueError, match='integer memory length'):
        plot.main([str(path)])
