"""One training run per work dir.

Two runs in one work dir share a log and overwrite each other's checkpoints without a word. A run takes
the work dir by creating ``<work_dir>/.svm_train.lock`` (atomically, ``O_EXCL``) holding its process id,
host and start time, and removes it when it ends. A second run finds the lock and is refused with the
first run's details. A lock left by a run that died (same host, process gone) is taken over with a
warning, so ``--resume`` after a crash just works; a lock from another host cannot be checked and is
left to the user. A damaged lock (no process id in it) is taken as stale, with a warning. Checking, taking
over and creating the lock happen under an OS lock (``flock``) of ``.svm_train.lock.guard``, so two runs
meeting a dead run's lock at the same moment cannot both take the work dir.
"""
import contextlib
import fcntl
import json
import logging
import os
import os.path as osp
import socket
import time
from typing import Iterator, Optional

from mmengine.logging import print_log

LOCK_NAME = '.svm_train.lock'
GUARD_SUFFIX = '.guard'  # beside the lock: held with flock while the lock is checked, taken over or created


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
        """The lock's owner; None if there is no lock; ``{}`` if it names no owner that can be checked
        (torn by a kill while it was written, or damaged: not a dict with a positive int ``pid``)."""
        try:
            with open(self.path) as f:
                owner = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):  # torn by a kill while it was written: its owner is gone
            return {}
        pid = owner.get('pid') if isinstance(owner, dict) else None
        if not (isinstance(pid, int) and not isinstance(pid, bool) and pid > 0):
            return {}
        return owner

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        """Hold the OS lock of ``<work_dir>/.svm_train.lock.guard`` (``flock``, dropped by the kernel if this
        process dies), so that checking the lock, removing a stale one and creating ours happen as one step:
        two runs meeting a dead run's lock at once cannot both take it (one could remove the lock the other
        just created). The guard file itself is never removed."""
        fd = os.open(self.path + GUARD_SUFFIX, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the flock

    def acquire(self) -> None:
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        with self._guarded():
            other = self._read()
            if other is not None:
                same_host = other.get('host') == self.owner['host']
                if other and not (same_host and not _alive(other['pid'])):
                    raise WorkDirInUseError(
                        f'work dir {osp.dirname(self.path)} is in use by another training run (process '
                        f'{other.get("pid")} on host {other.get("host")}, started {other.get("started")}): '
                        'wait for it to finish or give another --work-dir. If that run is gone, delete '
                        f'{self.path}.')
                what = 'a run that is gone' if other else 'an unreadable or damaged lock (taken as stale)'
                print_log(f'taking over {self.path}: {what} ({other or "no process id in it"})',
                          logger='current', level=logging.WARNING)
                os.remove(self.path)
            # O_EXCL still: a run of an older svm, which takes no guard, may create the lock meanwhile
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                raise WorkDirInUseError(f'could not take {self.path}: another run created it meanwhile') from None
            with os.fdopen(fd, 'w') as f:
                json.dump(self.owner, f)
            self._held = True

    def release(self) -> None:
        """Remove the lock if it is still this process's. A lock that cannot be removed (the work dir became
        unwritable) is left with a warning, not an error: it is stale once this process ends, and an error
        here would hide the one that ended the run."""
        if self._held:
            self._held = False
            try:
                if (self._read() or {}).get('pid') == self.owner['pid']:
                    os.remove(self.path)
            except OSError as err:
                print_log(f'could not remove {self.path} ({err.strerror or err}): the next run takes it over',
                          logger='current', level=logging.WARNING)

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
