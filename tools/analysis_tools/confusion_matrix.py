"""Confusion matrix of recognition results: the pickle that tools/test.py --out writes.

    python tools/test.py CONFIG --checkpoint CKPT --out preds.pkl
    python tools/analysis_tools/confusion_matrix.py CONFIG preds.pkl --out confusion.png \
        [--label-file classes.txt] [--json confusion.json] [--no-normalize]

Rows are true classes, columns predicted ones (the arg-max of each video's ``pred_score``); the image shows
the rows normalised (and the counts); ``--json`` writes the counts, top-1, mean class accuracy and per-class
recall and precision (default: beside the image). The config gives the number of classes
(``model.cls_head.num_classes``); ``--label-file`` (one class name per line, in label order) their names.
See svm/analysis/confusion.py.
"""
import argparse
import os.path as osp
from typing import Dict

import mmengine
from mmengine.config import DictAction

from svm.analysis.confusion import confusion_matrix, load_action_results, plot_confusion_matrix, summarize
from svm.utils.config_checks import resolve_config


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


def num_classes_of(cfg) -> int:
    head = cfg.get('model', {}).get('cls_head')
    if not head or 'num_classes' not in head:
        raise ValueError(f'{cfg.filename}: expected a recognition config with model.cls_head.num_classes '
                         f'(configs/recognition/svm/...)')
    return int(head['num_classes'])


def main(argv=None) -> Dict:
    args = parse_args(argv)
    cfg = resolve_config(args.config, args.cfg_options)
    num_classes = num_classes_of(cfg)
    scores, labels = load_action_results(args.results)
    if scores.shape[1] != num_classes:
        raise ValueError(f'{args.results} has scores for {scores.shape[1]} classes, config {args.config} has '
                         f'{num_classes}: results of another model?')
    names = None
    if args.label_file:
        with open(args.label_file, encoding='utf-8') as f:
            names = [line.strip() for line in f if line.strip()]
        if len(names) != num_classes:
            raise ValueError(f'{args.label_file} names {len(names)} classes, the config has {num_classes}')
    matrix = confusion_matrix(labels, scores.argmax(1), num_classes)
    summary = summarize(matrix)
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(args.out)))
    plot_confusion_matrix(matrix, args.out, names, normalize=not args.no_normalize, title=args.title)
    print(f"{summary['num_samples']} videos, top-1 {100 * summary['top1']:.2f}%, mean class accuracy "
          f"{100 * summary['mean_class_accuracy']:.2f}%")
    print(f'wrote {args.out}')
    result = dict(matrix=matrix.tolist(), class_names=names, **summary)
    if args.json is not None:
        path = args.json or osp.splitext(args.out)[0] + '.json'
        mmengine.dump(result, path, indent=2)
        print(f'wrote {path}')
    return result


if __name__ == '__main__':
    main()
