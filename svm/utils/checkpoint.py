"""Checkpoint I/O: safe loading on torch >= 2.6, clear errors for damaged files, checksums, atomic writing.

torch now unpickles with ``weights_only=True`` by default, which refuses the few non-tensor types that
mmengine puts into its checkpoints (the message hub's ``HistoryBuffer``, numpy arrays and scalars), so
mmengine 0.10.7 cannot resume. Rather than fall back to full unpickling (which runs arbitrary code from
the file), svm loads local files with :func:`load_checkpoint_file`, which keeps ``weights_only=True`` and
allows exactly those types. A file that needs anything else is refused with the offending type named,
unless the user opts in for a trusted file with ``--trust-checkpoint`` (tools/train.py, tools/test.py)
or ``trust_checkpoint = True`` in the config.

mmengine writes checkpoints by truncating the target and streaming bytes into it, so a run killed while
saving leaves a corrupt file. svm's local file backend, :class:`AtomicLocalBackend`, writes to a temporary
file beside the target and renames it into place, so every file mmengine saves is either the old one or the
complete new one. The temporary file gets the mode an ordinary ``open()`` would give (``0666 & ~umask``), not
mkstemp's private 0600. A run killed while saving leaves its temporary file (``.<name>.<random>.tmp``)
behind; :func:`remove_stale_temporary_files` clears them (svm's ``SafeCheckpointHook`` does at the start of
training). Only mmengine's ``last_checkpoint`` pointer is written in place (by ``open()``): ``--resume``
reads it through :func:`find_resume_checkpoint`, which falls back to the newest checkpoint when it is torn.

:func:`enable_safe_checkpoint_io` puts both in place of mmengine's own for the process; the tools and APIs
that load or save checkpoints call it (importing svm changes nothing of mmengine).

Checkpoints saved through svm's ``SafeCheckpointHook`` carry a sha256 of their ``state_dict`` tensors in
``meta['svm_checksum']`` (see :func:`state_dict_checksum`); the loader verifies it, so a file whose bytes
changed after it was written is refused instead of evaluated. Files without one load as before. A file
that torch cannot read at all (empty, truncated, not written by ``torch.save``) is refused with a
:class:`NotACheckpointError` that names it and says what is wrong.
"""
import hashlib
import logging
import os
import os.path as osp
import pickle
import re
import tempfile
import zipfile
from typing import Any, Dict, List, Mapping, Optional

