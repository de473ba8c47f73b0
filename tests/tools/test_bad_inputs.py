"""Bad configs, overrides and checkpoints end in a message that names the culprit."""
from svm.testing import TOY_REGRESSION_CONFIG, run_tool, train_toy


def test_misspelled_type_names_it_and_the_registry(tmp_path):
    proc = run_tool(['python', 'tools/train.py', TOY_REGRESSION_CONFIG, '--work-dir', tmp_path,
                     '--cfg-options', 'model.type=ToyRegresor'], check=False)
    assert proc.returncode != 0
    assert 'ToyRegresor is not in the mmengine::model registry' in proc.stderr


def test_misspelled_module_argument_names_it(tmp_path):
    proc = run_tool(['python', 'tools/train.py', TOY_REGRESSION_CONFIG, '--work-dir', tmp_path,
                     '--cfg-options', 'model.hiden=3'], check=False)
    assert proc.returncode != 0 and "unexpected keyword argument 'hiden'" in proc.stderr


def test_misspelled_top_level_override_is_refused_with_a_suggestion(tmp_path):
    proc = run_tool(['python', 'tools/train.py', TOY_REGRESSION_CONFIG, '--work-dir', tmp_path,
                     '--cfg-options', 'train_dataloder.batch_size=2'], check=False)
    assert proc.returncode != 0
    assert "has no key 'train_dataloder'; did you mean train_dataloader" in proc.stderr
    # keys the Runner reads are accepted even where the config leaves them out
    train_toy(tmp_path, '--cfg-options', 'train_cfg.max_iters=1', 'find_unused_parameters=False')


def test_checkpoint_that_does_not_fit_names_the_mismatched_keys(tmp_path):
    train_toy(tmp_path, '--cfg-options', 'train_cfg.max_iters=2')
    proc = run_tool(['python', 'tools/test.py', TOY_REGRESSION_CONFIG, '--checkpoint', tmp_path / 'iter_2.pth',
                     '--work-dir', tmp_path / 't', '--cfg-options', 'model.hidden=12'], check=False)
    assert proc.returncode != 0
    assert 'does not fit the model' in proc.stderr
    assert 'mlp.0.weight (16, 4) vs model (12, 4)' in proc.stderr


def test_missing_checkpoint_is_named(tmp_path):
    proc = run_tool(['python', 'tools/test.py', TOY_REGRESSION_CONFIG, '--checkpoint', tmp_path / 'nope.pth',
                     '--work-dir', tmp_path / 't'], check=False)
    assert proc.returncode != 0 and f'checkpoint file not found: {tmp_path / "nope.pth"}' in proc.stderr
