import os
import re
import socket
import sys
import warnings
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """Undo the default scope a test sets (init_default_scope, a Runner): mmengine keeps it globally and
    builds every later config in it."""
    from mmengine.registry import DefaultScope
    saved = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


GLOO_TRANSPORT_ERROR = re.compile(r'gloo/transport/tcp/\S+\].*(Connection (closed|reset) by peer|Timed out)')
# what locates a failure in a command's stderr: exceptions, aborts, torchrun's per-rank summary
KEY_LINE = re.compile(r'Error|Exception|Fatal Python error|terminate called|what\(\)|exitcode|File "/')


def run_tool(args, cwd=REPO_ROOT, env=None, timeout=600, check=True):
    """Run a command line as a user would, with this interpreter as `python`; returns the process."""
    import subprocess
    full_env = dict(os.environ)
    full_env['PYTHON'] = sys.executable
    full_env['PYTHONPATH'] = os.pathsep.join(
        p for p in [str(REPO_ROOT), full_env.get('PYTHONPATH', '')] if p)
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
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
