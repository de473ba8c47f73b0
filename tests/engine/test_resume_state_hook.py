"""A killed MOT training resumed with --resume ends with the weights of an uninterrupted run, bit for bit:
random augmentation, BatchSyncRandomResize's size, the sampler's seed, the last-epoch
mode switch and EMA all continue where the killed run left them."""
import random
import signal
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from svm.engine.hooks.resume_state_hook import ResumeStateHook, get_rng_state
from helpers import TINY_MOT_CONFIG, assert_same_state, load_checkpoint_on_cpu, run_tool, tiny_data_options

EMA = "dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0001, update_buffers=True, priority=49)"


def test_killed_mot_training_resumed_ends_with_the_weights_of_an_uninterrupted_run(tiny_mot, tmp_path):
    config, killing = tmp_path / 'with_ema.py', tmp_path / 'killing.py'
    config.write_text(f"_base_ = ['{TINY_MOT_CONFIG}']\ncustom_hooks = _base_.custom_hooks + [{EMA}]\n")
    # 7 iterations an epoch on the tiny data: die in the second iteration of epoch 2, the mode-switch epoch
    killing.write_text(f"_base_ = ['{config}']\n"
                       "custom_imports = dict(imports=['svm.tasks.mot', 'helpers.toy_task'])\n"
                       "custom_hooks = _base_.custom_hooks + [dict(type='KillAtIterHook', iteration=9)]\n")
    # a checkpoint every epoch to resume from; no validation: the weights are what is compared
    options = [*tiny_data_options(tiny_mot['root']), 'default_hooks.checkpoint.interval=1',
               'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']

    def train(cfg, work_dir, *args, seed=None, check=True):
        return run_tool(['python', 'tools/train.py', cfg, '--work-dir', work_dir, *args, '--cfg-options',
                         *options, f'randomness.seed={seed}'], check=check)

    # without a seed the killed run draws one: --resume must carry it on (the sampler's too)
    killed = tmp_path / 'killed'
    assert train(killing, killed, check=False).returncode == -signal.SIGKILL
    assert (killed / 'epoch_1.pth').exists() and not (killed / 'epoch_2.pth').exists()
    seed = load_checkpoint_on_cpu(killed / 'epoch_1.pth')['meta']['seed']
    # at once: the resumed run, and two uninterrupted ones with the seed the killed run drew
    with ThreadPoolExecutor(3) as pool:
        runs = [pool.submit(train, config, killed, '--resume')] + [
            pool.submit(train, config, tmp_path / name, seed=seed) for name in ('full', 'again')]
        logs = [run.result() for run in runs]
    assert 'resumed epoch: 1, iter: 7' in logs[0].stdout + logs[0].stderr
    resumed, full, again = (load_checkpoint_on_cpu(tmp_path / n / 'epoch_2.pth') for n in ('killed', 'full', 'again'))
    for key in ('state_dict', 'ema_state_dict'):
        assert_same_state(full[key], again[key])  # uninterrupted runs repeat: the comparison means something
        assert_same_state(full[key], resumed[key])


def test_validation_leaves_the_generators_where_training_left_them():
    # mmengine validates after it saves the epoch's checkpoint; a resumed run does not repeat that validation
    hook, before = ResumeStateHook(), get_rng_state()
    hook.before_val(None)
    random.random(), np.random.rand(), torch.rand(1)
    hook.after_val(None)
    assert_same_state(before, get_rng_state())
