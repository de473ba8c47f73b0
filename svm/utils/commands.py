"""Run a step of a demo pipeline as the command a user would type (tools/demo_main.py,
tools/track_recognition_demo_main.py): printed first, then run from the repository root with this interpreter."""
import os
import subprocess
import sys
from typing import Sequence


def command_threads() -> int:
    """The torch CPU threads of the commands :func:`run_command` runs: ``OMP_NUM_THREADS`` if set, else 1."""
    return int(os.environ.get('OMP_NUM_THREADS', '1'))


def run_command(cmd: Sequence[str], repo: str) -> None:
    """Print ``$ cmd`` and run it in ``repo`` (``python`` means this interpreter; ``repo`` goes first on
    ``PYTHONPATH``); a failing command raises ``subprocess.CalledProcessError``.

    The tiny demo models run fastest on one thread: with more, the threads of small ops mostly wait on each
    other (several times slower on a busy 2-core machine). ``OMP_NUM_THREADS`` set by the caller wins.
    """
    print(f'\n$ {" ".join(cmd)}', flush=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (repo, os.environ.get('PYTHONPATH')) if p))
    env['OMP_NUM_THREADS'] = str(command_threads())
    subprocess.run([sys.executable if c == 'python' else c for c in cmd], cwd=repo, env=env, check=True)
