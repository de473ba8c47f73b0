"""tools/misc/print_config.py: the resolved config (svm.utils.config_checks.resolve_config), with svm's checks
of the overrides."""
import re

import pytest

from helpers import TINY_MOT_CONFIG, run_tool
from svm.utils.config_checks import resolve_config


def test_prints_resolved_config_with_overrides(tmp_path):
    saved = tmp_path / 'resolved.py'
    proc = run_tool(['python', 'tools/misc/print_config.py', TINY_MOT_CONFIG, '--cfg-options',
                     'model.detector.backbone.memory_len=7', 'train_dataloader.batch_size=5', '--save-path', saved])
    text = resolve_config(TINY_MOT_CONFIG, {'model.detector.backbone.memory_len': 7,
                                            'train_dataloader.batch_size': 5}).pretty_text
    out = proc.stdout
    assert out.startswith('Config:\n') and text in out and f'saved to {saved}' in out
    # _base_ merged (the tracker comes from configs/_base_/models/bytetrack_svit-b16_yolox.py), overrides applied
    assert "type='ByteTracker'" in text and 'memory_len=7' in text and 'batch_size=5' in text
    from mmengine.config import Config
    resolved = Config.fromfile(str(saved))
    assert resolved.model.detector.backbone.memory_len == 7 and resolved.train_dataloader.batch_size == 5


def test_refuses_typo_and_parse_time_variable():
    with pytest.raises(KeyError, match=r'has no key .*did you mean .*train_dataloader'):
        resolve_config(TINY_MOT_CONFIG, {'train_dataloadr.batch_size': 5})
    with pytest.raises(KeyError, match=r"'max_epochs' is a variable of config.*train_cfg.max_epochs"):
        resolve_config(TINY_MOT_CONFIG, {'max_epochs': 3})


def test_syntax_error_names_file_and_line(tmp_path):
    base = tmp_path / 'base.py'
    base.write_text('a = 1\nb = dict(x=1,,)\n')
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['./base.py']\nc = 2\n")
    with pytest.raises(SyntaxError, match=re.escape(f'{base}, line 2')):
        resolve_config(str(child))


def test_refuses_misspelt_module_argument():
    with pytest.raises(KeyError, match=r"\(SViT\) .* no argument 'memry_len'; did you mean .*backbone\.memory_len"):
        resolve_config(TINY_MOT_CONFIG, {'model.detector.backbone.memry_len': 8})
