"""One training run per work dir.

Two runs in one work dir share a log and overwrite each other's checkpoints without a word. A run takes
the work dir by creating ``<work_dir>/.svm_train.lock`` (atomically, ``O_EXCL``) holding its process id,
host and start time, and removes it when it ends. A second run finds the lock and is refused with the
first run's details. A lock left by a run that died (same host, process gone) is taken over with a
warning, so ``--resume`` after a crash just works; a lock from another host cannot be checked and is
left to the user.
"""
import contextlib
import json
import logging
import os
import os.path as osp
import socket
import time
from typing import Optional

from mmengine.logging import print_log

LOCK_NAME = '.svm_train.lock'


class WorkDirInUseError(RuntimeError):
    """Another training run holds the work dir."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class WorkDirLock:
    """Context manager holding ``<work_dir>/.svm_train.lock`` for this process.

    Raises:
        WorkDirInUseError: on entering, if a live run (or a run on another host) holds the work dir.
    """

    def __init__(self, work_dir: str) -> None:
        self.path = osp.join(work_dir, LOCK_NAME)
        self.owner = dict(pid=os.getpid(), host=socket.gethostname(),
                          started=time.strftime('%Y-%m-%d %H:%M:%S %z'))
        self._held = False

    def _read(self) -> Optional[dict]:
        try:
            with open(self.path) as f:
                return json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):  # torn by a kill while it was written: its owner is gone
            return {}

    def acquire(self) -> None:
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        for _ in range(2):  # at most one stale lock to take over
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                other = self._read()
                if other is None:
                    continue  # released meanwhile
                same_host = other.get('host') == self.owner['host']
                if other and not (same_host and not _alive(int(other.get('pid', -1)))):
                    raise WorkDirInUseError(
                        f'work dir {osp.dirname(self.path)} is in use by another training run (process '
                        f'{other.get("pid")} on host {other.get("host")}, started {other.get("started")}): '
                        'wait for it to finish or give another --work-dir. If that run is gone, delete '
                        f'{self.path}.')
                print_log(f'taking over {self.path}, left by a run that is gone ({other or "unreadable"})',
                          logger='current', level=logging.WARNING)
                os.remove(self.path)
                continue
            with os.fdopen(fd, 'w') as f:
                json.dump(self.owner, f)
            self._held = True
            return
        raise WorkDirInUseError(f'could not take {self.path}: another run keeps creating it')

    def release(self) -> None:
        if self._held:
            self._held = False
            if (self._read() or {}).get('pid') == self.owner['pid']:
                os.remove(self.path)

    def __enter__(self) -> 'WorkDirLock':
        self.acquire()
        return self

    def __exit__(self, *exc) -> bool:
        self.release()
        return False


def lock_work_dir(work_dir: str):
    """The work dir's lock for the first process of a (possibly distributed) run, a null context for
    the others (``RANK`` from torchrun, ``SLURM_PROCID`` from slurm; the process group does not exist
    yet when the work dir must be taken)."""
    rank = int(os.environ.get('RANK', os.environ.get('SLURM_PROCID', 0)))
    return WorkDirLock(work_dir) if rank == 0 else contextlib.nullcontext()
