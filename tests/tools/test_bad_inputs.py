"""Bad configs, overrides and checkpoints end in a message that names the culprit. The tools print the error
they raise: the messages are checked on what tools/train.py and tools/test.py run, in this process
(helpers.run_training_in_process), and on the command line for the missing checkpoint."""
import pytest

from helpers import TOY_REGRESSION_CONFIG, run_testing_in_process, run_tool, run_training_in_process


def test_misspelled_type_names_it_and_the_registry(tmp_path):
    with pytest.raises(KeyError, match='ToyRegresor is not in the mmengine::model registry'):
        run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path, 'model.type=ToyRegresor')


def test_misspelled_module_argument_is_refused_with_a_suggestion(tmp_path):
    with pytest.raises(KeyError, match=r"model \(ToyRegressor\) .* no argument 'hiden'; did you mean model\.hidden"):
        run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path, 'model.hiden=3')
    assert not list(tmp_path.iterdir())  # before the run


def test_misspelled_top_level_override_is_refused_with_a_suggestion(tmp_path):
    with pytest.raises(KeyError, match="has no key 'train_dataloder'; did you mean train_dataloader"):
        run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path, 'train_dataloder.batch_size=2')
    # keys the Runner reads are accepted even where the config leaves them out
    run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path, 'train_cfg.max_iters=1', 'find_unused_parameters=False')
    assert (tmp_path / 'iter_1.pth').exists()


def test_checkpoint_that_does_not_fit_names_the_mismatched_keys(toy_run, tmp_path):
    with pytest.raises(KeyError, match=r'does not fit the model.*mlp\.0\.weight \(16, 4\) vs model \(12, 4\)'):
        run_testing_in_process(TOY_REGRESSION_CONFIG, toy_run / 'iter_2.pth', tmp_path / 't', 'model.hidden=12')


def test_missing_checkpoint_is_named(tmp_path):
    proc = run_tool(['python', 'tools/test.py', TOY_REGRESSION_CONFIG, '--checkpoint', tmp_path / 'nope.pth',
                     '--work-dir', tmp_path / 't'], check=False)
    assert proc.returncode != 0 and f'checkpoint file not found: {tmp_path / "nope.pth"}' in proc.stderr
