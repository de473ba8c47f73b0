"""Confusion matrix of recognition results: the pickle that tools/test.py --out writes.

    python tools/test.py CONFIG --checkpoint CKPT --out preds.pkl
    python tools/analysis_tools/confusion_matrix.py CONFIG preds.pkl --out confusion.png \
        [--label-file classes.txt] [--json confusion.json] [--no-normalize]

Rows are true classes, columns predicted ones (the arg-max of each video's ``pred_score``); the image shows
the rows normalised (and the counts); ``--json`` writes the counts, top-1, mean class accuracy and per-class
recall and precision (default: beside the image). The config gives the number of classes
(``model.cls_head.num_classes``); ``--label-file`` (one class name per line, in label order) their names.
See svm/analysis/confusion_matrix.py.
"""
import argparse
import os.path as osp
from typing import Dict

import mmengine
from mmengine.config import DictAction

from svm.analysis.confusion_matrix import confusion_of_results, num_classes_of, plot_confusion_matrix
from svm.datasets.recognition import read_label_map
from svm.utils.config_checks import resolve_config
from svm.utils.user_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the recognition config the results were tested with')
    parser.add_argument('results', help='pickle of tools/test.py --out')
    parser.add_argument('--out', required=True, help='image of the matrix (.png, .pdf, .svg)')
    parser.add_argument('--json', nargs='?', const='', default=None,
                        help='also write the matrix and accuracies as JSON (default file: the image\'s name, .json)')
    parser.add_argument('--label-file', help='class names, one per line in label order')
    parser.add_argument('--no-normalize', action='store_true', help='show counts, not row shares')
    parser.add_argument('--title', help='figure title')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings in the config')
    return parser.parse_args(argv)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    cfg = resolve_config(args.config, args.cfg_options)
    names = read_label_map(args.label_file) if args.label_file else None
    result = confusion_of_results(args.results, num_classes_of(cfg), args.config, names)
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(args.out)))
    plot_confusion_matrix(result['matrix'], args.out, names, normalize=not args.no_normalize, title=args.title)
    print(f"{result['num_samples']} videos, top-1 {100 * result['top1']:.2f}%, mean class accuracy "
          f"{100 * result['mean_class_accuracy']:.2f}%")
    print(f'wrote {args.out}')
    result['matrix'] = result['matrix'].tolist()
    if args.json is not None:
        path = args.json or osp.splitext(args.out)[0] + '.json'
        mmengine.dump(result, path, indent=2)
        print(f'wrote {path}')
    return result


if __name__ == '__main__':
    run_main(main)
