"""Test (evaluate) a checkpoint with mmengine's Runner (the OpenMMLab tools/test.py interface)."""
import argparse
import os

from mmengine.config import DictAction
from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from torch.distributed.elastic.multiprocessing.errors import record

from svm.utils.checkpoint import check_checkpoint_fits
from svm.utils.config_checks import load_config
from svm.utils.runner import apply_common_args, check_writable, finish_distributed


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


def check_outputs_writable(cfg, args):
    """Every place the test writes to, checked before the first batch rather than after the last."""
    check_writable(cfg.work_dir, 'the work dir')
    if args.out is not None:
        check_writable(os.path.dirname(os.path.abspath(args.out)), 'the folder of --out')
    if args.show_dir:
        check_writable(os.path.join(cfg.work_dir, args.show_dir), '--show-dir')
    evaluators = cfg.get('test_evaluator') or []
    for evaluator in [evaluators] if isinstance(evaluators, dict) else evaluators:
        if evaluator.get('outfile_prefix'):
            check_writable(os.path.dirname(os.path.abspath(evaluator['outfile_prefix'] + '_')),
                           'test_evaluator.outfile_prefix')


@record  # under torchrun, a failing rank's traceback goes into torchrun's error summary
def main():
    args = parse_args()
    cfg = load_config(args.config)
    apply_common_args(cfg, args)
    if args.checkpoint is not None:
        cfg.load_from = args.checkpoint
    if args.show_dir:
        enable_show_dir(cfg, args.show_dir)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must be a .pkl or .pickle file, got {args.out}')
    check_outputs_writable(cfg, args)

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if args.checkpoint is not None:
        check_checkpoint_fits(runner.model, args.checkpoint)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    runner.test()
    finish_distributed()


if __name__ == '__main__':
    main()
