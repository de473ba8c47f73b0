"""The work-dir lock (svm.utils.work_dir_lock): a dead run's lock is taken over by exactly one of several runs
that meet it at once (real processes), damaged locks are taken as stale with a warning, and a lock that cannot
be removed at the end does not hide the error that ended the run."""
import json
import multiprocessing
import os
import socket
import subprocess
import sys

import pytest

from svm.utils import work_dir_lock
from svm.utils.work_dir_lock import LOCK_NAME, WorkDirInUseError, WorkDirLock

RUNS, TRIALS = 6, 40


def _dead_pid() -> int:
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    return dead.pid


def _contend(work_dirs, barrier, results) -> None:
    """One run of each trial: meet the trial's lock together with the other runs, report, and hold what it got
    (its process stays alive) until every run has reported."""
    for trial, work_dir in enumerate(work_dirs):
        barrier.wait()
        try:
            WorkDirLock(work_dir).acquire()
            results.put((trial, 'acquired'))
        except WorkDirInUseError:
            results.put((trial, 'refused'))
        barrier.wait()


def test_a_dead_runs_lock_is_taken_over_by_exactly_one_of_concurrent_runs(tmp_path):
    context = multiprocessing.get_context('fork')  # svm is imported already: a fork starts in milliseconds
    dead = _dead_pid()
    work_dirs = [tmp_path / str(trial) for trial in range(TRIALS)]
    for work_dir in work_dirs:
        work_dir.mkdir()
        (work_dir / LOCK_NAME).write_text(json.dumps(dict(pid=dead, host=socket.gethostname(), started='x')))
    barrier, results = context.Barrier(RUNS), context.Queue()
    runs = [context.Process(target=_contend, args=([str(d) for d in work_dirs], barrier, results))
            for _ in range(RUNS)]
    for run in runs:
        run.start()
    outcomes = [[] for _ in work_dirs]
    for _ in range(RUNS * TRIALS):
        trial, outcome = results.get(timeout=60)
        outcomes[trial].append(outcome)
    for run in runs:
        run.join(timeout=60)
    for trial, work_dir in enumerate(work_dirs):
        assert sorted(outcomes[trial]) == ['acquired'] + ['refused'] * (RUNS - 1), f'trial {trial}: {outcomes[trial]}'
        assert json.loads((work_dir / LOCK_NAME).read_text())['pid'] in [run.pid for run in runs]


@pytest.mark.parametrize('content', ['42', 'null', '[]', '{"host": "x"}', '{"pid": null}', '{"pid": -1}',
                                     '{"pid": "12"}', '{"pid": true}', '{"pid": 1.5}', '{"pid'])
def test_a_damaged_lock_is_taken_as_stale_with_a_warning(tmp_path, content, monkeypatch):
    (tmp_path / LOCK_NAME).write_text(content)
    killed = []
    monkeypatch.setattr(work_dir_lock.os, 'kill', lambda pid, sig: killed.append(pid))  # never signal -1 or 0
    warnings = []
    monkeypatch.setattr(work_dir_lock, 'print_log', lambda message, **kwargs: warnings.append(message))
    with WorkDirLock(str(tmp_path)):
        assert json.loads((tmp_path / LOCK_NAME).read_text())['pid'] == os.getpid()
    assert killed == []
    assert len(warnings) == 1 and 'unreadable or damaged lock (taken as stale)' in warnings[0]
    assert str(tmp_path / LOCK_NAME) in warnings[0]
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_lock_that_cannot_be_removed_does_not_hide_the_error_that_ended_the_run(tmp_path, monkeypatch):
    warnings = []
    monkeypatch.setattr(work_dir_lock, 'print_log', lambda message, **kwargs: warnings.append(message))
    with pytest.raises(OSError, match='epoch_1.pth'):
        with WorkDirLock(str(tmp_path)):
            def unwritable(path):
                raise PermissionError(13, 'Permission denied', path)
            monkeypatch.setattr(work_dir_lock.os, 'remove', unwritable)  # the work dir became read-only
            raise OSError(28, 'No space left on device while writing epoch_1.pth')
    monkeypatch.undo()
    assert 'could not remove' in warnings[0] and LOCK_NAME in warnings[0] and 'Permission denied' in warnings[0]
