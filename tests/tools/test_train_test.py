"""tools/train.py, tools/test.py (and svm.utils.runner, which they call) on the toy regression task: config
inheritance, resume, checkpoint safety, tools/dist_train.sh and --auto-scale-lr."""
import argparse
import pickle

import pytest
import torch

from helpers import (REPO_ROOT, TOY_REGRESSION_CONFIG, assert_same_state, cfg_options, load_checkpoint_on_cpu,
                         run_testing_in_process, run_tool, train_toy)
from svm.utils.checkpoint import UnsafeCheckpointError
from svm.utils.runner import config_for_training


def test_config_inheritance_and_cfg_options_reach_built_objects(tmp_path):
    from mmengine.runner import Runner
    cfg = config_for_training(str(TOY_REGRESSION_CONFIG), cfg_options(
        'model.hidden=5', 'optim_wrapper.optimizer.betas=(0.5,0.6)', 'train_dataloader.batch_size=3',
        'param_scheduler.0.end=2', 'custom_hooks=[]'), work_dir=str(tmp_path))
    # inherited from toy_base.py, overridden by the child, then by --cfg-options
    assert cfg.model.in_features == 4 and cfg.model.hidden == 5
    runner = Runner.from_cfg(cfg)
    assert runner.model.mlp[0].out_features == 5
    # the runner builds these lazily at train(): build them as it does
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    assert runner.optim_wrapper.optimizer.param_groups[0]['betas'] == (0.5, 0.6)
    assert runner.build_param_scheduler(runner.param_schedulers)[0].end == 2
    assert runner.build_dataloader(runner.train_dataloader).batch_size == 3


def test_resume_continues_with_same_optimizer_and_scheduler_state(toy_run, tmp_path):
    interrupted = tmp_path / 'interrupted'
    # Stop after 4 of 6 iterations, then resume from the latest checkpoint in the work dir.
    train_toy(interrupted, '--cfg-options', 'train_cfg.max_iters=4')
    assert (interrupted / 'iter_4.pth').exists() and not (interrupted / 'iter_6.pth').exists()
    proc = train_toy(interrupted, '--resume')
    assert 'resumed epoch: 0, iter: 4' in proc.stdout + proc.stderr

    # the uninterrupted run
    a, b = load_checkpoint_on_cpu(toy_run / 'iter_6.pth'), load_checkpoint_on_cpu(interrupted / 'iter_6.pth')
    assert a['meta']['iter'] == b['meta']['iter'] == 6
    assert_same_state(a['state_dict'], b['state_dict'])
    assert_same_state(a['optimizer']['state'], b['optimizer']['state'])
    assert a['optimizer']['param_groups'][0]['lr'] == b['optimizer']['param_groups'][0]['lr']
    assert [s['last_step'] for s in a['param_schedulers']] == [s['last_step'] for s in b['param_schedulers']]

    # the TensorBoard backend of the default runtime writes its event file into the work dir
    assert list(interrupted.glob('*/vis_data/events.out.tfevents.*'))


def test_resume_from_explicit_path(toy_run, tmp_path):
    proc = train_toy(tmp_path, '--resume', toy_run / 'iter_2.pth')
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr
    assert (tmp_path / 'iter_6.pth').exists()


def test_test_tool_prints_the_metrics_and_writes_the_predictions(toy_test_run):
    assert 'mse:' in toy_test_run['log'] and 'count: 16' in toy_test_run['log']
    assert len(pickle.loads(toy_test_run['out'].read_bytes())) == 16  # one (prediction, target) per sample


