"""Runs that die: killed training resumes to the same weights; a kill while saving corrupts nothing."""
import signal
import subprocess
import sys
import textwrap
import time

import torch

from helpers import (REPO_ROOT, TOY_REGRESSION_CONFIG, assert_same_state, copy_work_dir, load_checkpoint_on_cpu,
                         run_training_in_process, train_toy)


def test_killed_training_resumed_ends_with_the_same_weights(toy_run, toy_killed_run, tmp_path):
    killed = copy_work_dir(toy_killed_run, tmp_path / 'killed')
    proc = train_toy(killed, '--resume')
    assert 'resumed epoch: 0, iter: 4' in proc.stdout + proc.stderr  # not a new run, which ends the same
    assert_same_state(load_checkpoint_on_cpu(toy_run / 'iter_6.pth')['state_dict'],
                      load_checkpoint_on_cpu(killed / 'iter_6.pth')['state_dict'])


def test_resume_survives_a_torn_last_checkpoint_pointer(toy_run, toy_killed_run, tmp_path):
    # mmengine writes `last_checkpoint` in place: a kill at that moment leaves it empty or torn
    killed = copy_work_dir(toy_killed_run, tmp_path / 'killed')
    (killed / 'last_checkpoint').write_text(str(killed / 'iter_'))  # torn mid-write
    proc = train_toy(killed, '--resume')
    log = proc.stdout + proc.stderr
    assert 'resuming from the newest checkpoint of the work dir' in log and 'iter_4.pth' in log
    assert 'resumed epoch: 0, iter: 4' in log
    assert_same_state(load_checkpoint_on_cpu(toy_run / 'iter_6.pth')['state_dict'],
                      load_checkpoint_on_cpu(killed / 'iter_6.pth')['state_dict'])


def test_resume_without_any_checkpoint_starts_from_scratch(tmp_path, capsys):
    (tmp_path / 'last_checkpoint').write_text('')  # a pointer torn before any checkpoint survived
    run_training_in_process(TOY_REGRESSION_CONFIG, tmp_path, resume='auto')  # what tools/train.py --resume runs
    assert 'no checkpoint in' in capsys.readouterr().out and (tmp_path / 'iter_6.pth').exists()


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
    checkpoint = load_checkpoint_on_cpu(path)  # loads: it is the last complete save, never a torn one
    assert checkpoint['generation'] >= saved[-1]
    assert torch.equal(checkpoint['w'], torch.full((4_000_000,), float(checkpoint['generation'])))
    # at most the temporary file of the interrupted save is left, beside, never in place of, the checkpoint
    assert {p.name for p in tmp_path.iterdir()} - {'latest.pth'} <= {
        p.name for p in tmp_path.glob('.latest.pth.*.tmp')}
