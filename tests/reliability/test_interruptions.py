"""Runs that die: killed training resumes to the same weights; a kill while saving corrupts nothing."""
import signal
import subprocess
import sys
import textwrap
import time

import torch

from tests.conftest import REPO_ROOT, run_tool
from tests.foundation.test_tools import TOY_CONFIG, TOY_ENV, _assert_same_state, _checkpoint, train


def test_killed_training_resumed_ends_with_the_same_weights(tmp_path):
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    train(full)
    crashing = tmp_path / 'crashing.py'
    crashing.write_text(f"_base_ = ['{TOY_CONFIG}']\n"
                        "custom_hooks = [dict(type='KillAtIterHook', iteration=5)]\n")
    proc = run_tool(['python', 'tools/train.py', crashing, '--work-dir', killed], env=TOY_ENV, check=False)
    assert proc.returncode == -signal.SIGKILL
    assert (killed / 'iter_4.pth').exists() and not (killed / 'iter_6.pth').exists()
    train(killed, '--resume')
    _assert_same_state(_checkpoint(full / 'iter_6.pth')['state_dict'],
                       _checkpoint(killed / 'iter_6.pth')['state_dict'])


SAVER = textwrap.dedent('''
    import sys, torch, svm
    from mmengine.runner.checkpoint import save_checkpoint
    path, generation = sys.argv[1], 0
    while True:
        generation += 1
        save_checkpoint({'generation': generation, 'w': torch.full((4_000_000,), float(generation))}, path)
        print('SAVED', generation, flush=True)
''')


def test_kill_while_saving_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / 'latest.pth'
    saver = subprocess.Popen([sys.executable, '-c', SAVER, str(path)], cwd=REPO_ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        saved = []
        while len(saved) < 3:  # a few complete saves (mmengine may log other lines)
            line = saver.stdout.readline()
            assert line, 'the saver process died'
            if line.startswith('SAVED'):
                saved.append(int(line.split()[1]))
        time.sleep(0.05)  # then die in the middle of a later one (a save of 16 MB takes longer)
    finally:
        saver.send_signal(signal.SIGKILL)
        saver.wait()
    checkpoint = _checkpoint(path)  # loads: it is the last complete save, never a torn one
    assert checkpoint['generation'] >= saved[-1]
    assert torch.equal(checkpoint['w'], torch.full((4_000_000,), float(checkpoint['generation'])))
    # at most the temporary file of the interrupted save is left, beside, never in place of, the checkpoint
    assert {p.name for p in tmp_path.iterdir()} - {'latest.pth'} <= {
        p.name for p in tmp_path.glob('.latest.pth.*.tmp')}