def test_tools_refuse_unsafe_checkpoint_and_accept_opt_in(toy_run, tmp_path):
    ckpt = load_checkpoint_on_cpu(toy_run / 'iter_2.pth')
    ckpt['meta']['args'] = argparse.Namespace(note='saved by an old script')
    legacy = tmp_path / 'legacy.pth'
    torch.save(ckpt, legacy)
    # refused by what tools/test.py runs (in this process); accepted by the tool with --trust-checkpoint
    with pytest.raises(UnsafeCheckpointError, match='argparse.Namespace'):
        run_testing_in_process(TOY_REGRESSION_CONFIG, legacy, tmp_path / 'refused')
    proc = run_tool(['python', 'tools/test.py', TOY_REGRESSION_CONFIG, '--checkpoint', legacy, '--work-dir',
                     tmp_path / 't', '--trust-checkpoint'])
    assert 'count: 16' in proc.stdout + proc.stderr


def test_dist_train_runs_two_cpu_processes_that_train_together(toy_dist_run):
    log, work_dir = toy_dist_run['log'], toy_dist_run['work_dir']
    # mmengine logs the world size as "GPU number" whatever the device
    assert 'Distributed training: True' in log and 'GPU number: 2' in log, log[-3000:]
    # Each rank saw its own half of the data; only synchronised gradients keep the weights identical.
    final0, final1 = torch.load(work_dir / 'rank0_final.pth'), torch.load(work_dir / 'rank1_final.pth')
    assert_same_state(final0, final1)
    init0 = torch.load(work_dir / 'rank0_init.pth')
    assert not torch.equal(init0['mlp.0.weight'], final0['mlp.0.weight'])


@pytest.mark.parametrize('world_size,batch_size', [(1, 4), (2, 3), (8, 2)])
def test_auto_scale_lr_scales_by_world_size_times_batch_over_base(tmp_path, world_size, batch_size):
    """--auto-scale-lr: every group's lr times (world size x batch size) / base batch."""
    from mmengine.runner import Runner

    def lrs(auto_scale_lr=False):
        cfg = config_for_training(str(TOY_REGRESSION_CONFIG), cfg_options(
            'auto_scale_lr.base_batch_size=16', f'train_dataloader.batch_size={batch_size}',
            'optim_wrapper.paramwise_cfg.bias_lr_mult=0.5'), work_dir=str(tmp_path), auto_scale_lr=auto_scale_lr)
        runner = Runner.from_cfg(cfg)
        runner._world_size = world_size  # as the launcher would set it; mmengine's scale_lr reads it
        optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
        runner.scale_lr(optim_wrapper, runner.auto_scale_lr)  # what Runner.train() does at this point
        return [group['lr'] for group in optim_wrapper.optimizer.param_groups]

    base = lrs()
    assert sorted(set(base)) == [0.005, 0.01]  # two groups: the scaling applies to each
    scaled = lrs(auto_scale_lr=True)
    assert scaled == pytest.approx([lr * world_size * batch_size / 16 for lr in base])


def test_auto_scale_lr_needs_a_base_batch(tmp_path):
    with pytest.raises(KeyError, match=r'auto_scale_lr = dict\(base_batch_size=N\)'):
        config_for_training(str(TOY_REGRESSION_CONFIG), work_dir=str(tmp_path), auto_scale_lr=True)


def test_configs_that_set_a_batch_give_its_base():
    """Every shipped training config names the total batch its lr is for: the batch of its file name
    (8xb2: 8 processes x 2) or, for the single-process tiny configs, its own train batch."""
    import re

    from mmengine.config import Config
    for path in sorted((REPO_ROOT / 'configs').glob('*/svm/*.py')):
        cfg = Config.fromfile(str(path))
        if 'train_dataloader' not in cfg or path.name.endswith(('_test-mot17halfval.py', '_test-mot17test.py')):
            continue
        base = cfg.auto_scale_lr['base_batch_size']
        named = re.search(r'_(\d+)xb(\d+)', path.name)
        if named and named.group(1) != '1':
            assert base == int(named.group(1)) * int(named.group(2)), path.name
        elif 'tiny' in path.name or path.name.startswith('demo_'):
            assert base == cfg.train_dataloader.batch_size, path.name
        else:
            assert base == 8 * cfg.train_dataloader.batch_size, path.name  # the 8-GPU recipes
