"""What tools/train.py and tools/test.py do around the Runner: the config they run (file, command-line
options, AMP, lr scaling, resume, --show-dir), checks of what it will load and write, and the process group."""
import logging
import os
import os.path as osp
import tempfile
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

from mmengine.logging import print_log

from .checkpoint import (check_checkpoint_fits, enable_safe_checkpoint_io, find_resume_checkpoint,
                         set_trust_checkpoints)
from .config_checks import (check_hook_args, check_loop_values, check_optimizer_values, check_override_keys,
                            load_config)
from .work_dir_lock import lock_work_dir


def apply_common_args(cfg: Config,
                      config_path: str,
                      cfg_options: Optional[dict] = None,
                      work_dir: Optional[str] = None,
                      launcher: str = 'none',
                      trust_checkpoint: bool = False) -> None:
    """Apply the options the tools that run a config share (tools/train.py, tools/test.py, the memory sweep).

    ``cfg_options`` (``--cfg-options``) are merged first, so they can set any key below too; then the
    launcher, the work dir (``./work_dirs/<config name>`` by default), svm's safe checkpoint I/O
    (:func:`~svm.utils.checkpoint.enable_safe_checkpoint_io`) and ``--trust-checkpoint`` / ``trust_checkpoint``.
    Overrides that cannot take effect, unknown hook arguments and non-numeric optimizer values are refused here,
    before anything runs (svm.utils.config_checks).
    """
    if cfg_options is not None:
        check_override_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    check_hook_args(cfg)
    check_optimizer_values(cfg)
    check_loop_values(cfg)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    enable_safe_checkpoint_io()
    set_trust_checkpoints(trust_checkpoint or cfg.get('trust_checkpoint', False))
    if cfg.launcher == 'pytorch' and not torch.cuda.is_available():
        setup_cpu_distributed(cfg)


def config_for_training(config_path: str,
                 cfg_options: Optional[dict] = None,
                 work_dir: Optional[str] = None,
                 launcher: str = 'none',
                 trust_checkpoint: bool = False,
                 amp: bool = False,
                 auto_scale_lr: bool = False,
                 resume: Optional[str] = None) -> Config:
    """The config tools/train.py builds its runner from: the file, :func:`apply_common_args`, then ``amp``
    (:func:`enable_amp`), ``auto_scale_lr`` (:func:`enable_auto_scale_lr`) and ``resume``: 'auto' for the
    latest checkpoint in the work dir (:func:`svm.utils.checkpoint.find_resume_checkpoint`; none: training
    starts from the beginning), or a checkpoint path."""
    cfg = load_config(config_path)
    apply_common_args(cfg, config_path, cfg_options, work_dir, launcher, trust_checkpoint)
    if amp:
        enable_amp(cfg)
    check_amp_device(cfg, config_path, amp)
    if auto_scale_lr:
        enable_auto_scale_lr(cfg, config_path)
    if resume == 'auto':
        # resolved here rather than by mmengine, which trusts a torn `last_checkpoint` pointer
        cfg.load_from = find_resume_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None
        if not cfg.resume:
            print(f'--resume: no checkpoint in {cfg.work_dir}, training from the start')
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    return cfg


def enable_amp(cfg: Config) -> None:
    """Train with mixed precision: mmengine's AmpOptimWrapper (dynamic loss scale) for an OptimWrapper."""
    optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if optim_wrapper == 'AmpOptimWrapper':
        print('AMP training is already enabled in the config.')
        return
    if optim_wrapper != 'OptimWrapper':
        raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, got {optim_wrapper}')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def amp_device_available() -> bool:
    """Whether mmengine's AmpOptimWrapper can run here: it asserts a CUDA, NPU, MLU or MUSA device."""
    from mmengine.device import is_cuda_available, is_mlu_available, is_musa_available, is_npu_available
    return is_cuda_available() or is_npu_available() or is_mlu_available() or is_musa_available()


