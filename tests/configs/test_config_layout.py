"""The layout of configs/: at most three levels of inheritance (a config, its base, the base's base), as
OpenMMLab's guideline asks, so a reader finds every setting of a config in at most three files."""
from pathlib import Path
from typing import List

import pytest

from helpers import REPO_ROOT
from svm.utils.config_checks import _base_files

CONFIGS = sorted((REPO_ROOT / 'configs').rglob('*.py'))
MAX_LEVELS = 3


def longest_chain(path: str) -> List[str]:
    """The longest chain of files from ``path`` through its ``_base_`` files, ``path`` first."""
    chains = [longest_chain(base) for base in _base_files(path)]
    return [path] + max(chains, key=len, default=[])


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: str(p.relative_to(REPO_ROOT / 'configs')))
def test_inheritance_is_at_most_three_levels(config: Path):
    chain = [str(Path(p).relative_to(REPO_ROOT)) for p in longest_chain(str(config))]
    assert len(chain) <= MAX_LEVELS, ' -> '.join(chain)


def test_the_check_sees_a_deeper_chain(tmp_path):
    for level in range(4):
        base = f"_base_ = ['./level{level + 1}.py']\n" if level < 3 else ''
        (tmp_path / f'level{level}.py').write_text(base + f'x{level} = {level}\n')
    assert len(longest_chain(str(tmp_path / 'level0.py'))) == 4
