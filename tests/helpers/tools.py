"""Running svm's command-line tools as a user would, and the toy regression task they are tested on.

The repository root is the source checkout ``svm`` is imported from (``make test`` installs it in
develop mode): the tests find configs, tools and fixtures through :data:`REPO_ROOT`, and the tools they run
find these helpers (the toy task's modules) through :data:`TESTS_ROOT` on their PYTHONPATH.
"""
import argparse
import contextlib
import io
import itertools
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, Iterator, Mapping, Optional, Sequence, Union
from unittest import mock

import torch
from mmengine.config import DictAction

import svm
from svm.utils.checkpoint import load_checkpoint_file

REPO_ROOT = Path(svm.__file__).resolve().parents[1]
TESTS_ROOT = Path(__file__).resolve().parents[1]

# The toy regression task (helpers.toy_task): a child config that inherits a base and a runtime,
# which tools/train.py trains in seconds on the CPU.
TOY_REGRESSION_CONFIG = REPO_ROOT / 'tests' / 'data' / 'toy' / 'toy_regression.py'

GLOO_TRANSPORT_ERROR = re.compile(r'gloo/transport/tcp/\S+\].*(Connection (closed|reset) by peer|Timed out)')
# what locates a failure in a command's stderr: exceptions, aborts, torchrun's per-rank summary
KEY_LINE = re.compile(r'Error|Exception|Fatal Python error|terminate called|what\(\)|exitcode|File "/')

Argument = Union[str, os.PathLike]