import numpy as np
import torch
from mmengine.fileio import LocalBackend, io, register_backend
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs full unpickling and the user has not said that it is trusted."""


class NotACheckpointError(ValueError):
    """A file given as a checkpoint is empty, truncated, damaged or not written by ``torch.save``."""


class ChecksumMismatchError(ValueError):
    """A checkpoint's tensors differ from the checksum recorded when it was saved."""


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
    """``torch.load`` a local checkpoint with ``weights_only=True`` and svm's allowlist, then verify its
    checksum when it has one.

    Raises:
        FileNotFoundError: the file does not exist.
        NotACheckpointError: the file is empty, truncated, damaged or not written by ``torch.save``.
        UnsafeCheckpointError: the file needs types outside the allowlist and is not trusted.
        ChecksumMismatchError: the file's tensors do not match the checksum saved with them.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    checkpoint = _torch_load(filename, map_location)
    verify_checksum(checkpoint, filename)
    return checkpoint


def _torch_load(filename: str, map_location: Optional[Any]) -> Any:
    with torch.serialization.safe_globals(SAFE_GLOBALS):
        try:
            return torch.load(filename, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            # the weights-only unpickler also fails on bytes that are no pickle at all: tell the two apart
            problem = _file_problem(filename)
            if problem is not None:
                raise NotACheckpointError(_unreadable_message(filename, problem, err)) from err
            if not _trusted:
                raise UnsafeCheckpointError(_refusal_message(filename, err)) from None
        except Exception as err:  # torch raises RuntimeError, EOFError, IndexError, KeyError... for bad bytes
            _raise_if_unreadable(filename, err)
            raise
    print_log(f'loading trusted checkpoint {filename} with full unpickling (weights_only=False)',
              logger='current')
    try:
        return torch.load(filename, map_location=map_location, weights_only=False)
    except Exception as err:
        _raise_if_unreadable(filename, err)
        raise


def _raise_if_unreadable(filename: str, err: Exception) -> None:
    """Raise :class:`NotACheckpointError` if ``err`` came from a file torch cannot read; errors of intact
    files (a CUDA ``map_location`` on a CPU machine, ...) are left to propagate as they are."""
    problem = _file_problem(filename)
    if problem is None and _is_legacy_torch_file(filename):
        problem = "it is in torch's legacy (before 1.6) format but could not be read (truncated or damaged)"
    if problem is not None:
        raise NotACheckpointError(_unreadable_message(filename, problem, err)) from err


def _unreadable_message(filename: str, problem: str, err: Exception) -> str:
    # torch's own message, without the paragraphs of advice that follow its first sentence
    reason = _unpickler_reason(err) if isinstance(err, pickle.UnpicklingError) else next(
        (line.strip() for line in str(err).splitlines() if line.strip()), '')
    reason = reason.split('. ')[0].rstrip('.')
    return (f'cannot load {filename}: {problem}. Expected a PyTorch checkpoint written by torch.save (such as '
            f'the .pth files mmengine saves). [torch.load: {type(err).__name__}{": " + reason if reason else ""}]')


def _file_problem(filename: str) -> Optional[str]:
    """What makes ``filename`` unreadable as a ``torch.save`` file, or None if it looks intact.

    Called only after ``torch.load`` failed, so reading the whole file to check the zip CRCs costs
    nothing on the normal path.
    """
    size = osp.getsize(filename)
    if size == 0:
        return 'the file is empty (0 bytes)'
    with open(filename, 'rb') as f:
        head = f.read(64)
    zip_magic = b'PK\x03\x04'
    if head.startswith(zip_magic) or zip_magic.startswith(head):  # torch.save writes zips since torch 1.6
        if not zipfile.is_zipfile(filename):
            return f'it is the start of a zip archive, as torch.save writes, but its end is missing: ' \
                   f'truncated ({size} bytes) or damaged'
        try:
            with zipfile.ZipFile(filename) as archive:
                if not any(name == 'data.pkl' or name.endswith('/data.pkl') for name in archive.namelist()):
                    return 'it is a zip archive, but not one written by torch.save (it has no data.pkl)'
                damaged = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            return f'its zip archive is damaged ({err})'
        return f'its entry {damaged} is damaged (CRC mismatch)' if damaged else None
    if _is_legacy_torch_file(filename):
        return None
    if head.startswith(b'\x80'):
        return 'it is a Python pickle, but not one written by torch.save'
    text = head.decode('utf-8', errors='replace')
    if all(c.isprintable() or c.isspace() for c in text):
        return f'it is a text file, not a PyTorch checkpoint (it starts with {text[:40]!r})'
    return f'it is not a PyTorch checkpoint (it starts with the bytes {head[:8]!r})'


def _is_legacy_torch_file(filename: str) -> bool:
    # torch's legacy format starts with a pickled magic number (protocol 2 by default: 0x80 0x02 0x8a 0x0a)
    with open(filename, 'rb') as f:
        head = f.read(32)
    return head.startswith(b'\x80') and torch.serialization.MAGIC_NUMBER.to_bytes(10, 'little') in head


CHECKSUM_KEY = 'svm_checksum'


def state_dict_checksum(state_dict: Mapping[str, Any]) -> str:
    """The sha256 (hex) of a state dict's tensors, independent of pickling and of the device they are on.

    Hashed, for each tensor in the order of its sorted key: ``f'{key}\\0{dtype}\\0{shape}\\0'`` (utf-8, shape
    as a Python tuple), then its elements' bytes in row-major order and the machine's byte order
    (little-endian on every platform torch supports). Values that are not tensors are skipped (mmengine's
    state dicts hold only tensors); quantized and sparse tensors are hashed in their dense float form.
    sha256 runs at 1-2 GB/s (OpenSSL), so a 200M-parameter fp32 model (800 MB) costs about half a second.
    """
    digest = hashlib.sha256()
    for key in sorted(state_dict, key=str):
        value = state_dict[key]
        if isinstance(value, torch.Tensor):
            digest.update(f'{key}\0{value.dtype}\0{tuple(value.shape)}\0'.encode('utf-8'))
            digest.update(_tensor_bytes(value))
    return digest.hexdigest()


def _tensor_bytes(tensor: torch.Tensor) -> memoryview:
    if tensor.is_quantized:
        tensor = tensor.dequantize()
    elif tensor.layout != torch.strided:
        tensor = tensor.to_dense()
    # contiguous() and cpu() copy only when they must; the uint8 view reads the elements' raw bytes
    flat = tensor.detach().resolve_conj().resolve_neg().cpu().contiguous().reshape(-1)
    return memoryview(flat.view(torch.uint8).numpy())


def add_checksum(checkpoint: Dict[str, Any]) -> None:
    """Record the checksum of ``checkpoint['state_dict']`` in ``checkpoint['meta']`` (in place)."""
    state = checkpoint.get('state_dict')
    if isinstance(state, Mapping):
        checkpoint.setdefault('meta', {})[CHECKSUM_KEY] = dict(
            algorithm='sha256', of='state_dict', digest=state_dict_checksum(state))


def verify_checksum(checkpoint: Any, filename: str) -> None:
    """Raise :class:`ChecksumMismatchError` if ``checkpoint`` has a checksum its state dict does not match.

    Checkpoints without one (not saved by svm, or by an older svm) pass unchecked; one whose config says svm's
    ``SafeCheckpointHook`` saved it, which always records one, is loaded with a warning: its record was removed.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    record = meta.get(CHECKSUM_KEY) if isinstance(meta, dict) else None
    if record is None:
        if isinstance(meta, dict) and _saved_by_safe_checkpoint_hook(meta):
            print_log(f'checkpoint {filename} was saved by svm\'s SafeCheckpointHook, which records a checksum of '
                      f"its tensors, but it has none (meta['{CHECKSUM_KEY}'] was removed): its tensors cannot be "
                      'verified and may have been changed after it was written', logger='current',
                      level=logging.WARNING)
        return
    state = checkpoint.get('state_dict')
    if not (isinstance(record, dict) and record.get('algorithm') == 'sha256' and isinstance(state, Mapping)):
        raise ChecksumMismatchError(f'checkpoint {filename} is damaged: its checksum record {record!r} is not '
                                    "a sha256 of a 'state_dict'")
    actual = state_dict_checksum(state)
    if actual != record.get('digest'):
        raise ChecksumMismatchError(
            f'checkpoint {filename} is damaged: its tensors do not match their checksum (sha256 of the '
            f"state_dict {record.get('digest')} when saved, {actual} now). Its bytes changed after it was "
            'written (disk or copy error); use another copy or an earlier checkpoint.')


