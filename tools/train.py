"""Train a model from a config with mmengine's Runner (the OpenMMLab tools/train.py interface)."""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from torch.distributed.elastic.multiprocessing.errors import record

from svm.utils.checkpoint import find_resume_checkpoint
from svm.utils.config_checks import load_config
from svm.utils.runner import apply_common_args, check_load_from, finish_distributed
from svm.utils.work_dir_lock import lock_work_dir


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a svm model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest one in the work dir if no path is given')
    parser.add_argument('--amp', action='store_true', help='enable automatic mixed precision training')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale every learning rate by (processes x train_dataloader.batch_size) / '
        'auto_scale_lr.base_batch_size, the total batch the config\'s lr is for (linear scaling rule)')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='allow loading checkpoints that need full unpickling (only for files you trust)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, e.g. model.backbone.memory_len=16 '
        'optim_wrapper.optimizer.lr=1e-4 "optim_wrapper.optimizer.betas=(0.9,0.98)"')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def setup_cfg(args) -> Config:
    """The config the runner is built from: the file, then the command-line overrides."""
    cfg = load_config(args.config)
    apply_common_args(cfg, args)

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print('AMP training is already enabled in the config.')
        else:
            assert optim_wrapper == 'OptimWrapper', (
                f'--amp needs optim_wrapper.type OptimWrapper, got {optim_wrapper}')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg, args.config)

    if args.resume == 'auto':
        # resolved here rather than by mmengine, which trusts a torn `last_checkpoint` pointer
        cfg.load_from = find_resume_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None
        if not cfg.resume:
            print(f'--resume: no checkpoint in {cfg.work_dir}, training from the start')
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def enable_auto_scale_lr(cfg: Config, path: str) -> None:
    """--auto-scale-lr: mmengine's Runner scales the lr of every parameter group by (world size x
    batch size) / ``auto_scale_lr.base_batch_size`` once the optimizer is built."""
    scale = cfg.get('auto_scale_lr')
    if not isinstance(scale, dict) or not scale.get('base_batch_size'):
        raise KeyError(f'--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=N)` in {path}: the total '
                       f'batch size (processes x train_dataloader.batch_size) its learning rate is set for')
    cfg.auto_scale_lr.enable = True


@record  # under torchrun, a failing rank's traceback goes into torchrun's error summary
def main():
    cfg = setup_cfg(parse_args())
    with lock_work_dir(cfg.work_dir):  # one training run per work dir
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        check_load_from(runner.model, cfg)
        runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
