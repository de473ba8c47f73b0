"""Config-time pipeline edits: a child config's own step arguments in its base's pipelines."""
import pytest
from mmengine.config import Config

from svm.utils.pipeline_config import drop_steps, pipeline_steps, set_step_args

PIPELINE = [
    dict(type='Guard', transforms=[dict(type='Sample', clip_len=16, interval=4), dict(type='Decode')]),
    dict(type='Resize', scale=(224, 224)),
    dict(type='Pad', size_divisor=32),
]


def test_set_step_args_reaches_nested_steps_and_leaves_the_base_alone():
    train, test = set_step_args([PIPELINE, PIPELINE[:2]], dict(Sample=dict(clip_len=8), Resize=dict(scale=(64, 64))))
    assert train[0]['transforms'][0] == dict(type='Sample', clip_len=8, interval=4)
    assert train[1]['scale'] == (64, 64) and test[1]['scale'] == (64, 64)
    assert train[2] == PIPELINE[2]
    assert PIPELINE[0]['transforms'][0]['clip_len'] == 16 and PIPELINE[1]['scale'] == (224, 224)


def test_set_step_args_names_a_type_no_pipeline_has():
    with pytest.raises(ValueError, match=r"no step of type \['SampleFrame'\].*'Sample'"):
        set_step_args([PIPELINE], dict(SampleFrame=dict(clip_len=8)))


def test_drop_steps_removes_nested_steps():
    (dropped, ) = drop_steps([PIPELINE], ['Pad', 'Decode'])
    assert [s['type'] for s in pipeline_steps(dropped)] == ['Guard', 'Sample', 'Resize']


def test_a_config_imports_them_and_inherits_nothing_callable(tmp_path):
    """mmengine parses a config that imports them after its `_base_` line as a plain Python config; the function
    does not end up in the config."""
    (tmp_path / 'base.py').write_text(f'pipeline = {PIPELINE!r}\n')
    (tmp_path / 'child.py').write_text(
        "_base_ = ['./base.py']\n"
        'from svm.utils.pipeline_config import set_step_args  # noqa: E402\n'
        "(pipeline, ) = set_step_args([_base_.pipeline], dict(Resize=dict(scale=(32, 32))))\n")
    cfg = Config.fromfile(str(tmp_path / 'child.py'))
    assert cfg.pipeline[1].scale == (32, 32) and 'set_step_args' not in cfg