def _saved_by_safe_checkpoint_hook(meta: Mapping[str, Any]) -> bool:
    # mmengine records the run's resolved config (its text) in every checkpoint it saves
    config = meta.get('cfg')
    return isinstance(config, str) and re.search(r"""type=['"]SafeCheckpointHook['"]""", config) is not None


def _refusal_message(filename: str, err: Exception) -> str:
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # not a zip checkpoint: fall back to torch's own message
        unsafe = []
    unsafe = [name for name in unsafe if name not in _allowed_names()] or [_unpickler_reason(err)]
    return (f'refusing to load {filename}: it needs full unpickling of {", ".join(unsafe)}, which can run '
            'arbitrary code. If you trust this file, pass --trust-checkpoint to tools/train.py / '
            'tools/test.py or set `trust_checkpoint = True` in the config.')


# how torch's weights-only unpickler names a global it refuses (zip and legacy formats, torch 2.6 to 2.14)
_REFUSED_GLOBAL = re.compile(r'(?:Unsupported global: GLOBAL|unsupported GLOBAL) ([\w.]+)')


def _unpickler_reason(err: Exception) -> str:
    # torch's message wraps the real reason in several paragraphs of advice; a refused global is named
    refused = _REFUSED_GLOBAL.search(str(err))
    if refused:
        return refused.group(1)
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
        with open(pointer, 'rb') as f:
            raw = f.read()
        try:
            named = raw.decode('utf-8').strip()
        except UnicodeDecodeError:  # torn or damaged: fall back as for a torn pointer
            named, problem = '', f'is not text (it starts with the bytes {raw[:8]!r})'
        else:
            problem = f'names {named!r}, which does not exist' if named else 'is empty'
        if named and '\0' not in named and osp.isfile(named):
            return named
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


