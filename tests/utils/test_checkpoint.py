"""Checkpoint files (svm.utils.checkpoint, svm's CheckpointHook): a kill while saving loses nothing, files get
the umask's mode, and damaged, foreign, misplaced or unsafe files are refused with an error that names them."""
import argparse
import os
import signal
import textwrap

import pytest
import torch

from helpers import TOY_REGRESSION_CONFIG, run_tool
from svm.utils.checkpoint import enable_safe_checkpoint_io


@pytest.fixture(autouse=True, scope='module')
def safe_checkpoint_io():
    """The in-process runners here stand in for the tools, which enable svm's checkpoint I/O (svm.utils.runner)."""
    enable_safe_checkpoint_io()


def toy_cfg(work_dir, **options):
    """The toy config for an in-process Runner in ``work_dir`` (no tool start-up: a run takes a second)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(TOY_REGRESSION_CONFIG))
    # a name per run: mmengine keeps its loggers and visualizers by experiment name
    cfg.merge_from_dict(dict(work_dir=str(work_dir), experiment_name=f'toy_{abs(hash(str(work_dir)))}',
                             custom_hooks=[], **options))
    return cfg


def train_in_process(cfg):
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Work dir of a 2-iteration toy training run: ``iter_2.pth`` is a complete svm training checkpoint."""
    from mmengine.registry import DefaultScope
    work_dir = tmp_path_factory.mktemp('trained')
    scopes = dict(DefaultScope._instance_dict)  # the runner sets one; conftest's per-test undo runs later
    train_in_process(toy_cfg(work_dir, train_cfg=dict(max_iters=2)))
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(scopes)
    return work_dir


# Case 1 ------------------------------------------------------------------------------------------------
KILL_IN_SAVE = textwrap.dedent('''
    import os, signal
    from mmengine.hooks import Hook
    from mmengine.registry import HOOKS

    @HOOKS.register_module()
    class KillInsideSaveHook(Hook):
        """SIGKILLs the process while it saves the checkpoint of ``iteration``: the new file is written but
        not yet renamed into place, the last moment at which the save is still incomplete."""

        def __init__(self, iteration):
            self.iteration = iteration

        def before_save_checkpoint(self, runner, checkpoint):
            if checkpoint['meta']['iter'] != self.iteration:
                return
            rename = os.replace

            def dying_rename(src, dst, *args, **kwargs):
                if str(dst).endswith(f'iter_{self.iteration}.pth'):
                    os.kill(os.getpid(), signal.SIGKILL)
                return rename(src, dst, *args, **kwargs)

            os.replace = dying_rename
''')


def test_kill_while_saving_with_max_keep_ckpts_1_keeps_the_previous_checkpoint(tmp_path):
    from svm.utils.checkpoint import find_resume_checkpoint, load_checkpoint_file
    (tmp_path / 'kill_in_save.py').write_text(KILL_IN_SAVE)
    crashing = tmp_path / 'crashing.py'
    crashing.write_text(f"_base_ = ['{TOY_REGRESSION_CONFIG}']\n"
                        "custom_imports = dict(imports=['svm.engine.hooks', 'helpers.toy_task', 'kill_in_save'])\n"
                        "default_hooks = dict(checkpoint=dict(max_keep_ckpts=1))\n"
                        "custom_hooks = [dict(type='KillInsideSaveHook', iteration=4)]\n")
    work_dir = tmp_path / 'work'
    proc = run_tool(['python', 'tools/train.py', crashing, '--work-dir', work_dir], env={'PYTHONPATH': str(tmp_path)},
                    check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]

    # the kill came while iter_4 was being saved: iter_2 must still be there, complete, and named
    assert not (work_dir / 'iter_4.pth').exists()
    assert load_checkpoint_file(str(work_dir / 'iter_2.pth'))['meta']['iter'] == 2
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'iter_2.pth')
    assert list(work_dir.glob('.iter_4.pth.*.tmp'))  # what the killed save left

    # the next run resumes from it (as tools/train.py --resume does) and clears the stale temporary file
    resume_from = find_resume_checkpoint(str(work_dir))
    assert resume_from == str(work_dir / 'iter_2.pth')
    cfg = toy_cfg(work_dir, resume=True, load_from=resume_from,
                  default_hooks=dict(checkpoint=dict(max_keep_ckpts=1)))
    runner = train_in_process(cfg)
    assert runner.iter == 6
    assert not list(work_dir.glob('.*.tmp'))
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['iter_6.pth']  # max_keep_ckpts=1 still applies
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'iter_6.pth')


def test_a_failed_save_removes_no_kept_checkpoint(tmp_path):
    # in-process variant of the kill: the save of iter_4 fails before its file exists
    from mmengine.hooks import Hook

    class FailingSave(Hook):

        def before_save_checkpoint(self, runner, checkpoint):
            if checkpoint['meta']['iter'] == 4:
                raise OSError('disk full')

    from mmengine.runner import Runner
    runner = Runner.from_cfg(toy_cfg(tmp_path, default_hooks=dict(checkpoint=dict(max_keep_ckpts=1))))
    runner.register_hook(FailingSave())
    with pytest.raises(OSError, match='disk full'):
        runner.train()
    assert [p.name for p in tmp_path.glob('*.pth')] == ['iter_2.pth']
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_2.pth')


