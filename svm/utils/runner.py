"""What tools/train.py and tools/test.py both do around the Runner: config set-up and the process group."""
import difflib
import inspect
import os.path as osp

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.runner import Runner

from .checkpoint import set_trust_checkpoints


def apply_common_args(cfg: Config, args) -> None:
    """Apply the options the two tools share.

    ``--cfg-options`` are merged first, so they can set any key below too; then the launcher, the work
    dir (``./work_dirs/<config name>`` by default) and ``--trust-checkpoint`` / ``trust_checkpoint``.
    """
    if args.cfg_options is not None:
        check_override_keys(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    set_trust_checkpoints(args.trust_checkpoint or cfg.get('trust_checkpoint', False))
    if cfg.launcher == 'pytorch' and not torch.cuda.is_available():
        setup_cpu_distributed(cfg)


# Keys the Runner (and these tools) read even where a config leaves them out.
RUNNER_KEYS = set(inspect.signature(Runner.__init__).parameters) - {'self'} | {
    'model_wrapper_cfg', 'find_unused_parameters', 'sync_bn', 'compile', 'runner_type', 'trust_checkpoint'}


def check_override_keys(cfg: Config, options: dict) -> None:
    """Refuse ``--cfg-options`` whose top-level key the config does not have (most likely a typo).

    mmengine would add such a key silently and the Runner would ignore it. Deeper keys may be new:
    they are the arguments of the module a dict builds, which complains about unknown ones itself.
    """
    known = set(cfg.keys()) | RUNNER_KEYS
    for key in options:
        top = key.split('.')[0]
        if top not in known:
            close = difflib.get_close_matches(top, sorted(known), n=3)
            hint = f'; did you mean {" or ".join(close)}?' if close else ''
            raise KeyError(f'--cfg-options {key}: config {cfg.filename} has no key {top!r}{hint}')


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
