"""svm/analysis/backbone_benchmark.py (tools/analysis_tools/benchmark_backbone.py, and the latency step of
compare_encoders.py) and svm/analysis/online_recognition_benchmark.py (benchmark_online_recognition.py) on
tiny models."""
import pytest
import torch

from svm.analysis.backbone_benchmark import (EncoderSpec, encoder_step, format_tables, latency_along_video,
                                             latency_runs, training_run)
from svm.analysis.online_recognition_benchmark import benchmark_online_recognition, format_table, time_summary
from svm.analysis.timing import memory_frames
from svm.testing import REPO_ROOT

TINY = EncoderSpec(arch='tiny', memory_len=3)


def test_each_encoder_produces_frame_t_as_it_arrives():
    """'clip' re-encodes the window of the last clip_len frames (its features: one per frame of the window),
    'space' and 'stream' encode frame t alone."""
    video = torch.randn(1, 5, 3, 32, 32)
    with torch.no_grad():
        for mode, frames_out in (('space', 1), ('stream', 1), ('clip', 3)):
            encoder = TINY.build(mode).eval()
            tokens = encoder_step(encoder, video, 4, clip_len=3)[-1]
            assert tokens.shape[0] == frames_out, mode
        clip = TINY.build('clip').eval()
        assert encoder_step(clip, video, 1, clip_len=3)[-1].shape[0] == 2  # frames 0 and 1: the video so far


def test_latency_along_a_video_taking_turns():
    encoders = {mode: TINY.build(mode) for mode in ('space', 'stream', 'clip')}
    measured = latency_along_video(encoders, torch.randn(1, 5, 3, 32, 32), clip_len=3, warmup=2)
    assert set(measured) == {'space', 'stream', 'clip'}
    for result in measured.values():
        assert len(result['ms_per_frame']) == 5 and all(ms > 0 for ms in result['ms_per_frame'])
        assert result['peak_mib'] > 0  # CPU: the process's peak RSS
    assert memory_frames(encoders['stream']) == 3  # reset after the warm-up, then the 5 frames of the video


def test_latency_runs_and_training_run_tables():
    latency = latency_runs(TINY, ['space', 'stream'], torch.randn(1, 5, 3, 32, 32), warmup=1)
    stream = next(r for r in latency if r['attn_mode'] == 'stream')
    assert stream['steady_from_frame'] == 2 and len(stream['ms_per_frame']) == 5
    assert stream['steady_median_ms'] <= stream['steady_max_ms'] and stream['memory_buffers_mib'] > 0
    training = training_run(TINY, train_frames=2, train_iters=1, img_size=32)
    # parallel mode (causal mask) and frame by frame give the same gradients
    assert training['max_grad_diff'] <= 1e-4 * training['max_grad'] and training['speedup'] > 0
    tables = format_tables(TINY, 32, 5, 'cpu', 'fp32', latency, training)
    assert '| stream |' in tables and 'x space (median)' in tables and "Training 'stream' on a 2-frame clip" in tables


def test_time_summary():
    summary = time_summary([0.001, 0.002, 0.003, 0.004])
    assert summary['mean_ms'] == pytest.approx(2.5) and summary['p95_ms'] == pytest.approx(4.0)
    assert summary['slope_ms_per_frame'] == pytest.approx(1.0)


def test_online_recognition_benchmark_on_the_toy_config():
    from svm.apis import OnlineRecognizer
    online = OnlineRecognizer.from_config(str(REPO_ROOT / 'configs/recognition/svm/svm_stream-tiny_8x1x1_toy-rgb.py'))
    with pytest.raises(ValueError, match='longer than the window of 8 frames'):
        benchmark_online_recognition(online, 8, (40, 56))
    result = benchmark_online_recognition(online, 10, (40, 56))
    assert result['window'] == 8 and result['window_frames_held'] == 8 and result['encoder_memory_frames'] == 8
    for name in ('streaming', 're_encoding'):
        assert result[name]['filling']['mean_ms'] > 0 and result[name]['steady']['p95_ms'] > 0
    table = format_table(result, 'toy')
    assert '| streaming |' in table and '| re_encoding |' in table and 'steady re-encoding / streaming' in table
