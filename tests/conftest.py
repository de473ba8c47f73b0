"""Fixtures of the whole suite. The helpers they use, and the tests' other shared code, are in svm.testing."""
import functools
from pathlib import Path
from typing import Callable, Dict, List

import pytest

from svm.testing import tiny_mot_sources, write_converted_tiny_mot, write_still_image_json, write_toy_videos


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
    ``dict(root=<data root>, gts={seq name: gt rows})`` (svm.testing.mot.write_tiny_mot)."""
    root = str(tmp_path_factory.mktemp('tiny_mot'))
    return dict(root=root, gts=write_converted_tiny_mot(root))


@pytest.fixture(scope='session')
def tiny_mot_clip_sources(tiny_mot, tmp_path_factory) -> Callable[[list], List[dict]]:
    """``pipeline -> dataset configs`` of a MOT training mix over the tiny data: its half-train video frames
    (14) and four of its frames as still images (4) (svm.testing.mot.tiny_mot_sources)."""
    still = write_still_image_json(tiny_mot['root'], str(tmp_path_factory.mktemp('still') / 'still.json'))
    return functools.partial(tiny_mot_sources, tiny_mot['root'], still)


@pytest.fixture(scope='session')
def toy_videos(tmp_path_factory) -> Dict[str, Path]:
    """The two-class toy data set of real .mp4 and .webm files and its mmaction2 lists
    (svm.testing.toy_videos): ``dict(root=..., train=<list>, val=<list>)``."""
    return write_toy_videos(tmp_path_factory.mktemp('toy_videos'))
