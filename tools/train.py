"""Train a model from a config with mmengine's Runner (the OpenMMLab tools/train.py interface)."""
import argparse
import os

from mmengine.config import DictAction
from torch.distributed.elastic.multiprocessing.errors import record

from svm.utils.runner import config_for_training, finish_distributed, run_training
from svm.utils.user_errors import run_main


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


@record  # under torchrun, a failing rank's traceback goes into torchrun's error summary
def main():
    args = parse_args()
    cfg = config_for_training(args.config, args.cfg_options, args.work_dir, args.launcher, args.trust_checkpoint,
                              amp=args.amp, auto_scale_lr=args.auto_scale_lr, resume=args.resume)
    run_training(cfg)
    finish_distributed()


if __name__ == '__main__':
    run_main(main)
