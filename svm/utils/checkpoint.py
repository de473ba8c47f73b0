"""Checkpoint I/O: safe loading on torch >= 2.6 and atomic writing.

torch now unpickles with ``weights_only=True`` by default, which refuses the few non-tensor types that
mmengine puts into its checkpoints (the message hub's ``HistoryBuffer``, numpy arrays and scalars), so
mmengine 0.10.7 cannot resume. Rather than fall back to full unpickling (which runs arbitrary code from
the file), svm replaces mmengine's loader for local files with one that keeps ``weights_only=True`` and
allows exactly those types. A file that needs anything else is refused with the offending type named,
unless the user opts in for a trusted file with ``--trust-checkpoint`` (tools/train.py, tools/test.py)
or ``trust_checkpoint = True`` in the config.

mmengine writes checkpoints by truncating the target and streaming bytes into it, so a run killed while
saving leaves a corrupt file. svm's local file backend writes to a temporary file beside the target and
renames it into place, so every file mmengine saves is either the old one or the complete new one.
Only mmengine's ``last_checkpoint`` pointer is written in place (by ``open()``): ``--resume`` reads it
through :func:`find_resume_checkpoint`, which falls back to the newest checkpoint when it is torn.
"""
import logging
import os
import os.path as osp
import pickle
import re
import tempfile
from typing import Any, List, Optional

import numpy as np
import torch
from mmengine.fileio import LocalBackend, io, register_backend
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs full unpickling and the user has not said that it is trusted."""


def _numpy_globals() -> List[Any]:
    # The types numpy's pickles of arrays and scalars refer to (numpy 1.x and 2.x module paths).
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in np.sctypeDict.values()]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *set(dtype_classes)]


def _history_buffer_method(owner: Any, name: str) -> Any:
    """Stands in for ``builtins.getattr``, which pickles of ``HistoryBuffer`` use to name its
    statistics methods (``getattr(HistoryBuffer, 'mean')``); it resolves nothing else."""
    # the four built-in statistics, plus any registered with HistoryBuffer.register_statistics
    if owner is HistoryBuffer and name in {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f'checkpoint asks for getattr({owner!r}, {name!r}), which svm does not allow')


SAFE_GLOBALS: List[Any] = [
    HistoryBuffer, (_history_buffer_method, 'builtins.getattr'), *_numpy_globals()]

_trusted = False


def set_trust_checkpoints(trusted: bool) -> None:
    """Allow (True) or refuse (False, the default) checkpoints that need full unpickling."""
    global _trusted
    _trusted = bool(trusted)


def load_checkpoint_file(filename: str, map_location: Optional[Any] = None) -> Any:
    """``torch.load`` a local checkpoint with ``weights_only=True`` and svm's allowlist.

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafeCheckpointError: the file needs types outside the allowlist and is not trusted.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    with torch.serialization.safe_globals(SAFE_GLOBALS):
        try:
            return torch.load(filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            if not _trusted:
                raise UnsafeCheckpointError(_refusal_message(filename, err)) from None
    print_log(f'loading trusted checkpoint {filename} with full unpickling (weights_only=False)',
              logger='current')
    return torch.load(filename, map_location=map_location, weights_only=False)


def _refusal_message(filename: str, err: Exception) -> str:
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # not a zip checkpoint: fall back to torch's own message
        unsafe = []
    unsafe = [name for name in unsafe if name not in _allowed_names()] or [_unpickler_reason(err)]
    return (f'refusing to load {filename}: it needs full unpickling of {", ".join(unsafe)}, which can run '
            'arbitrary code. If you trust this file, pass --trust-checkpoint to tools/train.py / '
            'tools/test.py or set `trust_checkpoint = True` in the config.')


def _unpickler_reason(err: Exception) -> str:
    # torch's message wraps the real reason in several paragraphs of advice
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith('WeightsUnpickler error:'):
            return (line[len('WeightsUnpickler error:'):].strip() or lines[i + 1])
    return lines[0]


def _allowed_names() -> set:
    return {entry[1] if isinstance(entry, tuple) else f'{entry.__module__}.{entry.__qualname__}'
            for entry in SAFE_GLOBALS}


def check_checkpoint_fits(model: torch.nn.Module, filename: str, max_listed: int = 10) -> None:
    """Raise a ``KeyError`` naming the mismatched keys if ``filename``'s weights do not fit ``model``.

    mmengine loads ``load_from`` non-strictly and only logs mismatches, which for evaluation means
    silently testing a partly random model.
    """
    checkpoint = load_checkpoint_file(filename, map_location='cpu')
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise TypeError(f'{filename} holds a {type(checkpoint).__name__}, not a state dict')
    state = {key[len('module.'):] if key.startswith('module.') else key: value for key, value in state.items()}
    expected = getattr(model, 'module', model).state_dict()
    problems = []
    for label, keys in (('missing from the checkpoint', [k for k in expected if k not in state]),
                        ('not in the model', [k for k in state if k not in expected]),
                        ('of the wrong shape', [
                            f'{k} {tuple(state[k].shape)} vs model {tuple(v.shape)}' for k, v in expected.items()
                            if k in state and hasattr(state[k], 'shape') and state[k].shape != v.shape])):
        if keys:
            listed = ', '.join(keys[:max_listed]) + (f' (+{len(keys) - max_listed} more)'
                                                      if len(keys) > max_listed else '')
            problems.append(f'{len(keys)} keys {label}: {listed}')
    if problems:
        raise KeyError(f'checkpoint {filename} does not fit the model: ' + '; '.join(problems))


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` without a path continues from, or None if the work dir has none.

    mmengine's ``last_checkpoint`` pointer names it, but mmengine writes the pointer in place, so a run
    killed at that moment leaves it empty or torn, and a checkpoint can be deleted by hand. Then the
    newest ``iter_N.pth`` / ``epoch_N.pth`` of the work dir is taken instead, with a warning.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and osp.isfile(named):
            return named
        problem = f'names {named!r}, which does not exist' if named else 'is empty'
    else:
        problem = 'does not exist'
    found = []
    for name in os.listdir(work_dir) if osp.isdir(work_dir) else []:
        match = re.fullmatch(r'(iter|epoch)_(\d+)\.pth', name)
        if match:
            found.append((int(match.group(2)), osp.getmtime(osp.join(work_dir, name)), name))
    if not found:
        return None
    newest = osp.join(work_dir, max(found)[2])
    print_log(f'{pointer} {problem}: resuming from the newest checkpoint of the work dir, {newest}',
              logger='current', level=logging.WARNING)
    return newest


@CheckpointLoader.register_scheme(prefixes='', force=True)
def _load_from_local(filename: str, map_location: Optional[Any] = None) -> Any:
    """Replaces mmengine's local-file loader (used by ``load_from``, ``resume`` and ``load_checkpoint``)."""
    return load_checkpoint_file(filename, map_location)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local backend, with writes that are atomic (temporary file, fsync, rename)."""

    def put(self, obj: bytes, filepath) -> None:
        filepath = str(filepath)
        directory = osp.dirname(osp.abspath(filepath))
        os.makedirs(directory, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
        try:
            with os.fdopen(fd, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_path, filepath)
        except BaseException:
            if osp.exists(tmp_path):
                os.remove(tmp_path)
            raise

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


register_backend('local', AtomicLocalBackend, force=True, prefixes='')
# drop local backends that mmengine already instantiated and cached before this module was imported
for _key in [k for k, v in io.backend_instances.items() if type(v) is LocalBackend]:
    del io.backend_instances[_key]
