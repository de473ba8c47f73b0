"""svm/benchmark/gpu_report.py (``tools/analysis_tools/benchmark.py gpu-report``): the one-run measurement of the
CUDA path, dry-run on the CPU with a tiny S-ViT at tiny sizes."""
import json
import math
import subprocess
import sys

import pytest
import torch

from svm.benchmark.gpu_report import BackboneReportSpec, TrackerTrainingSpec, format_markdown, guarded, run_report
from svm.benchmark.timing import autocast, device_busy
from helpers import REPO_ROOT, TINY_MOT_CONFIG, load_script

TINY = BackboneReportSpec(arch='tiny', memory_len=2, sizes=[(32, 48)], dtypes=['fp32', 'bf16'], frames=4,
                          warmup=1, clip_frames=3, train_frames=2, train_iters=1)


def _stream_memory_nbytes(spec: BackboneReportSpec, layout: str, size, dtype: str) -> int:
    """SViT.memory_nbytes of the spec's 'stream' encoder after one streaming frame under ``dtype``."""
    encoder = spec.encoder_spec(layout).build('stream').eval()
    with torch.no_grad(), autocast('cpu', dtype):
        encoder(torch.randn(1, 3, *size))
    return encoder.memory_nbytes


def test_backbone_report_dry_run_on_cpu(tmp_path):
    rows, json_path, md_path = run_report(TINY, 'cpu', str(tmp_path), log=lambda line: None)
    assert all(row['error'] is None for row in rows), [row['error'] for row in rows if row['error']]
    latency = [row for row in rows if row['measurement'] == 'latency']
    training = [row for row in rows if row['measurement'] == 'training']
    # 2 layouts x 1 size x 2 dtypes: 3 modes each, one training run each
    assert len(latency) == 12 and len(training) == 4
    for row in latency:
        assert row['median_ms'] > 0 and row['p95_ms'] >= row['median_ms']
        assert math.isfinite(row['slope_ms_per_100_frames'])
        assert row['x_space'] > 0 and row['steady_from_frame'] == (0 if row['mode'] == 'space' else 1)
        assert row['frames'] == (3 if row['mode'] == 'clip' else 4)  # clip_frames
        if row['mode'] == 'stream':
            assert row['memory_nbytes'] == _stream_memory_nbytes(TINY, row['layout'], (32, 48), row['dtype']) > 0
            assert row['memory_mib'] == row['memory_nbytes'] / 2**20
        else:
            assert 'memory_nbytes' not in row  # 'space' and 'clip' keep no memory
    by_dtype = {(r['layout'], r['dtype']): r['memory_nbytes'] for r in latency if r['mode'] == 'stream'}
    assert by_dtype['window14', 'bf16'] * 2 == by_dtype['window14', 'fp32']  # the memory keeps autocast's dtype
    for row in training:
        assert row['parallel_s'] > 0 and row['frame_by_frame_s'] > 0 and row['speedup'] > 0
        assert row['max_grad'] > 0
        # same gradients: fp32 to rounding, bf16 within its precision (8 bits of mantissa) of the largest
        tolerance = 1e-5 if row['dtype'] == 'fp32' else 2e-2
        assert row['max_grad_diff'] <= tolerance * row['max_grad'], row

    saved = json.loads(open(json_path).read())
    assert saved['rows'] == json.loads(json.dumps(rows)) and saved['environment']['torch'] == torch.__version__
    markdown = open(md_path).read()
    assert markdown.startswith('# GPU report: CPU') and '## backbone: latency' in markdown
    assert '## backbone: training' in markdown and markdown.count('| window14 | 32x48 |') == 8


def test_tracker_parts_only_on_cpu(tmp_path):
    """The tracker's streaming inference and training iteration (the backbone part left out), tiny config."""
    spec = BackboneReportSpec(arch='tiny', sizes=[(64, 96)], dtypes=['fp32'])
    rows, json_path, md_path = run_report(spec, 'cpu', str(tmp_path), str(TINY_MOT_CONFIG), tracker_frames=3,
                                          tracker_warmup=1,
                                          training=TrackerTrainingSpec(str(TINY_MOT_CONFIG), iters=2, warmup=1),
                                          backbone=False, log=lambda line: None)
    assert [row['measurement'] for row in rows] == ['streaming inference', 'training iteration']
    assert all(row['error'] is None and row['size'] == '64x96' for row in rows), rows
    inference, training = rows
    assert inference['fps'] > 0 and inference['frames'] == 3 and inference['nms'] == 'mmcv'
    assert training['optim_wrapper'] == 'OptimWrapper' and training['clips'] == training['frames_per_clip'] == 2
    assert training['iters'] == 2 and training['median_ms'] > 0 and training['losses_finite']
    markdown = open(md_path).read()
    assert '## tracker: training iteration' in markdown and '## backbone' not in markdown
    assert any('tracker training: ' in note for note in json.loads(open(json_path).read())['notes'])


