"""tools/analysis_tools/benchmark.py: one command, a task per module of svm/benchmark/, each printing the tables
of its module and writing its figures, at tiny sizes on the CPU."""
import json
import os.path as osp

import pytest

from helpers import REPO_ROOT, TINY_MOT_CONFIG, load_script, tool_help

BENCHMARK = 'tools/analysis_tools/benchmark.py'
TOY_RECOGNITION = 'configs/recognition/svm/svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py'


@pytest.fixture(scope='module')
def command():
    return load_script(BENCHMARK)


def test_every_task_has_its_module_and_help(command):
    help_text = tool_help(BENCHMARK)
    for task in command.TASKS:
        assert task in help_text
        assert (REPO_ROOT / 'svm' / 'benchmark' / f'{task.replace("-", "_")}.py').is_file(), task
    assert not (REPO_ROOT / 'tools' / 'analysis_tools' / 'benchmark_tracker.py').exists()  # one command


def test_backbone_task(command, tmp_path, capsys):
    out = tmp_path / 'backbone.json'
    result = command.main(['backbone', '--arch', 'tiny', '--img-size', '32', '--frames', '4', '--memory-len', '2',
                           '--train-frames', '2', '--train-iters', '1', '--warmup', '1', '--device', 'cpu', '--out',
                           str(out)])
    printed = capsys.readouterr().out
    assert '| encoder | ms/frame first | steady from frame |' in printed and '| clip |' in printed
    assert "Training 'stream' on a 2-frame clip (forward + backward, fp32):" in printed
    saved = json.loads(out.read_text())
    assert [row['mode'] for row in saved['latency']] == ['space', 'stream', 'clip']
    assert saved['training']['max_grad_diff'] == result['training']['max_grad_diff']


def test_tracker_and_tracker_training_tasks(command, tmp_path, capsys):
    out = tmp_path / 'tracker.json'
    command.main(['tracker', TINY_MOT_CONFIG, '--frames', '2', '--warmup', '1', '--device', 'cpu', '--out', str(out)])
    assert '| whole tracker (end to end) |' in capsys.readouterr().out
    assert json.loads(out.read_text())['frames'] == 2
    result = command.main(['tracker-training', TINY_MOT_CONFIG, '--shape', '64', '96', '--iters', '1', '--warmup', '0',
                           '--device', 'cpu'])
    printed = capsys.readouterr().out
    assert result['dtype'] == 'fp32' and result['optim_wrapper'] == 'OptimWrapper'  # the CPU's default
    assert '2 clips x 2 frames at 64x96, cpu, fp32 (OptimWrapper' in printed and '| ms/iteration: median |' in printed


def test_tracker_task_writes_its_default_json(command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    command.main(['tracker', TINY_MOT_CONFIG, '--shape', '64', '96', '--frames', '1', '--warmup', '0', '--device',
                  'cpu'])
    name = osp.splitext(osp.basename(TINY_MOT_CONFIG))[0]
    assert (tmp_path / 'work_dirs' / 'benchmark' / 'tracker' / f'{name}_64x96.json').is_file()


def test_online_recognition_task(command, tmp_path, capsys):
    out = tmp_path / 'online.json'
    command.main(['online-recognition', str(REPO_ROOT / TOY_RECOGNITION), '--frames', '10', '--size', '40', '56',
                  '--device', 'cpu', '--out', str(out)])
    assert '| streaming |' in capsys.readouterr().out
    assert json.loads(out.read_text())['window'] == 8


def test_cfg_options_are_mmengine_s(command):
    args = command.parse_args(['tracker', TINY_MOT_CONFIG, '--cfg-options', 'model.detector.backbone.memory_len=8',
                               'a.b=[1,2]'])
    assert args.cfg_options == {'model.detector.backbone.memory_len': 8, 'a.b': [1, 2]}
