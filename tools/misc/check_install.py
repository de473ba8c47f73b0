"""Check an install end to end: the project's own command lines (tools/train.py, tools/test.py, tools/dist_*.sh,
the release checkpoint converter, the CUDA-marked tests) on generated data, into one table.

    python tools/misc/check_install.py                      # on a CUDA machine, after `make env-gpu`
    python tools/misc/check_install.py --dry-run            # every step on the CPU, tiny sizes (a few minutes)
    python tools/misc/check_install.py --steps train fps    # some steps (with the data they need)

Prints the environment and one table (step, PASS / FAIL / SKIP, seconds, key figures) and writes it to
<out-dir>/check_install.{json,md}; each command's log is in <out-dir>/logs. Exits non-zero if a step failed.
The steps and what each checks: svm/utils/install_check.py and docs/gpu.md ("Checking an install end to end").
"""
import argparse
import sys

from svm.utils.install_check import STEP_NAMES, CheckSettings, exit_code, run_check
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out-dir', default='work_dirs/check_install',
                        help='where the table, the logs, the generated data and the work dirs go')
    parser.add_argument('--device', default='cuda', help="'cuda', 'cuda:N' or 'cpu' (default: cuda)")
    parser.add_argument('--dry-run', action='store_true',
                        help='every step on the CPU with a tiny S-ViT at tiny sizes, in fp32: tries the whole check '
                        'before any GPU time is spent')
    parser.add_argument('--steps', nargs='+', choices=STEP_NAMES, metavar='STEP',
                        help=f'run only these steps (and the data they need): {", ".join(STEP_NAMES)}')
    parser.add_argument('--iters', type=int,
                        help='training iterations of each training run before its --resume (two epochs; the resume '
                        'adds one more); default 24')
    parser.add_argument('--keep', action='store_true',
                        help='keep the generated data and the work dirs (checkpoints) even when every step passed')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = CheckSettings(out_dir=args.out_dir, device=args.device, dry_run=args.dry_run, iters=args.iters,
                             keep=args.keep)
    try:
        results, _, _ = run_check(settings, args.steps, log=lambda line: print(line, flush=True))
    except RuntimeError as err:  # e.g. --device cuda where torch sees no GPU
        print(f'check_install: {err}', file=sys.stderr)
        return 2
    return exit_code(results)


if __name__ == '__main__':
    sys.exit(run_main(main))
