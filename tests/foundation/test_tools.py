"""tools/train.py, tools/test.py, resume, checkpoint safety and tools/dist_train.sh on a toy task."""
import importlib.util
import os

import pytest
import torch

from tests.conftest import REPO_ROOT, free_port, run_tool

TOY_DIR = REPO_ROOT / 'tests' / 'foundation' / 'toy'
TOY_CONFIG = TOY_DIR / 'toy_regression.py'
TOY_ENV = {'PYTHONPATH': f'{REPO_ROOT}{os.pathsep}{TOY_DIR}'}


def load_tool(name):
    spec = importlib.util.spec_from_file_location(f'svm_tool_{name}', REPO_ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train(work_dir, *extra):
    return run_tool(['python', 'tools/train.py', TOY_CONFIG, '--work-dir', work_dir, *extra], env=TOY_ENV)


def test_config_inheritance_and_cfg_options_reach_built_objects(tmp_path, monkeypatch):
    from mmengine.runner import Runner
    monkeypatch.syspath_prepend(str(TOY_DIR))
    train_tool = load_tool('train')
    args = train_tool.parse_args([
        str(TOY_CONFIG), '--work-dir', str(tmp_path), '--cfg-options', 'model.hidden=5',
        'optim_wrapper.optimizer.betas=(0.5,0.6)', 'train_dataloader.batch_size=3',
        'param_scheduler.0.end=2', 'custom_hooks=[]'
    ])
    cfg = train_tool.setup_cfg(args)
    # inherited from toy_base.py, overridden by the child, then by --cfg-options
    assert cfg.model.in_features == 4 and cfg.model.hidden == 5
    runner = Runner.from_cfg(cfg)
    assert runner.model.mlp[0].out_features == 5
    # the runner builds these lazily at train(): build them as it does
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    assert runner.optim_wrapper.optimizer.param_groups[0]['betas'] == (0.5, 0.6)
    assert runner.build_param_scheduler(runner.param_schedulers)[0].end == 2
    assert runner.build_dataloader(runner.train_dataloader).batch_size == 3


def _checkpoint(path):
    from svm.utils.checkpoint import load_checkpoint_file
    return load_checkpoint_file(str(path), map_location='cpu')


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], dict):
            _assert_same_state(a[key], b[key])
        elif isinstance(a[key], torch.Tensor):
            torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)
        else:
            assert a[key] == b[key], key


def test_resume_continues_with_same_optimizer_and_scheduler_state(tmp_path):
    full, interrupted = tmp_path / 'full', tmp_path / 'interrupted'
    train(full)
    # Stop after 4 of 6 iterations, then resume from the latest checkpoint in the work dir.
    train(interrupted, '--cfg-options', 'train_cfg.max_iters=4')
    assert (interrupted / 'iter_4.pth').exists() and not (interrupted / 'iter_6.pth').exists()
    proc = train(interrupted, '--resume')
    assert 'resumed epoch: 0, iter: 4' in proc.stdout + proc.stderr

    a, b = _checkpoint(full / 'iter_6.pth'), _checkpoint(interrupted / 'iter_6.pth')
    assert a['meta']['iter'] == b['meta']['iter'] == 6
    _assert_same_state(a['state_dict'], b['state_dict'])
    _assert_same_state(a['optimizer']['state'], b['optimizer']['state'])
    assert a['optimizer']['param_groups'][0]['lr'] == b['optimizer']['param_groups'][0]['lr']
    assert [s['last_step'] for s in a['param_schedulers']] == [s['last_step'] for s in b['param_schedulers']]

    # the TensorBoard backend of the default runtime writes its event file into the work dir
    assert list(interrupted.glob('*/vis_data/events.out.tfevents.*'))


def test_resume_from_explicit_path_and_test_tool(tmp_path):
    train(tmp_path, '--cfg-options', 'train_cfg.max_iters=2')
    proc = train(tmp_path / 'resumed', '--resume', tmp_path / 'iter_2.pth')
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr
    out = tmp_path / 'preds.pkl'
    proc = run_tool(['python', 'tools/test.py', TOY_CONFIG, '--checkpoint', tmp_path / 'resumed' / 'iter_6.pth',
                     '--work-dir', tmp_path / 'test', '--out', out], env=TOY_ENV)
    assert 'mse:' in proc.stdout + proc.stderr and 'count: 16' in proc.stdout + proc.stderr
    assert out.exists()


class Payload:
    """Unpickling this would run ``touch <marker>``: exactly what weights_only=True must prevent."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_unsafe_pickle_refused_unless_trusted(tmp_path):
    import argparse

    from svm.utils.checkpoint import UnsafeCheckpointError, load_checkpoint_file, set_trust_checkpoints
    marker = tmp_path / 'pwned'
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': {'payload': Payload(marker)}}, evil)
    with pytest.raises(UnsafeCheckpointError, match=r'posix\.system|os\.system'):
        load_checkpoint_file(str(evil))
    assert not marker.exists()

    legacy = tmp_path / 'legacy.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': {'args': argparse.Namespace(lr=0.1)}}, legacy)
    with pytest.raises(UnsafeCheckpointError, match='argparse.Namespace') as info:
        load_checkpoint_file(str(legacy))
    assert '--trust-checkpoint' in str(info.value) and str(legacy) in str(info.value)
    set_trust_checkpoints(True)
    try:
        assert load_checkpoint_file(str(legacy))['meta']['args'].lr == 0.1
    finally:
        set_trust_checkpoints(False)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_checkpoint_file(str(tmp_path / 'missing.pth'))


def test_tools_refuse_unsafe_checkpoint_and_accept_opt_in(tmp_path):
    train(tmp_path, '--cfg-options', 'train_cfg.max_iters=2')
    ckpt = _checkpoint(tmp_path / 'iter_2.pth')
    import argparse
    ckpt['meta']['args'] = argparse.Namespace(note='saved by an old script')
    legacy = tmp_path / 'legacy.pth'
    torch.save(ckpt, legacy)
    cmd = ['python', 'tools/test.py', TOY_CONFIG, '--checkpoint', legacy, '--work-dir', tmp_path / 't']
    proc = run_tool(cmd, env=TOY_ENV, check=False)
    assert proc.returncode != 0 and 'argparse.Namespace' in proc.stderr
    proc = run_tool(cmd + ['--trust-checkpoint'], env=TOY_ENV)
    assert 'count: 16' in proc.stdout + proc.stderr


def test_dist_train_runs_two_cpu_processes_that_train_together(tmp_path):
    proc = run_tool(['bash', 'tools/dist_train.sh', TOY_CONFIG, '2', '--work-dir', tmp_path],
                    env={**TOY_ENV, 'PORT': str(free_port())})
    log = proc.stdout + proc.stderr
    # mmengine logs the world size as "GPU number" whatever the device
    assert 'Distributed training: True' in log and 'GPU number: 2' in log, log[-3000:]
    # Each rank saw its own half of the data; only synchronised gradients keep the weights identical.
    final0, final1 = torch.load(tmp_path / 'rank0_final.pth'), torch.load(tmp_path / 'rank1_final.pth')
    _assert_same_state(final0, final1)
    init0 = torch.load(tmp_path / 'rank0_init.pth')
    assert not torch.equal(init0['mlp.0.weight'], final0['mlp.0.weight'])
