"""What tools/train.py and tools/test.py both do around the Runner: config set-up, checks of what it will
load and write, and the process group."""
import logging
import os
import os.path as osp
import tempfile

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

from mmengine.logging import print_log

from .checkpoint import check_checkpoint_fits, set_trust_checkpoints
from .config_checks import check_hook_args, check_optimizer_values, check_override_keys


def apply_common_args(cfg: Config, args) -> None:
    """Apply the options the two tools share.

    ``--cfg-options`` are merged first, so they can set any key below too; then the launcher, the work
    dir (``./work_dirs/<config name>`` by default) and ``--trust-checkpoint`` / ``trust_checkpoint``.
    Overrides that cannot take effect, unknown hook arguments and non-numeric optimizer values are
    refused here, before anything runs (svm.utils.config_checks).
    """
    if args.cfg_options is not None:
        check_override_keys(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    check_hook_args(cfg)
    check_optimizer_values(cfg)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    set_trust_checkpoints(args.trust_checkpoint or cfg.get('trust_checkpoint', False))
    if cfg.launcher == 'pytorch' and not torch.cuda.is_available():
        setup_cpu_distributed(cfg)


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