def _load_from_local(filename: str, map_location: Optional[Any] = None) -> Any:
    """Replaces mmengine's local-file loader (used by ``load_from``, ``resume`` and ``load_checkpoint``)."""
    return load_checkpoint_file(filename, map_location)


def current_umask() -> int:
    """The process's umask, read without changing it where the OS allows (Linux's /proc).

    ``os.umask`` can only read the mask by setting it, which for a moment would give files that other
    threads create the wrong mode; it is the fallback elsewhere.
    """
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# tempfile.mkstemp's names: prefix + 8 characters of [a-z0-9_] + suffix; see AtomicLocalBackend.put
_TEMPORARY_NAME = re.compile(r'\..+\.[a-z0-9_]{8}\.tmp')


def remove_stale_temporary_files(directory: str) -> List[str]:
    """Remove the temporary files (``.<name>.<random>.tmp``) that writes killed midway left in
    ``directory``; returns their paths. Call it only when no other process writes there."""
    removed = []
    for name in sorted(os.listdir(directory)) if osp.isdir(directory) else []:
        path = osp.join(directory, name)
        if _TEMPORARY_NAME.fullmatch(name) and osp.isfile(path):
            try:
                os.remove(path)
            except FileNotFoundError:  # removed meanwhile
                continue
            removed.append(path)
    return removed


class AtomicLocalBackend(LocalBackend):
    """mmengine's local backend, with writes that are atomic (temporary file, fsync, rename) and files
    that get the mode ``open()`` would give them (``0666 & ~umask``)."""

    def put(self, obj: bytes, filepath) -> None:
        filepath = str(filepath)
        directory = osp.dirname(osp.abspath(filepath))
        os.makedirs(directory, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
        try:
            # mkstemp creates the file 0600 whatever the umask: colleagues of the group could not read it
            os.chmod(tmp_path, 0o666 & ~current_umask())
            with os.fdopen(fd, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_path, filepath)
        except BaseException as err:
            if osp.exists(tmp_path):
                os.remove(tmp_path)
            if isinstance(err, OSError) and filepath not in str(err):
                # "No space left on device" alone does not say which save failed
                raise OSError(err.errno, f'{err.strerror or err} (while writing {filepath})') from err
            raise

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)


def enable_safe_checkpoint_io() -> None:
    """Route mmengine's checkpoint I/O of local files through svm, for this process: loading (``load_from``,
    ``resume``, ``load_checkpoint``) by :func:`load_checkpoint_file` and writing by
    :class:`AtomicLocalBackend`.

    Process-wide, so it is an explicit call rather than a side effect of importing svm: tools/train.py and
    tools/test.py (through svm.utils.runner), the APIs and tools that load or save checkpoints call it.
    Calling it again changes nothing.
    """
    CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    # drop the plain local backends that mmengine instantiated and cached before this call
    for key in [k for k, v in io.backend_instances.items() if type(v) is LocalBackend]:
        del io.backend_instances[key]


def safe_checkpoint_io_enabled() -> bool:
    """Whether :func:`enable_safe_checkpoint_io` is in effect."""
    return (CheckpointLoader._schemes.get('') is _load_from_local
            and io.backends.get('local') is AtomicLocalBackend)
