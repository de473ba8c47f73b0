"""svm/analysis/encoder_comparison.py (tools/analysis_tools/compare_encoders.py) and the memory-sweep plot
(svm/analysis/memory_sweep.py, plot_memory_sweep.py) on tiny inputs."""
import json
import os.path as osp

import pytest

from svm.analysis.encoder_comparison import compare_encoders
from svm.analysis.memory_sweep import default_plot_path, load_sweep, plot_sweep
from svm.testing import REPO_ROOT

CONFIGS = {mode: str(REPO_ROOT / f'configs/recognition/svm/synthetic_{mode}-tiny_8x1x1_order-actions.py')
           for mode in ('space', 'stream', 'clip')}


def test_compare_encoders_end_to_end_tiny(tmp_path):
    """One epoch on a generated 12-video benchmark: the table, JSON and PNG are written; the frame-based and
    clip-based encoders (no temporal position anywhere) give exactly the same scores for a video played
    backwards, while the streaming encoder's causal memory makes its scores depend on the order."""
    work = tmp_path / 'work'
    summary = compare_encoders(CONFIGS, str(work), str(tmp_path / 'data'), num_train=2, num_val=1, epochs=1,
                               latency_frames=10)
    results = summary['results']
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
    assert '| streaming (S-ViT) |' in summary['table'] and saved['table'] == summary['table']


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
