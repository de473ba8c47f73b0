"""Overrides, configs and hook arguments that cannot work are refused before anything runs, naming the
file, key or value and what would work (svm.utils.config_checks)."""
import re

import pytest
from mmengine.config import Config

from helpers import REPO_ROOT, TINY_MOT_CONFIG, TOY_REGRESSION_CONFIG, run_training_in_process
from svm.utils.config_checks import check_hook_args, check_override_keys, load_config


def test_syntax_error_names_the_base_file_and_line(tmp_path):
    (tmp_path / 'base.py').write_text('model = dict(type="ToyRegressor",\n    hidden=8))\n')
    (tmp_path / 'child.py').write_text("_base_ = ['./base.py']\nmodel = dict(hidden=4)\n")
    with pytest.raises(SyntaxError, match=r'base\.py, line 2: .*hidden=8\)\)'):
        load_config(str(tmp_path / 'child.py'))
    (tmp_path / 'own.py').write_text('x = [1,\n')
    with pytest.raises(SyntaxError, match=r'own\.py, line 1'):
        load_config(str(tmp_path / 'own.py'))


def test_circular_base_files_are_named_in_order(tmp_path):
    (tmp_path / 'a.py').write_text("_base_ = ['./b.py']\nx = 1\n")
    (tmp_path / 'b.py').write_text("_base_ = ['./c.py']\ny = 2\n")
    (tmp_path / 'c.py').write_text("_base_ = './a.py'\nz = 3\n")
    (tmp_path / 'child.py').write_text("_base_ = ['./a.py']\n")
    with pytest.raises(ValueError) as refused:
        load_config(str(tmp_path / 'child.py'))
    a, b, c = (str(tmp_path / name) for name in ('a.py', 'b.py', 'c.py'))
    assert f'inherit from each other in a circle: {a} -> {b} -> {c} -> {a}' in str(refused.value)
    assert refused.value.__context__ is None  # found before mmengine recursed: one line, not 2,500


@pytest.mark.parametrize('value, shown', [('9' * 5000, 'inf'), ('-1', '-1'), ('2.5', '2.5'), ('nan', 'nan'),
                                          (str(2**70), str(2**70))])
def test_a_loop_count_that_is_no_whole_number_is_refused_naming_the_key(tmp_path, value, shown):
    with pytest.raises(ValueError, match=rf'train_cfg.max_iters in config .*toy_regression.py is {shown}: expected '
                                         'a whole number'):
        run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path, f'train_cfg.max_iters={value}')
    assert not list(tmp_path.glob('*.pth'))


def test_override_of_a_parse_time_variable_is_refused_naming_the_keys_that_take_effect():
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    with pytest.raises(KeyError, match=r"'data_root' is a variable of config .* would change nothing; override the "
                                       r'keys that hold its value instead: train_dataloader\.dataset\.dataset\.datasets'
                                       r'\.0\.data_root, val_dataloader\.dataset\.data_root'):
        check_override_keys(cfg, {'data_root': '/nonexistent'})
    with pytest.raises(KeyError, match=r"'max_epochs' is a variable .* instead: train_cfg\.max_epochs"):
        check_override_keys(cfg, {'max_epochs': 3})
    check_override_keys(cfg, {'train_cfg.max_epochs': 3, 'val_dataloader.dataset.data_root': '/x'})


def test_typo_suggests_the_full_dotted_path():
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    with pytest.raises(KeyError, match=r"has no key 'max_epoch'; did you mean train_cfg\.max_epochs"):
        check_override_keys(cfg, {'max_epoch': 3})


def test_misspelt_key_below_the_top_level_is_refused_with_the_argument_meant():
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    with pytest.raises(KeyError, match=r"model\.detector\.backbone \(SViT\) in config .* takes no argument "
                                       r"'memry_len'; did you mean model\.detector\.backbone\.memory_len"):
        check_override_keys(cfg, {'model.detector.backbone.memry_len': 8})
    with pytest.raises(KeyError, match=r"model \(StreamingByteTrack\) .* no argument 'detectr'.*model\.detector\?"):
        check_override_keys(cfg, {'model.detectr.backbone.memory_len': 8})  # the misspelt part above the leaf


def test_new_arguments_of_the_built_class_are_accepted():
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    # not in the config, but arguments of the classes the dicts build (or taken off by mmengine's builders)
    check_override_keys(cfg, {'model.detector.backbone.with_cp': True, 'model.detector.backbone.window_size': 4,
                              'optim_wrapper.paramwise_cfg.norm_decay_mult': 0.,
                              'param_scheduler.0.convert_to_iter_based': True,
                              'env_cfg.anything': 1})  # an untyped dict: nothing says which keys it takes


def test_arguments_are_those_of_a_type_overridden_alongside():
    """Logging to Weights & Biases in place of TensorBoard: init_kwargs is WandbVisBackend's argument, not the
    replaced TensorboardVisBackend's; a misspelt one is still refused, naming the new type."""
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    assert cfg.visualizer.vis_backends[1].type == 'TensorboardVisBackend'
    wandb = {'visualizer.vis_backends.1.type': 'WandbVisBackend'}
    check_override_keys(cfg, {**wandb, 'visualizer.vis_backends.1.init_kwargs.project': 'svm'})
    with pytest.raises(KeyError, match=r"vis_backends\.1 \(WandbVisBackend\) .* no argument 'init_kwarg'"):
        check_override_keys(cfg, {**wandb, 'visualizer.vis_backends.1.init_kwarg.project': 'svm'})
    assert cfg.visualizer.vis_backends[1].type == 'TensorboardVisBackend'  # the check changes nothing


def test_misspelled_hook_argument_is_refused_before_training(monkeypatch):
    cfg = Config.fromfile(TOY_REGRESSION_CONFIG)
    cfg.merge_from_dict({'default_hooks.checkpoint.intervl': 1})
    with pytest.raises(TypeError, match=r"default_hooks\.checkpoint \(\w*CheckpointHook\) .* 'intervl' \(did you mean "
                                        r"'interval'\?\)"):
        check_hook_args(cfg)
    cfg = Config.fromfile(TOY_REGRESSION_CONFIG)
    cfg.merge_from_dict({'default_hooks.checkpoint.save_optimizer': False, 'default_hooks.logger.interval': 2})
    check_hook_args(cfg)  # CheckpointHook passes save_checkpoint's arguments on: accepted


def test_non_numeric_optimizer_value_is_refused_before_training(tmp_path):
    with pytest.raises(TypeError, match=re.escape(
            "optim_wrapper.optimizer.lr must be a number (or a tuple of numbers), got '1e-3x' (str)")):
        run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path, 'optim_wrapper.optimizer.lr=1e-3x')
    assert not (tmp_path / 'iter_2.pth').exists()


def test_negative_window_size_is_refused_when_the_model_is_built():
    from svm.models.backbones import SViT
    with pytest.raises(ValueError, match=r'window_size must be None, 0 \(global attention\) or a positive int per '
                                         r'block, got -3'):
        SViT(arch=dict(embed_dims=32, num_layers=2, num_heads=2, patch_size=8), img_size=32, window_size=-3,
             with_cls_token=False)


def test_every_shipped_config_passes_the_hook_check():
    import glob
    paths = sorted(glob.glob(str(REPO_ROOT / 'configs' / '**' / '*.py'), recursive=True))
    paths = [p for p in paths if '/_base_/' not in p]
    assert len(paths) > 20
    for path in paths:
        check_hook_args(Config.fromfile(path))
