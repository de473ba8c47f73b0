"""Fixtures of the whole suite. The helpers they use, and the tests' other shared code, are in helpers."""
import functools
import signal
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from svm.utils.setup_env import register_all_modules
from helpers import (TOY_REGRESSION_CONFIG, free_port, run_tool, tiny_mot_sources, train_toy,
                         write_converted_tiny_mot, write_still_image_json, write_toy_videos)

# Tests build svm's types directly, not only through configs (whose custom_imports register them), as
# mmdet's and mmaction2's tests register theirs; what each task registers is tested in a fresh interpreter.
register_all_modules()


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """Undo the default scope a test sets (init_default_scope, a Runner): mmengine keeps it globally and
    builds every later config in it."""
    from mmengine.registry import DefaultScope
    saved = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


@pytest.fixture(scope='session')
def tiny_mot(tmp_path_factory) -> dict:
    """Tiny MOT sequences converted as mot2coco.py --split-train --convert-det converts them:
    ``dict(root=<data root>, gts={seq name: gt rows})`` (helpers.mot.write_tiny_mot)."""
    root = str(tmp_path_factory.mktemp('tiny_mot'))
    return dict(root=root, gts=write_converted_tiny_mot(root))


@pytest.fixture(scope='session')
def tiny_mot_clip_sources(tiny_mot, tmp_path_factory) -> Callable[[list], List[dict]]:
    """``pipeline -> dataset configs`` of a MOT training mix over the tiny data: its half-train video frames
    (14) and four of its frames as still images (4) (helpers.mot.tiny_mot_sources)."""
    still = write_still_image_json(tiny_mot['root'], str(tmp_path_factory.mktemp('still') / 'still.json'))
    return functools.partial(tiny_mot_sources, tiny_mot['root'], still)


@pytest.fixture(scope='session')
def toy_videos(tmp_path_factory) -> Dict[str, Path]:
    """The two-class toy data set of real .mp4 and .webm files and its mmaction2 lists
    (svm.datasets.synthetic.toy_videos): ``dict(root=..., train=<list>, val=<list>)``."""
    return write_toy_videos(tmp_path_factory.mktemp('toy_videos'))


# Runs of the toy regression task (helpers.toy_task) through the tools, each made once for the tests that
# check different things about it. They are read only: a test that resumes or damages a run copies it first
# (helpers.copy_work_dir).
@pytest.fixture(scope='session')
def toy_run(tmp_path_factory) -> Path:
    """Work dir of ``python tools/train.py`` on the toy regression config, uninterrupted: 6 iterations,
    ``iter_{2,4,6}.pth``, ``rank0_{init,final}.pth`` (SaveRankWeightsHook)."""
    work_dir = tmp_path_factory.mktemp('toy_run')
    train_toy(work_dir)
    return work_dir


@pytest.fixture(scope='session')
def toy_killed_run(tmp_path_factory) -> Path:
    """Work dir of the same training SIGKILLed after iteration 5 (KillAtIterHook): ``iter_4.pth`` is its last
    checkpoint; its lock names a dead process."""
    root = tmp_path_factory.mktemp('toy_killed_run')
    work_dir, crashing = root / 'work', root / 'crashing.py'
    crashing.write_text(f"_base_ = ['{TOY_REGRESSION_CONFIG}']\n"
                        "custom_hooks = [dict(type='KillAtIterHook', iteration=5)]\n")
    proc = run_tool(['python', 'tools/train.py', crashing, '--work-dir', work_dir], check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert (work_dir / 'iter_4.pth').exists() and not (work_dir / 'iter_6.pth').exists()
    return work_dir


@pytest.fixture(scope='session')
def toy_dist_run(tmp_path_factory) -> dict:
    """``bash tools/dist_train.sh`` on the toy regression config with 2 CPU processes (gloo), batch 4 each:
    ``dict(work_dir=..., log=<stdout and stderr>)``."""
    work_dir = tmp_path_factory.mktemp('toy_dist_run')
    proc = run_tool(['bash', 'tools/dist_train.sh', TOY_REGRESSION_CONFIG, '2', '--work-dir', work_dir],
                    env={'PORT': str(free_port())})
    return dict(work_dir=work_dir, log=proc.stdout + proc.stderr)


@pytest.fixture(scope='session')
def toy_test_run(toy_run, tmp_path_factory) -> dict:
    """``python tools/test.py`` on ``iter_6.pth`` of :func:`toy_run` with ``--out``:
    ``dict(checkpoint=..., out=<the predictions pickle>, log=<stdout and stderr>)``."""
    work_dir = tmp_path_factory.mktemp('toy_test_run')
    checkpoint, out = toy_run / 'iter_6.pth', work_dir / 'preds.pkl'
    proc = run_tool(['python', 'tools/test.py', TOY_REGRESSION_CONFIG, '--checkpoint', checkpoint,
                     '--work-dir', work_dir, '--out', out])
    return dict(checkpoint=checkpoint, out=out, log=proc.stdout + proc.stderr)