def check_amp_device(cfg: Config, path: str, amp_option: bool = False) -> None:
    """Refuse mixed precision training (``optim_wrapper.type='AmpOptimWrapper'``, from ``--amp`` when
    ``amp_option``) on a machine without a GPU, before the run: mmengine would stop with an AssertionError
    only once it builds the optimizer, after the model and the data."""
    if cfg.get('optim_wrapper', {}).get('type') != 'AmpOptimWrapper' or amp_device_available():
        return
    needs = "mixed precision training (mmengine's AmpOptimWrapper) needs a GPU (CUDA, NPU, MLU or MUSA)"
    if amp_option:
        raise ValueError(f'--amp: {needs} and this machine has none: leave out --amp to train {path} in fp32')
    raise ValueError(
        f"{path}: optim_wrapper.type='AmpOptimWrapper': {needs} and this machine has none: to train in fp32, "
        "use a config that inherits this one and sets optim_wrapper = dict(_delete_=True, type='OptimWrapper', "
        "**{k: v for k, v in _base_.optim_wrapper.items() if k not in ('type', 'loss_scale', 'dtype')})")


def enable_auto_scale_lr(cfg: Config, path: str) -> None:
    """--auto-scale-lr: mmengine's Runner scales the lr of every parameter group by (world size x
    batch size) / ``auto_scale_lr.base_batch_size`` once the optimizer is built."""
    scale = cfg.get('auto_scale_lr')
    if not isinstance(scale, dict) or not scale.get('base_batch_size'):
        raise KeyError(f'--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=N)` in {path}: the total '
                       f'batch size (processes x train_dataloader.batch_size) its learning rate is set for')
    cfg.auto_scale_lr.enable = True


def config_for_testing(config_path: str,
                checkpoint: Optional[str] = None,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none',
                trust_checkpoint: bool = False,
                show_dir: Optional[str] = None,
                out: Optional[str] = None) -> Config:
    """The config tools/test.py builds its runner from: the file, :func:`apply_common_args`, the checkpoint as
    ``load_from``, ``show_dir`` (:func:`enable_show_dir`); then every place the test writes to (the work dir,
    the folder of the ``out`` pickle, ``show_dir``, the evaluators' ``outfile_prefix``) is checked writable,
    before the first batch rather than after the last."""
    if out is not None and not out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must be a .pkl or .pickle file, got {out}')
    cfg = load_config(config_path)
    apply_common_args(cfg, config_path, cfg_options, work_dir, launcher, trust_checkpoint)
    if checkpoint is not None:
        cfg.load_from = checkpoint
    if show_dir:
        enable_show_dir(cfg, show_dir, cfg_options)
    check_writable(cfg.work_dir, 'the work dir')
    if out is not None:
        check_writable(osp.dirname(osp.abspath(out)), 'the folder of --out')
    if show_dir and osp.isabs(show_dir):  # a relative one goes into the run's folder of the work dir
        check_writable(show_dir, '--show-dir')
    evaluators = cfg.get('test_evaluator') or []
    for evaluator in [evaluators] if isinstance(evaluators, dict) else evaluators:
        if evaluator.get('outfile_prefix'):
            check_writable(osp.dirname(osp.abspath(evaluator['outfile_prefix'] + '_')),
                           'test_evaluator.outfile_prefix')
    return cfg


def enable_show_dir(cfg: Config, show_dir: str, cfg_options: Optional[dict] = None) -> None:
    """--show-dir: the config's visualization hook draws every tested frame into ``show_dir``; a relative one
    is taken inside the run's folder, ``<work_dir>/<timestamp>/show_dir`` (where mmdet's hooks put
    it). The configs' drawing interval (mmdet's default, 30, in the MOT17 configs) would draw nothing of a
    sequence shorter than it, so it is set to 1 unless ``cfg_options`` (--cfg-options) set it."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise KeyError(f'--show-dir needs a `visualization` entry in default_hooks, and config '
                       f'{cfg.filename} has none: this task has nothing to draw')
    hook['draw'] = True
    hook['test_out_dir'] = show_dir
    interval_key = _interval_key(hook)
    if f'default_hooks.visualization.{interval_key}' not in (cfg_options or {}):
        hook[interval_key] = 1


def _interval_key(hook: dict) -> str:
    """The argument of a visualization hook that says which test iterations it draws."""
    return 'frame_interval' if str(hook.get('type', '')).endswith('TrackVisualizationHook') else 'interval'


def show_dir_message(cfg: Config, work_dir: str, timestamp: str) -> Optional[str]:
    """What --show-dir draws and where, for the log of a run with ``work_dir`` and ``timestamp``; None without
    --show-dir."""
    hook = (cfg.get('default_hooks') or {}).get('visualization') or {}
    if not hook.get('draw') or not hook.get('test_out_dir'):
        return None
    interval = hook.get(_interval_key(hook), 30)  # mmdet's default
    which = 'every tested frame' if interval == 1 else f'one tested frame in {interval}'
    return f'--show-dir: drawing {which} into {osp.join(work_dir, timestamp, hook["test_out_dir"])}'


def run_training(cfg: Config) -> None:
    """What tools/train.py runs: mmengine's Runner (or the config's ``runner_type``) on a config of
    :func:`config_for_training`, the work dir locked for the run (one training per work dir), the
    ``load_from`` / resume checkpoint checked against the model (:func:`check_load_from`)."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    with lock_work_dir(cfg.work_dir):
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        check_load_from(runner.model, cfg)
        runner.train()


