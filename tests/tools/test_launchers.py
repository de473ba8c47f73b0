"""tools/dist_train.sh, dist_test.sh, slurm_train.sh and slurm_test.sh find the interpreter: $PYTHON if set,
else the project's .venv, else `python` from PATH."""
import os
import subprocess
import sys

import pytest

from helpers import REPO_ROOT, TESTS_ROOT, TOY_REGRESSION_CONFIG, free_port


def _env_without_the_venv(tmp_path):
    """The environment of a shell where the project's environment is not activated: no PYTHON, no
    VIRTUAL_ENV, no virtual environment on PATH, and a `python` first on PATH that lacks torch (as a
    system python does), so only the project's .venv can run the tools."""
    fake_bin = tmp_path / 'bin'
    fake_bin.mkdir()
    for name in ('python', 'python3'):
        fake = fake_bin / name
        fake.write_text('#!/bin/sh\necho "ModuleNotFoundError: No module named \'torch\'" >&2\nexit 1\n')
        fake.chmod(0o755)
    venv_bins = {os.path.realpath(os.path.join(p, 'bin')) for p in (sys.prefix, REPO_ROOT / '.venv')}
    path = [str(fake_bin)] + [p for p in os.environ.get('PATH', '').split(os.pathsep)
                              if p and os.path.realpath(p) not in venv_bins]
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHON', 'VIRTUAL_ENV', 'PYTHONHOME', 'PYTHONPATH')}
    # the toy task's modules are test helpers: the one path a user's shell would not have
    env.update(PATH=os.pathsep.join(path), OMP_NUM_THREADS='1', PYTHONPATH=str(TESTS_ROOT))
    return env, fake_bin


needs_project_venv = pytest.mark.skipif(not os.access(REPO_ROOT / '.venv' / 'bin' / 'python', os.X_OK),
                                        reason="the project's .venv (make / tools/setup_env.sh) is absent")


@needs_project_venv
def test_dist_train_finds_the_project_venv_without_activation(tmp_path):
    """bash tools/dist_train.sh from another folder, environment not activated."""
    env, _ = _env_without_the_venv(tmp_path)
    env['PORT'] = str(free_port())
    proc = subprocess.run(['bash', str(REPO_ROOT / 'tools' / 'dist_train.sh'), str(TOY_REGRESSION_CONFIG), '1',
                           '--work-dir', str(tmp_path / 'work')], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'No module named' not in log and 'Iter(train) [6/6]' in log


@needs_project_venv
def test_dist_test_finds_the_project_venv_without_activation(tmp_path):
    env, _ = _env_without_the_venv(tmp_path)
    env['PORT'] = str(free_port())
    proc = subprocess.run(['bash', str(REPO_ROOT / 'tools' / 'dist_test.sh'), 'CFG.py', '1', '--help'], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and '--show-dir' in proc.stdout, (proc.stdout + proc.stderr)[-3000:]


@needs_project_venv
@pytest.mark.parametrize('script,tool', [('slurm_train.sh', 'train.py'), ('slurm_test.sh', 'test.py'),
                                         ('dist_train.sh', 'train.py'), ('dist_test.sh', 'test.py')])
def test_launch_scripts_run_python_then_venv_then_path(tmp_path, script, tool):
    """Each launcher runs $PYTHON if set, else the project's .venv (srun, and $PYTHON, are stand-ins that
    record how they were called)."""
    env, fake_bin = _env_without_the_venv(tmp_path)
    record = tmp_path / 'called'
    for name in ('srun', 'recording-python'):
        (fake_bin / name).write_text(f'#!/bin/sh\necho "{name} $@" >> {record}\n')
        (fake_bin / name).chmod(0o755)
    slurm = script.startswith('slurm')
    args = ['PART', 'JOB', 'CFG.py', '--checkpoint', 'C'] if slurm else ['CFG.py', '1', '--checkpoint', 'C']

    def called(**extra):
        record.write_text('')
        subprocess.run(['bash', str(REPO_ROOT / 'tools' / script), *args], cwd=tmp_path, env={**env, **extra},
                       capture_output=True, text=True, timeout=60, check=True)
        return record.read_text()

    line = called(PYTHON=str(fake_bin / 'recording-python'))
    assert 'recording-python ' in line and f'{REPO_ROOT}/tools/{tool} CFG.py' in line and '--checkpoint C' in line
    if slurm:  # without PYTHON: srun runs the project's interpreter
        assert 'srun ' in called() and f' {REPO_ROOT}/.venv/bin/python -u {REPO_ROOT}/tools/{tool}' in called()