def run_tool(args: Sequence[Argument], cwd: Argument = REPO_ROOT, env: Optional[Mapping[str, str]] = None,
             timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command line as a user would, from the repository root, with this interpreter as ``python``.

    ``env`` is added to this process's environment; a ``PYTHONPATH`` in it comes after the repository root and
    the tests' folder (for ``helpers.toy_task``).
    Raises AssertionError with the key lines of stderr when ``check`` and the command fails.
    """
    full_env = dict(os.environ)
    full_env['PYTHON'] = sys.executable
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
    full_env['PYTHONPATH'] = os.pathsep.join(
        p for p in [str(REPO_ROOT), str(TESTS_ROOT), full_env.get('PYTHONPATH', '')] if p)
    args = [sys.executable if a == 'python' else str(a) for a in args]
    proc = subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 and GLOO_TRANSPORT_ERROR.search(proc.stderr):
        # gloo's TCP transport drops a connection now and then on loaded CI machines (pytorch#57469,
        # pytorch/gloo#168): one more try; anything else, or a second failure, fails the test
        warnings.warn(f'gloo transport error, running once more: {" ".join(args)}')
        proc = subprocess.run(args, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'command failed ({proc.returncode}): {" ".join(args)}\n'
                             f'{failure_excerpt(proc.stderr)}\n'
                             f'--- stdout (tail) ---\n{proc.stdout[-1500:]}')
    return proc


def failure_excerpt(stderr: str, max_key_lines: int = 60) -> str:
    """The lines of a failed command's stderr that say what went wrong, then its tail.

    CI shows only part of a failure, so the key lines (tracebacks of every rank, an abort's thread
    stacks) come first, and faulthandler's list of extension modules, thousands of characters of
    noise after an abort, is left out.
    """
    lines = [line for line in stderr.splitlines() if not line.startswith('Extension modules:')]
    key = list(dict.fromkeys(line for line in lines if KEY_LINE.search(line)))  # ordered, no repeats
    key_text = '\n'.join(key[:max_key_lines])
    tail = '\n'.join(lines)[-4000:]
    return f'--- stderr (key lines) ---\n{key_text}\n--- stderr (tail) ---\n{tail}'


def free_port() -> int:
    """A free TCP port on localhost, for a torchrun rendezvous."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def cfg_options(*options: str) -> Dict[str, Any]:
    """``--cfg-options`` as the tools parse them (mmengine's DictAction): ``'a.b=1'`` -> ``{'a.b': 1}``."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def train_toy(work_dir: Argument, *extra: Argument) -> subprocess.CompletedProcess:
    """``python tools/train.py`` on the toy regression config (6 iterations, a checkpoint every 2)."""
    return run_tool(['python', 'tools/train.py', TOY_REGRESSION_CONFIG, '--work-dir', work_dir, *extra])


def copy_work_dir(src: Argument, dst: Argument) -> Path:
    """A copy of a training run's work dir, as if the run had written it at ``dst``: mmengine's
    ``last_checkpoint`` pointer (an absolute path) names the copy's checkpoint. For tests that resume or damage
    a run that a session fixture trained once."""
    dst = Path(shutil.copytree(src, dst))
    pointer = dst / 'last_checkpoint'
    if pointer.is_file() and pointer.read_text().strip():
        pointer.write_text(str(dst / Path(pointer.read_text().strip()).name))
    return dst


# in-process runs: a name of their own for mmengine's loggers and visualizers, which it keeps by name (two
# runners started within one second would otherwise share the first one's log file and TensorBoard writer)
_in_process_runs = itertools.count()


@contextlib.contextmanager
def _in_process_run(cfg, config: Argument) -> Iterator[None]:
    """Around a Runner started in this process: a name of its own (``cfg.experiment_name``), and torch's
    deterministic algorithms, which the Runner turns on for the whole process (``randomness.deterministic``),
    switched back as they were for the tests that follow."""
    cfg.experiment_name = f'{Path(config).stem}_in_process_{next(_in_process_runs)}'
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)


def run_training_in_process(config: Argument, work_dir: Argument, *options: str,
                            resume: Optional[str] = None) -> None:
    """What ``python tools/train.py CONFIG --work-dir WORK_DIR [--resume R] --cfg-options OPTIONS`` runs
    (svm.utils.runner.config_for_training and run_training), in this process: a second instead of the ten
    that starting an interpreter and importing svm take. For tests of what the tool does, not of its command
    line; the run's log is :func:`read_run_logs`, its errors are raised."""
    from svm.utils.runner import config_for_training, run_training
    cfg = config_for_training(str(config), cfg_options(*options) if options else None, str(work_dir),
                              resume=resume)
    with _in_process_run(cfg, config):
        run_training(cfg)


def run_testing_in_process(config: Argument, checkpoint: Argument, work_dir: Argument, *options: str,
                           out: Optional[Argument] = None) -> dict:
    """What ``python tools/test.py CONFIG --checkpoint CHECKPOINT --work-dir WORK_DIR [--out OUT] --cfg-options
    OPTIONS`` runs (svm.utils.runner.config_for_testing and run_testing), in this process; returns the
    metrics."""
    from svm.utils.runner import config_for_testing, run_testing
    out = None if out is None else str(out)
    cfg = config_for_testing(str(config), str(checkpoint), cfg_options(*options) if options else None,
                             str(work_dir), out=out)
    with _in_process_run(cfg, config):
        return run_testing(cfg, str(checkpoint), out)


def read_run_logs(work_dir: Argument) -> str:
    """The text of mmengine's log files of the runs in ``work_dir`` (``<timestamp>/<timestamp>.log``), oldest
    first; '' where no run has logged."""
    return ''.join(path.read_text() for path in sorted(Path(work_dir).glob('*/*.log')))


def load_script(script: Argument) -> SimpleNamespace:
    """The functions of a script of the repository (``tools/train.py``, ``demo/mot_demo.py``), to call its
    ``parse_args`` in this process: the script runs under another name than ``'__main__'``, so it only defines
    them (its work runs under ``__name__ == '__main__'``)."""
    return SimpleNamespace(**runpy.run_path(str(REPO_ROOT / script), run_name=f'svm_script_{Path(script).stem}'))


def tool_help(script: Argument) -> str:
    """What ``python SCRIPT --help`` prints (an argparse tool of the repository), read in this process."""
    printed = io.StringIO()
    with mock.patch.object(sys, 'argv', [str(script), '--help']), contextlib.redirect_stdout(printed):
        try:
            load_script(script).parse_args()
        except SystemExit as done:
            assert done.code == 0, f'{script} --help exited with {done.code}'
    return printed.getvalue()


def load_checkpoint_on_cpu(path: Argument) -> dict:
    """A checkpoint file loaded on the CPU as svm loads it (weights only, checksum verified)."""
    return load_checkpoint_file(str(path), map_location='cpu')


def assert_same_state(a: Mapping, b: Mapping) -> None:
    """Two (nested) state dicts hold the same keys and bit-identical tensors and values."""
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], dict):
            assert_same_state(a[key], b[key])
        elif isinstance(a[key], torch.Tensor):
            torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)
        else:
            assert a[key] == b[key], key
