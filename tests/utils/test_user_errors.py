"""svm.utils.user_errors: the tools end a user error (a missing file, a misspelt key, a bad value) in one line
and exit status 1, and keep the traceback of anything else."""
import runpy
import sys

import pytest
from mmengine.config import Config

from helpers import REPO_ROOT, TINY_MOT_CONFIG, TOY_REGRESSION_CONFIG
from svm.utils.config_checks import check_override_keys
from svm.utils.user_errors import error_message, is_user_error, run_main


def _raised(call):
    with pytest.raises(Exception) as raised:
        call()
    return raised.value


def test_errors_raised_by_svm_checks_are_user_errors():
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    err = _raised(lambda: check_override_keys(cfg, {'max_epoch': 3}))
    assert is_user_error(err)
    assert error_message(err).startswith("--cfg-options max_epoch: config ") and not error_message(err).startswith('"')


def test_failing_operations_and_library_errors_keep_their_traceback():
    from svm.datasets.recognition.pipelines import split_recognition_pipeline
    assert not is_user_error(_raised(lambda: split_recognition_pipeline([{}])))  # a lookup failing inside svm
    assert not is_user_error(_raised(lambda: int('x')))  # not svm's code
    assert not is_user_error(_raised(lambda: Config.fromfile('/nonexistent/config.py')))  # mmengine's own


def test_run_main_prints_one_line_and_exits_1(capsys, monkeypatch):
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    monkeypatch.setattr(sys, 'argv', ['print_config.py'])
    with pytest.raises(SystemExit) as exited:
        run_main(lambda: check_override_keys(cfg, {'max_epoch': 3}))
    err = capsys.readouterr().err
    assert exited.value.code == 1 and err.startswith('print_config.py: error: --cfg-options max_epoch: ')
    assert err.count('\n') == 1 and 'Traceback' not in err
    assert run_main(lambda: 7) == 7  # what main returns (the exit status of some tools)
    with pytest.raises(ValueError):  # a bug keeps its traceback
        run_main(lambda: int('x'))
    monkeypatch.setenv('SVM_TRACEBACK', '1')
    with pytest.raises(KeyError):
        run_main(lambda: check_override_keys(cfg, {'max_epoch': 3}))


def _run_tool_as_main(script, *args, monkeypatch):
    """``python SCRIPT ARGS`` in this process: the script runs as ``__main__``; returns its exit status."""
    monkeypatch.setattr(sys, 'argv', [str(script), *map(str, args)])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(REPO_ROOT / script), run_name='__main__')
    return exited.value.code


def test_print_config_refuses_a_misspelt_key_in_one_line(capsys, monkeypatch):
    code = _run_tool_as_main('tools/misc/print_config.py', TINY_MOT_CONFIG, '--cfg-options',
                             'model.detector.backbone.memry_len=8', monkeypatch=monkeypatch)
    err = capsys.readouterr().err
    assert code == 1 and err.count('\n') == 1 and 'Traceback' not in err
    assert "print_config.py: error: --cfg-options model.detector.backbone.memry_len: " in err
    assert 'did you mean model.detector.backbone.memory_len' in err


def test_a_missing_config_is_named_in_one_line(tmp_path, capsys, monkeypatch):
    code = _run_tool_as_main('tools/misc/print_config.py', tmp_path / 'nope.py', monkeypatch=monkeypatch)
    err = capsys.readouterr().err
    assert code == 1 and err == f'print_config.py: error: config file not found: {tmp_path / "nope.py"}\n'


@pytest.mark.filterwarnings('ignore:Unable to enable fault handler')  # torchrun's @record, under pytest's capture
def test_train_amp_without_a_gpu_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    import svm.utils.runner as runner
    monkeypatch.setattr(runner, 'amp_device_available', lambda: False)
    code = _run_tool_as_main('tools/train.py', TOY_REGRESSION_CONFIG, '--amp', '--work-dir', tmp_path,
                             monkeypatch=monkeypatch)
    err = capsys.readouterr().err
    assert code == 1 and err.count('\n') == 1
    assert err.startswith('train.py: error: --amp: mixed precision training') and 'leave out --amp' in err
    assert not list(tmp_path.iterdir())