# Case 4 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('umask, mode', [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)],
                         ids=['umask022', 'umask027', 'umask077'])
def test_checkpoints_get_the_mode_the_umask_allows(tmp_path, umask, mode):
    from mmengine.runner.checkpoint import save_checkpoint  # writes through svm's atomic local backend
    previous = os.umask(umask)
    try:
        save_checkpoint({'state_dict': {'w': torch.ones(2)}}, str(tmp_path / 'ckpt.pth'))
    finally:
        os.umask(previous)
    assert oct((tmp_path / 'ckpt.pth').stat().st_mode & 0o777) == oct(mode)


# Case 10 -----------------------------------------------------------------------------------------------
def flip_a_byte_of(path, tensor: torch.Tensor) -> None:
    """Change one byte inside ``tensor``'s data in the file ``path`` (found by its bytes)."""
    data = bytearray(path.read_bytes())
    start = bytes(data).find(tensor.numpy().tobytes())
    assert start >= 0
    data[start + tensor.numel() * tensor.element_size() // 2] ^= 0x40
    path.write_bytes(bytes(data))


def test_checkpoints_carry_a_checksum_and_a_flipped_byte_is_refused(trained, tmp_path):
    from mmengine.runner import load_checkpoint

    from svm.utils.checkpoint import ChecksumMismatchError, load_checkpoint_file, state_dict_checksum
    checkpoint = load_checkpoint_file(str(trained / 'iter_2.pth'))
    record = checkpoint['meta']['svm_checksum']
    assert record == dict(algorithm='sha256', of='state_dict',
                          digest=state_dict_checksum(checkpoint['state_dict']))

    damaged = tmp_path / 'damaged.pth'
    damaged.write_bytes((trained / 'iter_2.pth').read_bytes())
    flip_a_byte_of(damaged, checkpoint['state_dict']['mlp.0.weight'])
    with pytest.raises(ChecksumMismatchError, match=r'damaged\.pth.*tensors do not match their checksum'):
        load_checkpoint_file(str(damaged))
    # load_from / --resume / --checkpoint reach it through mmengine's loader, which svm replaced
    with pytest.raises(ChecksumMismatchError, match='damaged.pth'):
        load_checkpoint(torch.nn.Linear(1, 1), str(damaged))


def test_checkpoints_without_a_checksum_load_as_before(tmp_path):
    from svm.utils.checkpoint import load_checkpoint_file
    path = tmp_path / 'plain.pth'
    torch.save({'meta': {'epoch': 1}, 'state_dict': {'w': torch.arange(3.)}}, path)
    assert torch.equal(load_checkpoint_file(str(path))['state_dict']['w'], torch.arange(3.))


def test_checksum_does_not_depend_on_key_order_device_or_layout():
    from svm.utils.checkpoint import state_dict_checksum
    w = torch.arange(12.).reshape(3, 4)
    a = {'a': w, 'b': torch.tensor(2, dtype=torch.int64)}
    b = {'b': torch.tensor(2, dtype=torch.int64), 'a': w.t().contiguous().t()}  # column-major copy
    assert state_dict_checksum(a) == state_dict_checksum(b)
    assert state_dict_checksum(a) != state_dict_checksum({**a, 'a': w.to(torch.float64)})
    assert state_dict_checksum(a) != state_dict_checksum({**a, 'a': w.reshape(4, 3)})


# Case 14 -----------------------------------------------------------------------------------------------
def bad_files(directory, good):
    """Files a user may pass by mistake, with what the error must say about each."""
    data = good.read_bytes()
    files = {
        'empty.pth': (b'', 'is empty'),
        'truncated.pth': (data[:len(data) // 2], 'truncated'),
        'notes.pth': (b'lr: 0.01\nepochs: 3\n', 'text file'),
        'random.pth': (bytes(range(7, 250)) * 20, 'not a PyTorch checkpoint'),
    }
    for name, (content, _) in files.items():
        (directory / name).write_bytes(content)
    return {directory / name: said for name, (_, said) in files.items()}


def test_unreadable_files_are_refused_naming_the_file(trained, tmp_path):
    from svm.utils.checkpoint import NotACheckpointError, load_checkpoint_file
    for path, said in bad_files(tmp_path, trained / 'iter_2.pth').items():
        with pytest.raises(NotACheckpointError) as info:
            load_checkpoint_file(str(path))
        message = str(info.value)
        assert str(path) in message and said in message
        assert 'Expected a PyTorch checkpoint written by torch.save' in message


@pytest.mark.parametrize('route', ['load_from', 'resume', 'test.py --checkpoint'])
def test_a_truncated_checkpoint_is_named_by_every_route(trained, tmp_path, route):
    from svm.utils.checkpoint import NotACheckpointError
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes((trained / 'iter_2.pth').read_bytes()[:3000])
    match = f'{truncated}: it is the start of a zip archive.*truncated'
    with pytest.raises(NotACheckpointError, match=match):
        if route == 'test.py --checkpoint':
            from svm.utils.runner import config_for_testing, run_testing
            run_testing(config_for_testing(str(TOY_REGRESSION_CONFIG), str(truncated), work_dir=str(tmp_path / 'test')),
                        str(truncated))
        else:
            train_in_process(toy_cfg(tmp_path / 'work', load_from=str(truncated), resume=route == 'resume'))


# Case 16 -----------------------------------------------------------------------------------------------
def test_training_checkpoint_as_clip_pretrained_says_use_load_from(trained, tmp_path):
    from svm.models.backbones.clip_checkpoint import read_clip_state_dict
    expected = ('this is an svm/mmengine training checkpoint, not a CLIP checkpoint; '
                'use load_from \\(or --resume\\)')
    full = trained / 'iter_2.pth'  # with the message hub, which torch's weights-only load refuses
    with pytest.raises(ValueError, match=f'{full}.*{expected}'):
        read_clip_state_dict(str(full))
    published = tmp_path / 'published.pth'  # only meta and state_dict, which weights-only loads
    torch.save({'meta': {'epoch': 1}, 'state_dict': {'mlp.0.weight': torch.ones(2, 2)}}, published)
    with pytest.raises(ValueError, match=f'{published}.*{expected}'):
        read_clip_state_dict(str(published))


# Safe loading ------------------------------------------------------------------------------------------
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


def test_an_svm_checkpoint_whose_checksum_was_removed_loads_with_a_warning(trained, tmp_path, monkeypatch):
    from svm.utils import checkpoint as checkpoint_module
    warnings = []
    monkeypatch.setattr(checkpoint_module, 'print_log', lambda message, **kwargs: warnings.append(message))
    checkpoint = checkpoint_module.load_checkpoint_file(str(trained / 'iter_2.pth'))
    assert warnings == []
    del checkpoint['meta']['svm_checksum']
    checkpoint['state_dict']['mlp.0.weight'] += 1  # and then a tensor changed
    stripped = tmp_path / 'stripped.pth'
    torch.save(checkpoint, stripped)
    checkpoint_module.load_checkpoint_file(str(stripped))
    assert len(warnings) == 1 and 'stripped.pth' in warnings[0] and "meta['svm_checksum'] was removed" in warnings[0]
    # a checkpoint of another tool has none to lose: no warning
    torch.save({'meta': {'cfg': "default_hooks = dict(checkpoint=dict(type='CheckpointHook'))"},
                'state_dict': {'w': torch.ones(1)}}, tmp_path / 'other.pth')
    checkpoint_module.load_checkpoint_file(str(tmp_path / 'other.pth'))
    assert len(warnings) == 1


def test_a_legacy_format_checkpoint_with_a_pickle_payload_names_the_offending_global(tmp_path):
    from svm.utils.checkpoint import UnsafeCheckpointError, load_checkpoint_file
    marker = tmp_path / 'pwned'
    legacy = tmp_path / 'legacy_evil.pth'
    torch.save({'state_dict': {}, 'meta': {'payload': Payload(marker)}}, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeCheckpointError) as refused:
        load_checkpoint_file(str(legacy))
    message = str(refused.value)
    assert 'needs full unpickling of posix.system,' in message or 'needs full unpickling of os.system,' in message
    assert 'Weights only load failed' not in message and 'In PyTorch 2.6' not in message
    assert not marker.exists()


@pytest.mark.parametrize('content', [b'\xff\xfe\x80iter_2', b'\xc3(', b'/work\xe9/iter_2.pth'])
def test_a_last_checkpoint_pointer_that_is_not_text_falls_back_to_the_newest_checkpoint(trained, tmp_path, content,
                                                                                        monkeypatch):
    from helpers import copy_work_dir
    from svm.utils import checkpoint as checkpoint_module
    warnings = []
    monkeypatch.setattr(checkpoint_module, 'print_log', lambda message, **kwargs: warnings.append(message))
    work_dir = copy_work_dir(trained, tmp_path / 'run')
    (work_dir / 'last_checkpoint').write_bytes(content)
    assert checkpoint_module.find_resume_checkpoint(str(work_dir)) == str(work_dir / 'iter_2.pth')
    assert 'last_checkpoint is not text' in warnings[0] and 'resuming from the newest checkpoint' in warnings[0]


def test_a_full_disk_names_the_file_being_written(tmp_path, monkeypatch):
    from mmengine.fileio import put

    def full(fd):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', full)
    with pytest.raises(OSError, match=r'No space left on device \(while writing .*epoch_3\.pth\)') as failed:
        put(b'0' * 100, str(tmp_path / 'epoch_3.pth'))
    assert failed.value.errno == 28
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary file
