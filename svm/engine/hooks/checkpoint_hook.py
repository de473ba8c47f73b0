"""A CheckpointHook that never leaves a run without a complete checkpoint, and checksums what it saves.

mmengine 0.10.7's ``CheckpointHook`` removes the oldest kept checkpoint (``max_keep_ckpts``) and the
previous best one (``save_best``) *before* it writes the new one, so a run killed while saving with
``max_keep_ckpts=1`` has no checkpoint left and a ``last_checkpoint`` that names a missing file.
"""
from contextlib import contextmanager
from typing import Any, Iterator, List, Tuple

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

from svm.utils.checkpoint import add_checksum, remove_stale_temporary_files


class _DeferredRemovals:
    """Stands in for the hook's file backend during a save: records removals instead of doing them, and
    passes every other call (``isfile``, ``join_path``, ...) to the real backend."""

    def __init__(self, backend: Any):
        self.backend = backend
        self.pending: List[Tuple[str, str]] = []  # (backend method, path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def remove(self, filepath: str) -> None:
        self.pending.append(('remove', filepath))

    def rmtree(self, dir_path: str) -> None:
        self.pending.append(('rmtree', dir_path))


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments, same files, same resume state) with three changes:

    - checkpoints it drops (``max_keep_ckpts``, the previous ``save_best``) are removed only after the
      new checkpoint and the ``last_checkpoint`` pointer are written, so a kill at any moment of a save
      leaves the previous checkpoint in place and ``last_checkpoint`` naming a file that exists;
    - at the start of training, temporary files of saves killed midway (``.<name>.<random>.tmp``, see
      :class:`svm.utils.checkpoint.AtomicLocalBackend`) are removed from the checkpoint directory;
    - every checkpoint it saves records the sha256 of its ``state_dict`` tensors in
      ``meta['svm_checksum']``, which svm's loader verifies.

    Registered under its own name in mmengine's root ``HOOKS`` registry (so the mmdet and mmaction scopes
    find it too) rather than replacing ``CheckpointHook`` with ``force=True``: a name keeps meaning one
    class, a config says which hook it gets, and mmengine's hook stays available unchanged.
    ``configs/_base_/default_runtime.py`` selects this one for every svm config.
    """

    def before_train(self, runner) -> None:
        super().before_train(runner)
        backend = getattr(self.file_backend, 'client', self.file_backend)  # a FileClient wraps its backend
        if is_main_process() and isinstance(backend, LocalBackend):
            for path in remove_stale_temporary_files(self.out_dir):
                print_log(f'removed {path}, left by a save that was killed midway', logger='current')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # runs after hooks of higher priority (EMAHook swaps in its weights here), just before the write
        add_checksum(checkpoint)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        with self._removals_deferred():
            super()._save_checkpoint_with_step(runner, step, meta)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self._removals_deferred():
            super()._save_best_checkpoint(runner, metrics)

    @contextmanager
    def _removals_deferred(self) -> Iterator[None]:
        """Let mmengine's bookkeeping run unchanged, but carry out its removals only once the saves in
        the block have succeeded (never, if one fails: the old files stay)."""
        if isinstance(self.file_backend, _DeferredRemovals):  # nested: _save_best_checkpoint saves twice
            yield
            return
        deferred = _DeferredRemovals(self.file_backend)
        self.file_backend = deferred
        try:
            yield
        finally:
            self.file_backend = deferred.backend
        for method, path in deferred.pending:
            getattr(self.file_backend, method)(path)
