"""Resuming an epoch-based loop from a checkpoint saved within an epoch is refused before training continues
(mmengine restarts the epoch at its first batch: the run would repeat batches and take more iterations than
planned), unless allowed, then with a warning; a checkpoint at the end of an epoch resumes as before."""
import pytest
import torch

from helpers import TOY_REGRESSION_CONFIG, read_run_logs, run_training_in_process

# 32 samples in batches of 4: 8 iterations an epoch; a checkpoint every 4 iterations (iter_4.pth, iter_8.pth) or
# at the end of every epoch (epoch_1.pth)
EPOCHS = "_base_ = ['{base}']\ntrain_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs={epochs})\n"


@pytest.fixture(scope='module')
def epoch_run(tmp_path_factory):
    from mmengine.registry import DefaultScope
    scopes = dict(DefaultScope._instance_dict)  # the runners set one; conftest's per-test undo runs later
    root = tmp_path_factory.mktemp('epoch_run')
    for epochs in (1, 2):
        (root / f'toy_{epochs}e.py').write_text(EPOCHS.format(base=TOY_REGRESSION_CONFIG, epochs=epochs))
    run_training_in_process(root / 'toy_1e.py', root / 'run', 'default_hooks.checkpoint.interval=4')
    run_training_in_process(root / 'toy_1e.py', root / 'epochs', 'default_hooks.checkpoint.by_epoch=True',
                            'default_hooks.checkpoint.interval=1')
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(scopes)
    return root


def test_a_mid_epoch_checkpoint_is_refused_for_resuming_before_training_continues(epoch_run, tmp_path):
    with pytest.raises(RuntimeError) as refused:
        run_training_in_process(epoch_run / 'toy_2e.py', tmp_path, 'default_hooks.checkpoint.interval=4',
                                resume=str(epoch_run / 'run' / 'iter_4.pth'))
    message = str(refused.value)
    assert 'cannot resume exactly' in message and 'iter_4.pth was saved within epoch 1' in message
    assert '4 of the epoch\'s 8 iterations done' in message and 'end at iteration 20 instead of 16' in message
    assert 'allow_mid_epoch_resume=True' in message
    assert not list(tmp_path.glob('iter_*.pth'))  # refused before the first iteration
    # saved at the epoch's last iteration, but before its end: mmengine would train the whole epoch again
    with pytest.raises(RuntimeError, match="iter_8.pth was saved within epoch 1 .*8 of the epoch's 8 iterations"):
        run_training_in_process(epoch_run / 'toy_2e.py', tmp_path, 'default_hooks.checkpoint.interval=4',
                                resume=str(epoch_run / 'run' / 'iter_8.pth'))


def test_a_mid_epoch_resume_allowed_on_purpose_warns(epoch_run, tmp_path):
    run_training_in_process(epoch_run / 'toy_2e.py', tmp_path, 'default_hooks.checkpoint.interval=4',
                            'default_hooks.resume_state.allow_mid_epoch_resume=True',
                            resume=str(epoch_run / 'run' / 'iter_4.pth'))
    assert 'resuming inexactly (allow_mid_epoch_resume=True)' in read_run_logs(tmp_path)


def test_an_end_of_epoch_checkpoint_resumes(epoch_run, tmp_path):
    run_training_in_process(epoch_run / 'toy_2e.py', tmp_path, 'default_hooks.checkpoint.interval=4',
                            resume=str(epoch_run / 'epochs' / 'epoch_1.pth'))
    final = torch.load(tmp_path / 'iter_16.pth', weights_only=False)
    assert final['meta']['iter'] == 16  # as planned: 2 epochs of 8
