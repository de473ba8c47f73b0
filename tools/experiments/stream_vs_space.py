"""Streaming vs frame-based S-ViT trackers on the hard synthetic MOT set, over seeds and memory lengths.

    python tools/experiments/stream_vs_space.py                       # make mot-claims
    python tools/experiments/stream_vs_space.py --seeds 0 --memory-lens 1 8 --epochs 4 --jobs 1

The paper's two MOT experiments in miniature: the tiny tracker of ``make demo`` (configs/mot/svm/
bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-hard.py) is trained with the streaming encoder
(``stream``) and with the frame-based one (``space``), with the same data, budget and seeds; every streaming
checkpoint is tested with each memory length, the frame-based one once (it has no memory: a flat line).
The data (``--data-root``, the ``hard`` preset of tools/misc/generate_synthetic_mot.py) is generated there if
absent. Each run prints the tools/train.py command it equals; ``--jobs`` runs train side by side, one thread
each (their logs in ``<work-dir>/<encoder>/seed<N>/run.log``). A run already trained or tested in
``--work-dir`` is reused, so an interrupted comparison resumes.

Written to ``--work-dir``: ``stream_vs_space.md`` (HOTA per encoder and memory length; HOTA, AssA, IDF1, IDSW:
mean ± standard deviation over the seeds), ``stream_vs_space.json`` (the same and every run's figures and
times) and ``stream_vs_space.png`` (HOTA, AssA, IDF1 against the memory length, error bars over the seeds).
The experiment is svm/experiments/stream_vs_space.py.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

from svm.experiments.stream_vs_space import (CONFIG, DEFAULT_MEMORY_LENS, DEFAULT_SEEDS, ENCODER_NAMES,
                                             compare_stream_space, ensure_hard_benchmark, format_duration)
from svm.utils.user_errors import run_main

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=osp.join(REPO, CONFIG), help='the tracker config of every run')
    parser.add_argument('--data-root', default='data/synthetic_mot_hard',
                        help='the hard synthetic MOT benchmark (generated there if absent)')
    parser.add_argument('--data-seed', type=int, default=0, help='seed of the generated benchmark')
    parser.add_argument('--seeds', type=int, nargs='+', default=list(DEFAULT_SEEDS), help='training seeds')
    parser.add_argument('--memory-lens', type=int, nargs='+', default=list(DEFAULT_MEMORY_LENS),
                        help='test-time memory lengths of the streaming encoder')
    parser.add_argument('--encoders', nargs='+', default=['stream', 'space'], choices=list(ENCODER_NAMES))
    parser.add_argument('--epochs', type=int, default=None,
                        help="training epochs of every run, the budget (default: the config's)")
    parser.add_argument('--work-dir', default='work_dirs/stream_vs_space')
    parser.add_argument('--jobs', type=int, default=2, help='runs at a time (one process each)')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads per run (the tiny models run fastest on one)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='further config options for every run, e.g. a longer training clip: '
                        'train_dataloader.dataset.dataset.datasets.0.pipeline.0.num_frames=4')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    ensure_hard_benchmark(args.data_root, seed=args.data_seed)
    summary = compare_stream_space(args.work_dir, args.data_root, config=args.config, seeds=args.seeds,
                                   memory_lens=args.memory_lens, encoders=args.encoders, epochs=args.epochs,
                                   jobs=args.jobs, threads=args.threads, cfg_options=args.cfg_options)
    print(f'\n{summary["markdown"]}\n\nwall time {format_duration(summary["wall_s"])}; wrote '
          + ', '.join(osp.join(args.work_dir, f'stream_vs_space.{ext}') for ext in ('md', 'json', 'png')))
    return summary


if __name__ == '__main__':
    run_main(main)
