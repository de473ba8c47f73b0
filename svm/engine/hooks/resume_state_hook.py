"""A hook that saves with every checkpoint the training state mmengine does not, and restores it on resume.

mmengine 0.10.7 resumes the model, the optimizer, the schedulers, the message hub and the epoch/iteration
counters, and other hooks' own state (EMAHook's ``ema_state_dict``). Measured on the tiny MOT config
killed in epoch 2 and resumed from ``epoch_1.pth`` (266 of 306 weights differed from an uninterrupted
run), it does not resume:

- the global random generators (python ``random``, numpy, torch; CUDA's where initialised). A resumed
  run starts them from the seed, then builds and initialises the model, so they are not where the
  uninterrupted run left them. mmdet's transforms draw from them in the main process with
  ``num_workers=0`` (Mosaic/MixUp's partner indices through ``random``, RandomAffine, HSV, flip and
  svm's seeded Clip* transforms through numpy), ``BatchSyncRandomResize`` draws its next size from
  ``random``, and the DataLoader draws its base seed from torch;
- ``BatchSyncRandomResize._input_size``: the size drawn after the previous iteration, applied to the
  next batch (``None`` in a fresh process, which then trains the first batch at its loaded size);
- the sampler's seed when the config sets no ``randomness.seed``: the Runner gives the sampler (and the
  DataLoader workers' ``worker_init_fn``) its own seed before it resumes, and a fresh process draws a
  fresh one (mmengine then re-seeds the generators with the checkpoint's seed, but the sampler and the
  workers keep the new one).

:class:`ResumeStateHook` writes these into ``checkpoint['resume_state']`` and puts them back when
training resumes (``resume=True`` / ``--resume``, not ``load_from``), just before the first batch is
loaded. It also makes validation neutral to the generators during training (their states are put back
after each validation), since mmengine validates after saving the epoch's checkpoint and a resumed run
does not repeat that validation. Checkpoints without ``resume_state`` resume as before. A checkpoint saved
within an epoch of an epoch-based loop is refused for resuming: mmengine restarts the epoch at its first
batch, which no restored state can make exact.

Limits: DataLoader workers' own generators (``num_workers > 0``) live in the worker processes; with
``persistent_workers=False`` mmengine re-seeds them identically every epoch, so they resume exactly once
the seed is restored; persistent workers carry their generators across epochs and cannot be restored.
Iteration-based loops reload the batches they skip on resume after ``before_train``, drawing from the
restored generators. With several processes every process's generators are gathered at the end of each
epoch and restored per rank (same number of processes only); checkpoints saved within an epoch by a
multi-process run carry no generator states.
"""
import logging
import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.registry import HOOKS

KEY = 'resume_state'


