"""Print a config as the tools run it: ``_base_`` files merged and ``--cfg-options`` applied.

    python tools/misc/print_config.py CONFIG [--cfg-options KEY=VALUE ...] [--save-path FILE]

The overrides go through the same checks as tools/train.py and tools/test.py: a misspelled key is refused
with the closest full dotted paths, a variable of the config file (``data_root``, ``max_epochs``...) with
the keys that hold its value, and a syntax error in the config or a ``_base_`` file names the file and line.
"""
import argparse

from mmengine.config import DictAction

from svm.utils.config_checks import resolve_config
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, e.g. model.detector.backbone.memory_len=16')
    parser.add_argument('--save-path', help='also write the resolved config to this file (.py, .json, .yaml)')
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    cfg = resolve_config(args.config, args.cfg_options)
    text = cfg.pretty_text
    print(f'Config:\n{text}')
    if args.save_path:
        cfg.dump(args.save_path)
        print(f'saved to {args.save_path}')
    return text


if __name__ == '__main__':
    run_main(main)
