"""svm/benchmark/backbone.py (``tools/analysis_tools/benchmark.py backbone``, the backbone part of the GPU report
and the latency step of the encoder comparison) on tiny encoders."""
import torch

from svm.benchmark.backbone import (EncoderSpec, encoder_step, format_tables, latency_along_video, latency_runs,
                                    training_run)
from svm.benchmark.gpu_report import BackboneReportSpec, backbone_rows
from svm.benchmark.timing import memory_frames

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
    latency = latency_runs(TINY, ['space', 'stream', 'clip'], torch.randn(1, 5, 3, 32, 32), clip_len=2, warmup=1,
                           clip_frames=4)
    space, stream, clip = latency
    assert [row['mode'] for row in latency] == ['space', 'stream', 'clip']
    assert stream['steady_from_frame'] == 2 and len(stream['ms_per_frame']) == stream['frames'] == 5
    assert clip['steady_from_frame'] == 1 and clip['frames'] == 4  # clip_frames
    assert stream['median_ms'] <= stream['max_ms'] and stream['first_frame_ms'] == stream['ms_per_frame'][0]
    assert stream['memory_mib'] == stream['memory_nbytes'] / 2**20 > 0 and 'memory_nbytes' not in space
    assert space['x_space'] == 1. and stream['x_space'] == stream['median_ms'] / space['median_ms']
    training = training_run(TINY, train_frames=2, train_iters=1, size=(32, 32))
    # parallel mode (causal mask) and frame by frame give the same gradients
    assert training['max_grad_diff'] <= 1e-4 * training['max_grad'] and training['speedup'] > 0
    tables = format_tables(TINY, (32, 32), 5, 'cpu', 'fp32', latency, training)
    assert '| stream |' in tables and 'x space (median)' in tables and "Training 'stream' on a 2-frame clip" in tables
    assert r'max \|grad diff\| (max \|grad\|)' in tables  # escaped: the header keeps its five cells


def test_the_backbone_task_and_the_gpu_report_run_one_training_algorithm():
    """The GPU report's training rows are :func:`training_run` of the same encoder: the same gradients, to the
    bit, as the backbone task computes for the same clip size."""
    report = BackboneReportSpec(arch='tiny', memory_len=3, sizes=[(32, 48)], dtypes=['fp32'], layouts=dict(g=0),
                                modes=['space'], frames=2, warmup=1, train_frames=2, train_iters=1)
    row = next(r for r in backbone_rows(report, 'cpu', log=lambda line: None) if r['measurement'] == 'training')
    alone = training_run(TINY, train_frames=2, train_iters=1, size=(32, 48))
    for key in ('train_frames', 'dtype', 'max_grad_diff', 'max_grad'):
        assert row[key] == alone[key], key
    assert set(alone) <= set(row)  # every figure of the backbone task is a column of the report


def test_the_gpu_report_latency_rows_are_the_backbone_task_summary():
    """One steady-part summary for both: the report's latency rows are :func:`latency_runs` of a noise video of
    seed 0, less the per-frame times."""
    report = BackboneReportSpec(arch='tiny', memory_len=3, sizes=[(32, 32)], dtypes=['fp32'], layouts=dict(g=0),
                                frames=5, warmup=1, train_frames=0)
    rows = backbone_rows(report, 'cpu', log=lambda line: None)
    assert [row['mode'] for row in rows] == ['space', 'stream', 'clip']
    torch.manual_seed(0)
    direct = latency_runs(TINY, report.modes, torch.randn(1, 5, 3, 32, 32), warmup=1)
    for row, summary in zip(rows, direct):
        assert row['steady_from_frame'] == summary['steady_from_frame'] and row['frames'] == summary['frames']
        assert row.get('memory_nbytes') == summary.get('memory_nbytes')
        assert 'ms_per_frame' not in row and {'median_ms', 'p95_ms', 'slope_ms_per_100_frames', 'x_space'} <= set(row)
