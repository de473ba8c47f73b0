"""What a run loads and where it writes are checked before it starts: another model's checkpoint as
load_from or --resume, a work dir another training holds, test outputs that cannot be written. The checks are
those of what tools/train.py and tools/test.py run, in this process (helpers.run_training_in_process), and
of tools/train.py --resume for the lock of a run that is gone."""
import json
import os
import socket
import subprocess
import sys

import pytest

from helpers import (TOY_REGRESSION_CONFIG, cfg_options, read_run_logs, run_testing_in_process,
                         run_training_in_process, train_toy)
from svm.utils.work_dir_lock import WorkDirInUseError


def test_load_from_another_model_is_refused_unless_partial_load(toy_run, tmp_path):
    ckpt = toy_run / 'iter_2.pth'
    other = ['model.hidden=12', f'load_from={ckpt}', 'train_cfg.max_iters=2']
    with pytest.raises(KeyError) as refused:
        run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path / 'a', *other)
    message = str(refused.value)
    assert f'checkpoint {ckpt} does not fit the model' in message
    assert 'mlp.0.weight (16, 4) vs model (12, 4)' in message and 'partial_load = True' in message
    run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path / 'b', *other, 'partial_load=True')
    log = read_run_logs(tmp_path / 'b')
    assert 'partial_load: checkpoint' in log and 'every other tensor of the model is loaded' in log
    assert (tmp_path / 'b' / 'iter_2.pth').exists()


def test_resume_from_another_model_names_the_keys(toy_run, tmp_path):
    with pytest.raises(KeyError) as refused:
        run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path / 'a', 'model.hidden=12',
                                resume=str(toy_run / 'iter_2.pth'))
    message = str(refused.value)
    assert 'does not fit the model' in message and 'mlp.2.weight (1, 16) vs model (1, 12)' in message
    assert 'parameter groups' not in message


def write_lock(work_dir, pid):
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / '.svm_train.lock').write_text(
        json.dumps(dict(pid=pid, host=socket.gethostname(), started='2026-11-28 08:00:00 +0000')))


def test_second_training_in_a_work_dir_is_refused(tmp_path):
    write_lock(tmp_path, os.getpid())  # this test process stands for a live run
    with pytest.raises(WorkDirInUseError) as refused:
        run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path)
    assert (f'work dir {tmp_path} is in use by another training run (process {os.getpid()} on host '
            f'{socket.gethostname()}, started 2026-11-28 08:00:00 +0000)') in str(refused.value)
    assert not list(tmp_path.glob('*.pth'))


def test_lock_of_a_dead_run_does_not_block_resume(tmp_path):
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    write_lock(tmp_path, dead.pid)
    proc = train_toy(tmp_path, '--resume')
    assert 'taking over' in proc.stdout + proc.stderr and (tmp_path / 'iter_6.pth').exists()
    assert not (tmp_path / '.svm_train.lock').exists()  # released at the end


def test_unwritable_test_output_fails_before_the_first_batch(toy_run, tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    with pytest.raises(OSError, match=f'the folder of --out {blocker} cannot be written'):
        run_testing_in_process(TOY_REGRESSION_CONFIG, toy_run / 'iter_2.pth', tmp_path / 't',
                               out=blocker / 'preds.pkl')
    assert 'Epoch(test)' not in read_run_logs(tmp_path / 't')


@pytest.mark.parametrize('option,named', [([], "optim_wrapper.type='AmpOptimWrapper'"), (['--amp'], '--amp:')])
def test_amp_without_a_gpu_is_refused_before_the_run(tmp_path, monkeypatch, option, named):
    """mmengine's AmpOptimWrapper asserts a GPU only once it builds the optimizer; tools/train.py refuses
    first, saying what to do instead."""
    import svm.utils.runner as runner
    monkeypatch.setattr(runner, 'amp_device_available', lambda: False)
    options = [] if option else ['optim_wrapper.type=AmpOptimWrapper']
    with pytest.raises(ValueError, match='needs a GPU') as refused:
        runner.config_for_training(str(TOY_REGRESSION_CONFIG), cfg_options(*options) if options else None,
                                   str(tmp_path), amp=bool(option))
    assert named in str(refused.value)
    assert ('leave out --amp' if option else "type='OptimWrapper'") in str(refused.value)
    assert not list(tmp_path.iterdir())  # refused before the run: no log, no lock


def test_amp_with_a_gpu_is_left_to_mmengine(tmp_path, monkeypatch):
    import svm.utils.runner as runner
    monkeypatch.setattr(runner, 'amp_device_available', lambda: True)
    cfg = runner.config_for_training(str(TOY_REGRESSION_CONFIG), None, str(tmp_path), amp=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
