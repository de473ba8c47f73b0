"""Test (evaluate) a checkpoint with mmengine's Runner (the OpenMMLab tools/test.py interface)."""
import argparse
import os

from mmengine.config import DictAction
from torch.distributed.elastic.multiprocessing.errors import record

from svm.utils.runner import config_for_testing, finish_distributed, run_testing
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a svm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('--checkpoint', help='checkpoint file (omit for a model that needs no weights)')
    parser.add_argument('--work-dir', help='the dir to save the evaluation logs')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file (.pkl)')
    parser.add_argument('--show-dir', metavar='DIR',
                        help='draw the ground truth beside the predictions of every tested frame into '
                        'DIR/<video>/<frame>.jpg; a relative DIR is taken inside the run\'s folder, '
                        '<work_dir>/<timestamp>/DIR (the log names it); --cfg-options '
                        'default_hooks.visualization.frame_interval=N draws one frame in N')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='allow loading checkpoints that need full unpickling (only for files you trust)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, e.g. model.backbone.memory_len=16')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


@record  # under torchrun, a failing rank's traceback goes into torchrun's error summary
def main():
    args = parse_args()
    cfg = config_for_testing(args.config, args.checkpoint, args.cfg_options, args.work_dir, args.launcher,
                             args.trust_checkpoint, show_dir=args.show_dir, out=args.out)
    run_testing(cfg, args.checkpoint, args.out)
    finish_distributed()


if __name__ == '__main__':
    run_main(main)
