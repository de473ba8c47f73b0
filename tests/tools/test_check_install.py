"""tools/misc/check_install.py --dry-run, end to end and once: every step's real command line (tools/train.py and
its --resume, tools/dist_train.sh, the release converter, tools/test.py --show-dir, tools/dist_test.sh, the test
loop's frame rate, a recogniser, pytest's CUDA-marked tests) on the CPU at tiny sizes, into the table. A step
pointed at a config that does not exist fails the check. The pieces: tests/utils/test_install_check.py."""
import json

import pytest
import torch

from helpers import run_tool
from svm.utils.install_check import STEP_NAMES, CheckSettings, exit_code, run_check


@pytest.fixture(scope='module')
def dry_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('check_install')
    proc = run_tool(['python', 'tools/misc/check_install.py', '--dry-run', '--out-dir', out], check=False, timeout=900)
    report = json.loads((out / 'check_install.json').read_text())
    return dict(out=out, proc=proc, report=report, steps={s['name']: s for s in report['steps']})


def test_dry_run_passes_every_step(dry_run):
    proc, steps = dry_run['proc'], dry_run['steps']
    summary = {name: (s['status'], s['error'], s['log_tail'][-1500:]) for name, s in steps.items()}
    assert proc.returncode == 0, (summary, proc.stdout[-3000:])
    assert list(steps) == list(STEP_NAMES)
    for name, step in steps.items():
        if name == 'cuda-tests' and not torch.cuda.is_available():
            assert step['status'] == 'SKIP' and 'skipped (no CUDA)' in ' '.join(step['notes']), step
        else:
            assert step['status'] == 'PASS', (name, step['error'], step['log_tail'])
    # one table printed (after the environment) and written
    out = proc.stdout
    assert out.count('| # | step | status | seconds | key figures |') == 1
    assert 'mmcv 2.1.0' in out and 'GPU: ' in out and 'Python ' in out
    assert (dry_run['out'] / 'check_install.md').read_text().count('| data | PASS |') == 1
    for name in STEP_NAMES:
        assert f'{name}: started' in out
    # every command's log kept
    assert all(log.startswith(str(dry_run['out'] / 'logs')) for s in steps.values() for log in s['logs'])


def test_dry_run_figures(dry_run):
    steps = dry_run['steps']
    for name in ('train', 'train-release'):
        figures, data = steps[name]['figures'], steps[name]['data']
        # the losses-fall check compared real numbers from the work dir's scalars log
        assert 0 < data['loss_last'] < data['loss_first'], (figures, data)
        assert data['iterations'] > data['resumed_at'][1] > 0
        assert figures['resumed_at'].startswith('epoch 2, iter ') and 'epoch_3.pth' in figures['checkpoints']
        assert 'fp32' in ' '.join(steps[name]['notes'])  # and the table says why
    test = steps['test-release']['figures']
    assert test['round_trip'] == 'identical' and test['show_dir_images'] > 0
    assert test['tools/test.py'].startswith('HOTA ') and 'MOTA ' in test['tools/test.py']
    assert 'IDF1 ' in test['tools/dist_test.sh']
    assert 'trained by step train-release' in test['weights']
    assert float(steps['fps']['figures']['fps'].split()[0]) > 0
    assert steps['recognition']['figures']['test'].startswith('top-1 ')
    commands = ' '.join(c for s in steps.values() for c in s['commands'])
    for tool in ('tools/misc/generate_synthetic_mot.py', 'tools/train.py', '--resume', 'tools/dist_train.sh',
                 'tools/model_converters/svm_release_to_svm.py', 'tools/test.py', '--show-dir', 'tools/dist_test.sh',
                 '-m pytest'):
        assert tool in commands
    # the work dirs and data are removed when every step passed, kept when one failed (the logs and table stay)
    assert not (dry_run['out'] / 'work').exists() and (dry_run['out'] / 'logs').is_dir()


def test_a_step_with_a_missing_config_fails_the_check(tmp_path):
    lines = []
    settings = CheckSettings(out_dir=str(tmp_path), dry_run=True, configs=dict(recognition='configs/nope.py'))
    results, _, (json_path, _) = run_check(settings, ['recognition'], log=lines.append)
    assert [(r.name, r.status) for r in results] == [('recognition', 'FAIL')]
    assert exit_code(results) == 1 and 'nope.py' in results[0].log_tail
    assert json.loads(open(json_path).read())['passed'] is False
    assert '| 1 | recognition | FAIL |' in '\n'.join(lines)
