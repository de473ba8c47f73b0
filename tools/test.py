"""Test (evaluate) a checkpoint with mmengine's Runner (the OpenMMLab tools/test.py interface)."""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from torch.distributed.elastic.multiprocessing.errors import record

from svm.utils.checkpoint import check_checkpoint_fits
from svm.utils.runner import apply_common_args, finish_distributed


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a svm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('--checkpoint', help='checkpoint file (omit for a model that needs no weights)')
    parser.add_argument('--work-dir', help='the dir to save the evaluation logs')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file (.pkl)')
    parser.add_argument('--show-dir', help='draw the predictions into images saved under this dir '
                        '(inside the work dir when relative)')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='allow loading checkpoints that need full unpickling (only for files you trust)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, e.g. model.backbone.memory_len=16')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_show_dir(cfg, show_dir):
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise KeyError(f'--show-dir needs a `visualization` entry in default_hooks, and config '
                       f'{cfg.filename} has none: this task has nothing to draw')
    hook['draw'] = True
    hook['test_out_dir'] = show_dir


@record  # under torchrun, a failing rank's traceback goes into torchrun's error summary
def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    apply_common_args(cfg, args)
    if args.checkpoint is not None:
        cfg.load_from = args.checkpoint
    if args.show_dir:
        enable_show_dir(cfg, args.show_dir)

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if args.checkpoint is not None:
        check_checkpoint_fits(runner.model, args.checkpoint)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl or .pickle file, got {args.out}')
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    runner.test()
    finish_distributed()


if __name__ == '__main__':
    main()
