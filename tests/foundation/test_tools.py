"""tools/train.py, tools/test.py (and the configs they run, svm.utils.runner), resume, checkpoint safety and
tools/dist_train.sh on a toy task."""
import argparse
import os
import re

import pytest
import torch
from mmengine.config import DictAction

from svm.utils.runner import config_for_training
from tests.conftest import REPO_ROOT, free_port, run_tool

TOY_DIR = REPO_ROOT / 'tests' / 'foundation' / 'toy'
TOY_CONFIG = TOY_DIR / 'toy_regression.py'
TOY_ENV = {'PYTHONPATH': f'{REPO_ROOT}{os.pathsep}{TOY_DIR}'}


def cfg_options(*options):
    """``--cfg-options`` as the tools parse them (mmengine's DictAction)."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def train(work_dir, *extra):
    return run_tool(['python', 'tools/train.py', TOY_CONFIG, '--work-dir', work_dir, *extra], env=TOY_ENV)


def test_config_inheritance_and_cfg_options_reach_built_objects(tmp_path, monkeypatch):
    from mmengine.runner import Runner
    monkeypatch.syspath_prepend(str(TOY_DIR))
    cfg = config_for_training(str(TOY_CONFIG), cfg_options(
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


@pytest.mark.parametrize('world_size,batch_size', [(1, 4), (2, 3), (8, 2)])
def test_auto_scale_lr_scales_by_world_size_times_batch_over_base(tmp_path, monkeypatch, world_size, batch_size):
    """--auto-scale-lr (issue 13, defect 5): every group's lr times (world size x batch size) / base batch."""
    from mmengine.runner import Runner
    monkeypatch.syspath_prepend(str(TOY_DIR))

    def lrs(auto_scale_lr=False):
        cfg = config_for_training(str(TOY_CONFIG), cfg_options(
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


def test_auto_scale_lr_needs_a_base_batch(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(TOY_DIR))
    with pytest.raises(KeyError, match=r'auto_scale_lr = dict\(base_batch_size=N\)'):
        config_for_training(str(TOY_CONFIG), work_dir=str(tmp_path), auto_scale_lr=True)


def test_configs_that_set_a_batch_give_its_base(repo_root):
    """Every shipped training config names the total batch its lr is for: the batch of its file name
    (8xb2: 8 processes x 2) or, for the single-process tiny configs, its own train batch."""
    import re

    from mmengine.config import Config
    for path in sorted((repo_root / 'configs').glob('*/svm/*.py')):
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


def _env_without_the_venv(tmp_path):
    """The environment of a shell where the project's environment is not activated: no PYTHON, no
    VIRTUAL_ENV, no virtual environment on PATH, and a `python` first on PATH that lacks torch (as a
    system python does), so only the project's .venv can run the tools."""
    import sys
    fake_bin = tmp_path / 'bin'
    fake_bin.mkdir()
    for name in ('python', 'python3'):
        fake = fake_bin / name
        fake.write_text('#!/bin/sh\necho "ModuleNotFoundError: No module named \'torch\'" >&2\nexit 1\n')
        fake.chmod(0o755)
    venv_bins = {os.path.realpath(os.path.join(p, 'bin')) for p in (sys.prefix, REPO_ROOT / '.venv')}
    path = [str(fake_bin)] + [p for p in os.environ.get('PATH', '').split(os.pathsep)
                              if p and os.path.realpath(p) not in venv_bins]
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHON', 'VIRTUAL_ENV', 'PYTHONHOME')}
    env.update(PATH=os.pathsep.join(path), PYTHONPATH=str(TOY_DIR), OMP_NUM_THREADS='1')
    return env, fake_bin


needs_project_venv = pytest.mark.skipif(not os.access(REPO_ROOT / '.venv' / 'bin' / 'python', os.X_OK),
                                        reason="the project's .venv (make / tools/setup_env.sh) is absent")


@needs_project_venv
def test_dist_train_finds_the_project_venv_without_activation(tmp_path):
    """bash tools/dist_train.sh from another folder, environment not activated (issue 13, defect 7)."""
    import subprocess
    env, _ = _env_without_the_venv(tmp_path)
    env['PORT'] = str(free_port())
    proc = subprocess.run(['bash', str(REPO_ROOT / 'tools' / 'dist_train.sh'), str(TOY_CONFIG), '1',
                           '--work-dir', str(tmp_path / 'work')], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'No module named' not in log and 'Iter(train) [6/6]' in log


@needs_project_venv
def test_dist_test_finds_the_project_venv_without_activation(tmp_path):
    import subprocess
    env, _ = _env_without_the_venv(tmp_path)
    env['PORT'] = str(free_port())
    proc = subprocess.run(['bash', str(REPO_ROOT / 'tools' / 'dist_test.sh'), 'CFG.py', '1', '--help'], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and '--show-dir' in proc.stdout, (proc.stdout + proc.stderr)[-3000:]


@needs_project_venv
@pytest.mark.parametrize('script,tool', [('slurm_train.sh', 'train.py'), ('slurm_test.sh', 'test.py'),
                                         ('dist_train.sh', 'train.py'), ('dist_test.sh', 'test.py')])
def test_launch_scripts_run_python_then_venv_then_path(tmp_path, script, tool):
    """Each launcher runs $PYTHON if set, else the project's .venv (srun, and $PYTHON, are stand-ins that
    record how they were called)."""
    import subprocess
    env, fake_bin = _env_without_the_venv(tmp_path)
    record = tmp_path / 'called'
    for name in ('srun', 'recording-python'):
        (fake_bin / name).write_text(f'#!/bin/sh\necho "{name} $@" >> {record}\n')
        (fake_bin / name).chmod(0o755)
    slurm = script.startswith('slurm')
    args = ['PART', 'JOB', 'CFG.py', '--checkpoint', 'C'] if slurm else ['CFG.py', '1', '--checkpoint', 'C']

    def called(**extra):
        record.write_text('')
        subprocess.run(['bash', str(REPO_ROOT / 'tools' / script), *args], cwd=tmp_path, env={**env, **extra},
                       capture_output=True, text=True, timeout=60, check=True)
        return record.read_text()

    line = called(PYTHON=str(fake_bin / 'recording-python'))
    assert f'recording-python ' in line and f'{REPO_ROOT}/tools/{tool} CFG.py' in line and '--checkpoint C' in line
    if slurm:  # without PYTHON: srun runs the project's interpreter
        assert f'srun ' in called() and f' {REPO_ROOT}/.venv/bin/python -u {REPO_ROOT}/tools/{tool}' in called()


# --- Every example of the tools' --help, README.md and docs/*.md must be valid (issue 13, defect 6) ------
DOCS = [REPO_ROOT / 'README.md', *sorted((REPO_ROOT / 'docs').glob('*.md'))]
DOC_PATH = re.compile(r'(?<![\w/.$-])((?:configs|tools|demo|svm|tests|requirements)/[\w./{},*-]*[\w/}*])')
DOC_COMMAND = re.compile(r'(?:python|bash)\s+((?:tools|demo)/[\w/.-]+\.(?:py|sh))([^|;&#`]*)')
CFG_OPTION = re.compile(r'(?<![\w/.-])([a-z_{},]+(?:\.[\w{},]+)+=[^\s`]*)')
LAUNCHED = {'dist_train.sh': 'tools/train.py', 'slurm_train.sh': 'tools/train.py', 'dist_test.sh': 'tools/test.py',
            'slurm_test.sh': 'tools/test.py'}


def expand_braces(text):
    """Shell brace expansion: 'a_{x,y}.py' -> ['a_x.py', 'a_y.py']."""
    match = re.search(r'\{([^{}]*,[^{}]*)\}', text)
    if not match:
        return [text]
    return [out for alt in match.group(1).split(',')
            for out in expand_braces(text[:match.start()] + alt + text[match.end():])]


def doc_lines(path):
    """The lines of a document as a shell would see them: continuation lines joined, variables assigned in the
    document (CFG=...) and $(basename ...) substituted, `for x in a b; do ...; done` unrolled; the assignments
    themselves left out."""
    text = path.read_text().replace('\\\n', ' ')
    assigned = dict(re.findall(r'^\s*([A-Z][A-Z0-9_]*)=(\S+)', text, flags=re.M))
    lines = []
    for line in text.splitlines():
        if re.match(r'\s*[A-Z][A-Z0-9_]*=\S+\s*(#.*)?$', line):
            continue
        for name, value in assigned.items():
            line = line.replace('${' + name + '}', value).replace('$' + name, value)
        line = re.sub(r'\$\(basename ([^)]+)\)', lambda m: os.path.basename(m.group(1)), line)
        loop = re.search(r'for (\w+) in ([^;]+); do (.*?); done', line)
        values = loop.group(2).split() if loop else [None]
        for value in values:
            lines.append(line if loop is None else
                         loop.group(3).replace('${' + loop.group(1) + '}', value).replace('$' + loop.group(1), value))
    return lines


def test_every_path_named_in_readme_and_docs_exists():
    missing = []
    for doc in DOCS:
        for line in doc_lines(doc):
            for raw in DOC_PATH.findall(line):
                for path in expand_braces(raw.rstrip('.,;:')):
                    if not list(REPO_ROOT.glob(path)):
                        missing.append(f'{doc.name}: {path}')
    assert not missing, 'named in the documentation but absent:\n' + '\n'.join(sorted(set(missing)))


def test_every_option_of_a_documented_command_exists():
    """`python tools/X.py ... --flag` and `bash tools/dist_*.sh ... --flag` in the documentation: the tool
    (train.py / test.py for the launchers) defines --flag."""
    unknown, checked = [], 0
    for doc in DOCS:
        for line in doc_lines(doc):
            for script, rest in DOC_COMMAND.findall(line):
                source = (REPO_ROOT / LAUNCHED.get(os.path.basename(script), script)).read_text()
                for flag in re.findall(r'(?<![\w-])(--[a-z][\w-]*)', rest):
                    checked += 1
                    if f"'{flag}'" not in source and f'"{flag}"' not in source:
                        unknown.append(f'{doc.name}: {script} {flag}')
    assert checked > 20 and not unknown, '\n'.join(unknown)


def _help_text(tool):
    return run_tool(['python', f'tools/{tool}.py', '--help']).stdout


def _option_takes_effect(cfg, key: str) -> bool:
    """Whether overriding dotted ``key`` reaches something: an existing entry, an argument of the typed module
    (``type=...``) that holds it, or an argument of the Runner."""
    from mmengine.registry import HOOKS, LOOPS, METRICS, MODELS, DefaultScope

    from svm.utils.config_checks import RUNNER_KEYS, _init_parameters
    node, parts = cfg._cfg_dict.to_dict(), key.split('.')
    for depth, part in enumerate(parts):
        container = node
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            continue
        if isinstance(node, dict) and part in node:
            node = node[part]
            continue
        if depth == 0:
            return part in RUNNER_KEYS
        if depth != len(parts) - 1 or not isinstance(container, dict) or 'type' not in container:
            return False
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
            cls = next((c for c in (r.get(container['type']) for r in (LOOPS, HOOKS, METRICS, MODELS)) if c), None)
        if cls is None:
            return False
        names, open_ended = _init_parameters(cls)
        return part in names or open_ended
    return True


def test_every_cfg_options_example_is_valid():
    """Each `key=value` example of train.py / test.py --help and of the documentation parses with mmengine's
    DictAction, passes svm's override checks and reaches an entry (or a module argument) of a shipped config."""
    from mmengine.config import Config

    from svm.utils.config_checks import check_override_keys
    examples = []
    for tool in ('train', 'test'):
        help_text = _help_text(tool)
        cfg_help = help_text[help_text.index('\n  --cfg-options') + 1:].split('\n  --', 1)[0]  # its help only
        tokens = re.findall(r'\S+=\S+', cfg_help)
        assert tokens, f'{tool}.py --help shows no --cfg-options example'
        examples += [(f'{tool}.py --help', token.strip('"\'')) for token in tokens]
    for doc in DOCS:
        for line in doc_lines(doc):
            for raw in CFG_OPTION.findall(line.replace('"', ' ').replace("'", ' ')):
                examples += [(doc.name, option.rstrip('.,;:')) for option in expand_braces(raw)]
    assert len(examples) >= 10
    configs = [Config.fromfile(str(path)) for path in sorted((REPO_ROOT / 'configs').glob('*/svm/*.py'))]
    invalid = []
    for where, example in examples:
        options = cfg_options(example)
        key = next(iter(options))

        def valid(cfg):
            try:
                check_override_keys(cfg, options)
            except KeyError:
                return False
            return _option_takes_effect(cfg, key)

        if not any(valid(cfg) for cfg in configs):
            invalid.append(f'{where}: {example}')
    assert not invalid, 'no shipped config takes these --cfg-options examples:\n' + '\n'.join(invalid)