def test_device_busy_is_empty_on_cpu():
    assert device_busy(lambda: torch.ones(4) * 2, 'cpu') == {}


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU')
def test_device_busy_counts_kernels_on_cuda():
    a = torch.randn(2048, 2048, device='cuda')
    busy = device_busy(lambda: (a @ a) @ a, 'cuda', repeats=3)
    assert busy['kernels'] >= 2  # two matrix products per call (cuBLAS may add a reduction kernel)
    assert 0 < busy['gpu_busy_ms'] <= busy['profiled_wall_ms']


def test_a_failed_measurement_is_a_row_and_the_rest_continue(tmp_path):
    def out_of_memory():
        raise RuntimeError('CUDA out of memory. Tried to allocate 24.00 GiB\nmore lines')

    logged = []
    failed = guarded(dict(part='backbone', measurement='latency'), out_of_memory, 'cpu', logged.append)
    assert failed['error'] == 'RuntimeError: CUDA out of memory. Tried to allocate 24.00 GiB'
    assert any('FAILED' in line for line in logged)
    passed = guarded(dict(part='backbone', measurement='latency'), lambda: dict(median_ms=1.5), 'cpu', logged.append)
    assert passed == dict(part='backbone', measurement='latency', median_ms=1.5, error=None)
    markdown = format_markdown([failed, passed], dict(device='cpu', device_name='CPU', torch='t', cuda='None',
                                                      cudnn='n/a'))
    assert '| median_ms | error |' in markdown and 'CUDA out of memory' in markdown


def test_tool_tiny_dry_run_backbone_only(tmp_path):
    """The command as the GPU run calls it, --tiny on the CPU, without the tracker."""
    result = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark.py', 'gpu-report', '--tiny', '--device', 'cpu', '--dtypes',
         'fp32', '--layouts', 'global', '--skip-tracker', '--out-dir', str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'wrote' in result.stdout and '4 rows, 0 failed' in result.stdout
    assert '[gpu_report] part=backbone, layout=global, size=32x48, dtype=fp32, measurement=training: done' in \
        result.stdout
    rows = json.loads((tmp_path / 'gpu_report.json').read_text())['rows']
    assert [row.get('mode') for row in rows] == ['space', 'stream', 'clip', None]


def test_tool_refuses_a_bad_size(tmp_path, capsys):
    """The command's argument parsing, in this process: it refuses before measuring or writing anything."""
    with pytest.raises(SystemExit) as exited:
        load_script('tools/analysis_tools/benchmark.py').parse_args(['gpu-report', '--sizes', '800x', '--out-dir',
                                                                     str(tmp_path)])
    assert exited.value.code == 2 and "a size is HxW or N, got '800x'" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


# Runs in a fresh interpreter with the OpenMMLab stack hidden (a None entry in sys.modules: not installed),
# as on a GPU machine with only a CUDA PyTorch.
TORCH_ONLY_SCRIPT = '''
import sys
for name in ('mmengine', 'mmcv', 'mmdet', 'mmaction', 'mmpretrain'):
    sys.modules[name] = None
from svm.benchmark.gpu_report import BackboneReportSpec, run_report
spec = BackboneReportSpec(arch='tiny', memory_len=2, sizes=[(32, 32)], dtypes=['fp32'], layouts=dict(global_=0),
                          frames=3, warmup=1, train_frames=2, train_iters=1)
rows = run_report(spec, 'cpu', sys.argv[1], log=lambda line: None)[0]
assert len(rows) == 4 and all(row['error'] is None for row in rows), rows
import runpy
for command in (['gpu-report', '--tiny', '--device', 'cpu', '--dtypes', 'fp32', '--layouts', 'global',
                 '--skip-tracker', '--out-dir', sys.argv[1]],
                ['backbone', '--arch', 'tiny', '--img-size', '32', '--frames', '3', '--memory-len', '2',
                 '--train-frames', '2', '--train-iters', '1', '--warmup', '1', '--device', 'cpu'],
                ['streams', '--arch', 'tiny', '--case', '32x32:0:2', '--frames', '2', '--streams', '1', '2',
                 '--streams-case', '32x32:0:2', '--steps', '2', '--device', 'cpu']):
    sys.argv = ['tools/analysis_tools/benchmark.py', *command]
    try:
        runpy.run_path('tools/analysis_tools/benchmark.py', run_name='__main__')
    except SystemExit as exited:
        assert not exited.code, exited.code
assert not any(sys.modules.get(name) for name in ('mmengine', 'mmcv', 'mmdet', 'mmaction'))
'''


def test_backbone_part_runs_without_the_openmmlab_stack(tmp_path):
    """The backbone part of the report, and the command's backbone, streams and gpu-report --skip-tracker tasks."""
    result = subprocess.run([sys.executable, '-c', TORCH_ONLY_SCRIPT, str(tmp_path)], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '| stream |' in result.stdout and '## backbone: latency' in result.stdout
    assert '| 32x32 | global | 2 | stream, two copies |' in result.stdout