def get_rng_state() -> Dict[str, Any]:
    """The global generators' states, as plain types and tensors (loadable with ``weights_only=True``)."""
    name, key, pos, has_gauss, gauss = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=dict(name=name, key=torch.from_numpy(key.astype(np.int64)), pos=int(pos),
                   has_gauss=int(has_gauss), gauss=float(gauss)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Put back what :func:`get_rng_state` returned."""
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    numpy = state['numpy']
    np.random.set_state((numpy['name'], numpy['key'].cpu().numpy().astype(np.uint32), numpy['pos'],
                         numpy['has_gauss'], numpy['gauss']))
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])


def _batch_resizers(model: torch.nn.Module) -> Dict[str, torch.nn.Module]:
    """mmdet's BatchSyncRandomResize modules of ``model`` (in any data preprocessor), by module name."""
    try:
        from mmdet.models.data_preprocessors import BatchSyncRandomResize
    except ImportError:  # a recognition-only environment
        return {}
    return {name: m for name, m in model.named_modules() if isinstance(m, BatchSyncRandomResize)}


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if hasattr(model, 'module') else model


@HOOKS.register_module()
class ResumeStateHook(Hook):
    """Saves the random generators, the sampler's seed and BatchSyncRandomResize's next size with every
    checkpoint and restores them on resume, so that a resumed run continues exactly as an uninterrupted
    one (see the module docstring for what and why). A resume that cannot be exact, from a checkpoint saved
    within an epoch of an epoch-based loop, is refused (see ``allow_mid_epoch_resume``).

    ``configs/_base_/default_runtime.py`` adds it to every svm config as ``default_hooks.resume_state``.
    Priority ``LOW``: at the end of an epoch it runs before the checkpoint hook (``VERY_LOW``), and on
    resume it restores after the hooks of higher priority have run their ``before_train``.

    Args:
        allow_mid_epoch_resume: continue, with a warning, from a checkpoint saved within an epoch of an
            epoch-based loop (``default_hooks.checkpoint.by_epoch=False``), which mmengine restarts at the
            epoch's first batch: the batches before the checkpoint are trained again, the run takes more
            iterations than planned and differs from an uninterrupted one. By default such a resume is
            refused before training continues.
    """

    priority = 'LOW'

    def __init__(self, allow_mid_epoch_resume: bool = False) -> None:
        self.allow_mid_epoch_resume = allow_mid_epoch_resume
        self._resumed = False  # training continues from a checkpoint (not load_from)
        self._pending: Optional[dict] = None  # resume_state of the checkpoint resumed from
        self._outside_val: Optional[dict] = None  # generator states when validation began
        self._rank_states: Optional[List[dict]] = None  # every process's states at the end of an epoch
        self._rank_states_iter = -1

    # saving -------------------------------------------------------------------------------------------
    def after_train_epoch(self, runner) -> None:
        # save_checkpoint runs on rank 0 only: gather every process's generators while all take part
        if get_dist_info()[1] > 1:
            self._rank_states = all_gather_object(get_rng_state())
            self._rank_states_iter = runner.iter

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        world_size = get_dist_info()[1]
        if world_size == 1:
            # a checkpoint saved during validation (save_best) gets the states validation will put back
            rng = [self._outside_val or get_rng_state()]
        elif self._rank_states_iter == runner.iter:
            rng = self._rank_states
        else:
            rng = None
        loader = runner.train_dataloader
        resizers = _batch_resizers(_unwrap(runner.model))
        checkpoint[KEY] = dict(
            iter=runner.iter,
            rng=rng,
            sampler_seed=getattr(getattr(loader, 'sampler', None), 'seed', None),
            worker_seed=self._worker_seed(loader),
            input_sizes={name: (None if m._input_size is None else tuple(int(s) for s in m._input_size))
                         for name, m in resizers.items()})

    # resuming -----------------------------------------------------------------------------------------
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # mmengine calls this before it sets the counters and re-seeds, so restore in before_train
        self._resumed = bool(getattr(runner, '_resume', False))
        self._pending = checkpoint.get(KEY) if self._resumed else None

    def before_train(self, runner) -> None:
        if self._resumed:
            self._resumed = False
            self._check_epoch_boundary(runner)
        state, self._pending = self._pending, None
        if state is None:
            return
        if state['iter'] != runner.iter:  # not the checkpoint training continues from
            return
        restored = []
        rank, world_size = get_dist_info()
        if state['rng'] is None:
            print_log('the checkpoint has no random generator states of its processes (saved within an '
                      'epoch by a multi-process run): the resumed run will not repeat the uninterrupted one',
                      logger='current', level=logging.WARNING)
        elif len(state['rng']) != world_size:
            print_log(f'the checkpoint has random generator states of {len(state["rng"])} processes, this '
                      f'run has {world_size}: they are not restored', logger='current',
                      level=logging.WARNING)
        else:
            set_rng_state(state['rng'][rank])
            restored.append('random generators')
        loader = runner.train_dataloader
        sampler = getattr(loader, 'sampler', None)
        if state.get('sampler_seed') is not None and hasattr(sampler, 'seed'):
            sampler.seed = state['sampler_seed']
            restored.append(f'sampler seed {sampler.seed}')
        if state.get('worker_seed') is not None and self._worker_seed(loader) is not None:
            init_fn = loader.worker_init_fn
            loader.worker_init_fn = type(init_fn)(init_fn.func, *init_fn.args,
                                                  **{**init_fn.keywords, 'seed': state['worker_seed']})
            restored.append(f'worker seed {state["worker_seed"]}')
        resizers = _batch_resizers(_unwrap(runner.model))
        for name, size in state.get('input_sizes', {}).items():
            if name in resizers:
                resizers[name]._input_size = None if size is None else tuple(size)
                restored.append(f'{name}._input_size {size}')
        print_log(f'resumed training state: {", ".join(restored) or "nothing"}', logger='current')

    def _check_epoch_boundary(self, runner) -> None:
        """Refuse (or, with ``allow_mid_epoch_resume``, warn about) a resume within an epoch of an epoch-based
        loop: mmengine's EpochBasedTrainLoop (and svm's FrameSteppedTrainLoop) start every epoch at its first
        batch, so the batches trained before the checkpoint would be trained again."""
        from mmengine.runner import EpochBasedTrainLoop
        loop = runner.train_loop
        if not isinstance(loop, EpochBasedTrainLoop):
            return
        per_epoch = len(loop.dataloader)
        done = runner.iter - runner.epoch * per_epoch
        if done == 0:
            return
        # a checkpoint of the epoch's last iteration too: saved before the epoch's end (its hooks, the count)
        checkpoint = getattr(runner, '_load_from', None) or 'the checkpoint'
        problem = (f'{checkpoint} was saved within epoch {runner.epoch + 1} (iteration {runner.iter}: {done} of '
                   f"the epoch's {per_epoch} iterations done), and {type(loop).__name__} starts an epoch at its "
                   f'first batch: those {done} batches would be trained again, the run would end at iteration '
                   f'{runner.iter + (loop.max_epochs - runner.epoch) * per_epoch} instead of '
                   f'{loop.max_iters}, and it would differ from an uninterrupted run')
        if not self.allow_mid_epoch_resume:
            raise RuntimeError(
                f'cannot resume exactly: {problem}. Resume from a checkpoint saved at the end of an epoch '
                '(epoch_N.pth; default_hooks.checkpoint.by_epoch=True), or set '
                'default_hooks.resume_state.allow_mid_epoch_resume=True to continue from this one anyway')
        print_log(f'resuming inexactly (allow_mid_epoch_resume=True): {problem}', logger='current',
                  level=logging.WARNING)

    # validation does not move the generators training draws from -------------------------------------
    def before_val(self, runner) -> None:
        self._outside_val = get_rng_state()

    def after_val(self, runner) -> None:
        if self._outside_val is not None:
            set_rng_state(self._outside_val)
            self._outside_val = None

    @staticmethod
    def _worker_seed(loader) -> Optional[int]:
        """The seed mmengine binds into the DataLoader's ``worker_init_fn`` (a ``functools.partial``)."""
        init_fn = getattr(loader, 'worker_init_fn', None)
        keywords = getattr(init_fn, 'keywords', None)
        return keywords.get('seed') if isinstance(keywords, dict) else None
