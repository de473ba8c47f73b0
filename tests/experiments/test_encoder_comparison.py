"""The encoder comparison experiment (svm/experiments/encoder_comparison.py, tools/experiments/encoder_comparison.py)
on tiny inputs."""
import json
import os.path as osp

import pytest

from svm.experiments.encoder_comparison import CONFIGS as CONFIG_PATHS
from svm.experiments.encoder_comparison import compare_encoders
from helpers import REPO_ROOT

CONFIGS = {mode: str(REPO_ROOT / path) for mode, path in CONFIG_PATHS.items()}


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
    saved = json.load(open(work / 'encoder_comparison.json'))
    assert saved['chance'] == pytest.approx(0.5)
    assert osp.getsize(work / 'latency_along_video.png') > 1000
    assert '| streaming (S-ViT) |' in summary['table'] and saved['table'] == summary['table']
