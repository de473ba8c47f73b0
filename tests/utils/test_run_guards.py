"""What a run loads and where it writes are checked before it starts: another model's checkpoint as
load_from or --resume, a work dir another training holds, test outputs that cannot be written."""
import json
import os
import socket
import subprocess
import sys

from svm.testing import TOY_REGRESSION_CONFIG, run_tool, train_toy


def toy_checkpoint(tmp_path):
    train_toy(tmp_path / 'src', '--cfg-options', 'train_cfg.max_iters=2')
    return tmp_path / 'src' / 'iter_2.pth'


def test_load_from_another_model_is_refused_unless_partial_load(tmp_path):
    ckpt = toy_checkpoint(tmp_path)
    other = ['model.hidden=12', f'load_from={ckpt}', 'train_cfg.max_iters=2']
    proc = run_tool(['python', 'tools/train.py', TOY_REGRESSION_CONFIG, '--work-dir', tmp_path / 'a', '--cfg-options',
                     *other], check=False)
    assert proc.returncode != 0
    assert f'checkpoint {ckpt} does not fit the model' in proc.stderr
    assert 'mlp.0.weight (16, 4) vs model (12, 4)' in proc.stderr and 'partial_load = True' in proc.stderr
    proc = train_toy(tmp_path / 'b', '--cfg-options', *other, 'partial_load=True')
    log = proc.stdout + proc.stderr
    assert 'partial_load: checkpoint' in log and 'every other tensor of the model is loaded' in log
    assert (tmp_path / 'b' / 'iter_2.pth').exists()


def test_resume_from_another_model_names_the_keys(tmp_path):
    ckpt = toy_checkpoint(tmp_path)
    proc = run_tool(['python', 'tools/train.py', TOY_REGRESSION_CONFIG, '--work-dir', tmp_path / 'a', '--resume', ckpt,
                     '--cfg-options', 'model.hidden=12'], check=False)
    assert proc.returncode != 0
    assert 'does not fit the model' in proc.stderr and 'mlp.2.weight (1, 16) vs model (1, 12)' in proc.stderr
    assert 'parameter groups' not in proc.stderr


def write_lock(work_dir, pid):
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / '.svm_train.lock').write_text(
        json.dumps(dict(pid=pid, host=socket.gethostname(), started='2026-11-28 08:00:00 +0000')))


def test_second_training_in_a_work_dir_is_refused(tmp_path):
    write_lock(tmp_path, os.getpid())  # this test process stands for a live run
    proc = run_tool(['python', 'tools/train.py', TOY_REGRESSION_CONFIG, '--work-dir', tmp_path], check=False)
    assert proc.returncode != 0
    assert (f'work dir {tmp_path} is in use by another training run (process {os.getpid()} on host '
            f'{socket.gethostname()}, started 2026-11-28 08:00:00 +0000)') in proc.stderr
    assert not list(tmp_path.glob('*.pth'))


def test_lock_of_a_dead_run_does_not_block_resume(tmp_path):
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    write_lock(tmp_path, dead.pid)
    proc = train_toy(tmp_path, '--resume')
    assert 'taking over' in proc.stdout + proc.stderr and (tmp_path / 'iter_6.pth').exists()
    assert not (tmp_path / '.svm_train.lock').exists()  # released at the end


def test_unwritable_test_output_fails_before_the_first_batch(tmp_path):
    ckpt = toy_checkpoint(tmp_path)
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    proc = run_tool(['python', 'tools/test.py', TOY_REGRESSION_CONFIG, '--checkpoint', ckpt, '--work-dir',
                     tmp_path / 't', '--out', blocker / 'preds.pkl'], check=False)
    assert proc.returncode != 0
    assert f'the folder of --out {blocker} cannot be written' in proc.stderr
    assert 'Epoch(test)' not in proc.stdout + proc.stderr