def run_testing(cfg: Config, checkpoint: Optional[str] = None, out: Optional[str] = None) -> dict:
    """What tools/test.py runs: the test loop of a config of :func:`config_for_testing`, ``checkpoint``
    checked against the model first (every key and shape; a file that is no checkpoint is named), the raw
    predictions dumped to the ``out`` pickle; returns the metrics."""
    from mmengine.evaluator import DumpResults
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if checkpoint is not None:
        check_checkpoint_fits(runner.model, checkpoint)
    message = show_dir_message(cfg, runner.work_dir, runner.timestamp)
    if message:
        runner.logger.info(message)
    if out is not None:
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=out))
    return runner.test()


def check_load_from(model: torch.nn.Module, cfg: Config) -> None:
    """Refuse a ``load_from`` / ``--resume`` checkpoint that does not fit the model, naming the file and
    the mismatched keys (mmengine loads ``load_from`` non-strictly and reports at INFO level only; a
    resume fails with 'different number of parameter groups').

    ``partial_load = True`` in the config allows a deliberate partial ``load_from`` (not a resume), e.g.
    a detector from another dataset: the mismatches are reported as a warning and the matching tensors
    are loaded.
    """
    if not cfg.get('load_from'):
        return
    try:
        check_checkpoint_fits(model, cfg.load_from)
    except KeyError as err:
        if cfg.get('resume') or not cfg.get('partial_load', False):
            hint = '' if cfg.get('resume') else (' (set partial_load = True in the config to load only the '
                                                 'matching tensors)')
            raise KeyError(f'{err.args[0]}{hint}') from None
        print_log(f'partial_load: {err.args[0]}; every other tensor of the model is loaded from it',
                  logger='current', level=logging.WARNING)


def check_writable(directory: str, what: str) -> None:
    """Create ``directory`` if needed and make sure files can be written into it, before a long run
    would fail at its end."""
    try:
        os.makedirs(directory, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as err:
        raise OSError(f'{what} {directory} cannot be written: {err.strerror or err}') from None


def setup_cpu_distributed(cfg: Config) -> None:
    """Let a torchrun-launched job run on CPU processes that talk over gloo.

    mmengine 0.10.7 assumes CUDA in distributed runs: its ``init_dist`` calls ``torch.cuda.set_device``
    and it wraps the model in DDP with ``device_ids=[LOCAL_RANK]``. Here the process group is created
    with gloo before the Runner exists (the Runner then keeps it) and DDP gets ``device_ids=None``.
    """
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(**dist_cfg)
        # creating a gloo group is not a synchronisation point: without one, a fast rank can talk to a
        # peer whose group is not connected yet (pytorch#61396)
        torch_dist.barrier()


def finish_distributed() -> None:
    """Leave the process group together with the other ranks, while the interpreter is still alive.

    mmengine never destroys the group it creates. A rank that just exits tears gloo down during
    interpreter finalisation: its worker threads may still release tensors then and abort the process
    (SIGABRT, pytorch#179291), and a rank that leaves first closes connections a slower rank is still
    using ("Connection closed by peer"). The barrier lets every rank finish its last collective first.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
