"""Running svm's command-line tools as a user would, and the toy regression task they are tested on.

The repository root is the source checkout ``svm`` is imported from (``make test`` installs it in
develop mode): the tests find configs, tools and fixtures through :data:`REPO_ROOT`.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

import torch
from mmengine.config import DictAction

import svm
from svm.utils.checkpoint import load_checkpoint_file

REPO_ROOT = Path(svm.__file__).resolve().parents[1]

# The toy regression task (svm.testing.toy_task): a child config that inherits a base and a runtime,
# which tools/train.py trains in seconds on the CPU.
TOY_REGRESSION_CONFIG = REPO_ROOT / 'tests' / 'data' / 'toy' / 'toy_regression.py'

GLOO_TRANSPORT_ERROR = re.compile(r'gloo/transport/tcp/\S+\].*(Connection (closed|reset) by peer|Timed out)')
# what locates a failure in a command's stderr: exceptions, aborts, torchrun's per-rank summary
KEY_LINE = re.compile(r'Error|Exception|Fatal Python error|terminate called|what\(\)|exitcode|File "/')

Argument = Union[str, os.PathLike]


def run_tool(args: Sequence[Argument], cwd: Argument = REPO_ROOT, env: Optional[Mapping[str, str]] = None,
             timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command line as a user would, from the repository root, with this interpreter as ``python``.

    ``env`` is added to this process's environment; a ``PYTHONPATH`` in it comes after the repository root.
    Raises AssertionError with the key lines of stderr when ``check`` and the command fails.
    """
    full_env = dict(os.environ)
    full_env['PYTHON'] = sys.executable
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
    full_env['PYTHONPATH'] = os.pathsep.join(
        p for p in [str(REPO_ROOT), full_env.get('PYTHONPATH', '')] if p)
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
