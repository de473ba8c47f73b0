"""Two CPU processes (gloo) train and test to the same result as one process on the same data."""
import re

import torch

from tests.conftest import free_port, run_tool
from tests.foundation.test_tools import TOY_CONFIG, TOY_ENV, train


def _mse(log):
    return float(re.search(r'mse: ([0-9.]+)', log).group(1))


def test_two_processes_train_and_test_like_one(tmp_path):
    # one process with batch 8 sees, step by step, the union of what two processes with batch 4 see
    train(tmp_path / 'one', '--cfg-options', 'train_dataloader.batch_size=8')
    run_tool(['bash', 'tools/dist_train.sh', TOY_CONFIG, '2', '--work-dir', tmp_path / 'two',
              '--cfg-options', 'train_dataloader.batch_size=4'], env={**TOY_ENV, 'PORT': str(free_port())})
    one = torch.load(tmp_path / 'one' / 'rank0_final.pth')
    two = torch.load(tmp_path / 'two' / 'rank0_final.pth')
    for key in one:
        torch.testing.assert_close(one[key], two[key], rtol=1e-5, atol=1e-6, msg=key)

    ckpt = tmp_path / 'one' / 'iter_6.pth'
    single = run_tool(['python', 'tools/test.py', TOY_CONFIG, '--checkpoint', ckpt, '--work-dir', tmp_path / 't1'],
                      env=TOY_ENV)
    double = run_tool(['bash', 'tools/dist_test.sh', TOY_CONFIG, '2', '--checkpoint', ckpt,
                       '--work-dir', tmp_path / 't2'], env={**TOY_ENV, 'PORT': str(free_port())})
    assert 'count: 16' in double.stdout + double.stderr  # every test sample once, across both processes
    assert abs(_mse(single.stdout + single.stderr) - _mse(double.stdout + double.stderr)) < 1e-5
