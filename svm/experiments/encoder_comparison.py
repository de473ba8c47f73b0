"""Experiment: frame-based vs streaming vs clip-based S-ViT encoders on the synthetic temporal-order action
benchmark (tools/experiments/encoder_comparison.py, docs/recognition.md).

The benchmark (svm/datasets/synthetic/actions.py) shows the same frames in different orders in each class,
so a model that ignores frame order is at chance. The three encoders are trained with the same config
(:data:`CONFIGS`: the same tiny S-ViT, same order-free temporal decoder, same data,
schedule and seed), differing only in ``backbone.attn_mode``; each is then tested on the validation videos
and measured:

- top-1 accuracy on the validation videos (mmaction2's AccMetric) and the chance level;
- order sensitivity: how often the prediction changes when a validation video is played backwards (0 for a
  model that sees the frames as a set), and the largest change of a class score;
- GFLOPs per video (:func:`svm.analysis.get_flops.recognizer_flops`);
- per-frame latency along a video, online (:func:`svm.benchmark.backbone.latency_along_video`).
"""
import json
import os
import os.path as osp
import time
from typing import Dict, Mapping, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config

from svm.analysis.get_flops import recognizer_flops
from svm.benchmark.backbone import latency_along_video
from svm.benchmark.timing import percentile
from svm.utils.table import markdown_table

ENCODER_NAMES = {'space': 'frame-based (space)', 'stream': 'streaming (S-ViT)', 'clip': 'clip-based (clip)'}
# the three encoders' configs: the same tiny S-ViT recogniser but for backbone.attn_mode
CONFIGS = {'space': 'configs/recognition/svm/svm_space-tiny_1xb16-8x1x1-24e_synthetic-order-actions.py',
           'stream': 'configs/recognition/svm/svm_stream-tiny_1xb16-8x1x1-24e_synthetic-order-actions.py',
           'clip': 'configs/recognition/svm/svm_clip-tiny_1xb16-8x1x1-24e_synthetic-order-actions.py'}


def comparison_config(path: str, data_root: str, work_dir: str, epochs: Optional[int] = None,
                      train_seed: Optional[int] = None) -> Config:
    """One encoder's config, its data under ``data_root``, its runs under ``<work_dir>/<attn_mode>``, with
    ``epochs``: that many training epochs (the warm-up epoch stays; the decay that follows it ends with
    the last epoch), and with ``train_seed``: that training seed (the config's ``randomness.seed``)."""
    cfg = Config.fromfile(path)
    if train_seed is not None:
        cfg.randomness = dict(cfg.get('randomness', {}), seed=train_seed)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        dataset.ann_file = osp.join(data_root, osp.basename(dataset.ann_file))
        dataset.data_prefix = dict(video=data_root)
    if epochs is not None:
        cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = epochs
        cfg.param_scheduler = [s for s in cfg.param_scheduler if s.begin < epochs]
        for scheduler in cfg.param_scheduler:
            if scheduler.begin > 0:
                scheduler.end = epochs
                scheduler.T_max = epochs - scheduler.begin
        cfg.default_hooks.checkpoint.interval = epochs
    cfg.work_dir = osp.join(work_dir, cfg.model.backbone.attn_mode)
    return cfg


def ensure_benchmark(cfg: Config, data_root: str, **overrides) -> None:
    """Generate the config's ``synthetic_benchmark`` (with ``overrides`` of its ``seed``, ``num_train``,
    ``num_val``) under ``data_root`` unless it is already there.

    Raises:
        ValueError: ``data_root`` holds another benchmark than the one asked for.
    """
    from svm.datasets.synthetic.actions import SyntheticActionConfig, benchmark_spec, write_action_benchmark
    spec = dict(cfg.synthetic_benchmark)
    spec.update({key: value for key, value in overrides.items() if value is not None})
    bench = SyntheticActionConfig(size=spec['size'], num_frames=spec['num_frames'],
                                  motions=tuple(spec['motions']), num_classes=spec['num_classes'], fps=spec['fps'])
    wanted = benchmark_spec(spec['seed'], spec['num_train'], spec['num_val'], bench)
    meta = osp.join(data_root, 'benchmark.json')
    if osp.isfile(meta):
        with open(meta) as f:
            if json.load(f) == wanted:
                return
        raise ValueError(f'{meta} describes another benchmark than the config asks for ({wanted}): '
                         f'remove {data_root} or choose another --data-root')
    print(f'generating the synthetic action benchmark in {data_root}: {wanted}')
    write_action_benchmark(data_root, seed=spec['seed'], num_train=spec['num_train'],
                           num_val=spec['num_val'], cfg=bench, progress=True)
    print()


def read_val_clips(cfg: Config, data_root: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """All validation videos as one (N, T, 3, S, S) float tensor (RGB, not normalised) and their labels (N,)."""
    from svm.datasets.synthetic.actions import read_video
    clips, labels = [], []
    with open(cfg.val_dataloader.dataset.ann_file) as f:
        for line in f:
            if line.strip():
                rel, label = line.split()
                clips.append(read_video(osp.join(data_root, rel)))
                labels.append(int(label))
    return torch.from_numpy(np.stack(clips)).permute(0, 1, 4, 2, 3).float(), torch.tensor(labels)


@torch.no_grad()
def class_scores(model: torch.nn.Module, clips: torch.Tensor, batch: int = 32) -> torch.Tensor:
    """Class scores (N, num_classes) of an SViTRecognizer for (N, T, 3, H, W) RGB clips, one view each,
    normalised by its data preprocessor."""
    scores = []
    for chunk in clips.split(batch):
        views = [clip.transpose(0, 1)[None] for clip in chunk]  # (1 view, 3, T, H, W) each: NCTHW
        inputs = model.data_preprocessor(dict(inputs=views, data_samples=None), False)['inputs']
        scores.append(model.extract_feat(inputs, stage='head')[0])
    return torch.cat(scores)


def format_table(results: Mapping[str, dict], chance: float) -> str:
    """The figures of each encoder as a Markdown table."""
    return markdown_table(
        ['encoder', 'top-1 (%)', 'chance (%)', 'order sensitivity (%)', 'GFLOPs / video', 'ms / frame (median)',
         'train (s)'],
        [[ENCODER_NAMES[mode], f"{r['top1']:.1f}", f'{100 * chance:.1f}', f"{r['order_sensitivity']:.1f}",
          f"{r['gflops_per_video']:.3f}", f"{r['ms_per_frame_median']:.2f}", f"{r['train_s']:.0f}"]
         for mode, r in results.items()])


def plot_latency(results: Mapping[str, dict], path: str) -> None:
    """Per-frame latency along the video of each encoder, to the PNG ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(6.4, 3.6), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for mode, r in results.items():
        ax.plot(np.arange(1, len(r['ms_per_frame']) + 1), r['ms_per_frame'], label=ENCODER_NAMES[mode], lw=1.5)
    ax.set_xlabel('frame of the video')
    ax.set_ylabel('encoder latency per frame (ms)')
    ax.set_title('Online per-frame latency along a video (CPU)')
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def train_and_measure(cfg: Config, config_path: str, data_root: str) -> Tuple[dict, torch.nn.Module]:
    """Train one encoder's config, test it, and measure its accuracy, order sensitivity and GFLOPs per video;
    returns the figures and the trained recogniser (eval mode)."""
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - start
    metrics = runner.test()
    model = runner.model.eval()
    clips, labels = read_val_clips(cfg, data_root)
    forward, backward = class_scores(model, clips), class_scores(model, clips.flip(1))
    flops = recognizer_flops(cfg, config_path, clips.shape[1], clips.shape[-2], clips.shape[-1])
    return dict(config=config_path, top1=100 * float(metrics['acc/top1']),
                top1_recomputed=100 * float((forward.argmax(1) == labels).float().mean()),
                order_sensitivity=100 * float((forward.argmax(1) != backward.argmax(1)).float().mean()),
                max_score_change_reversed=float((forward - backward).abs().max()),
                gflops_per_video=flops['gflops_per_video'], train_s=train_s), model


def compare_encoders(configs: Mapping[str, str], work_dir: str, data_root: Optional[str] = None,
                     seed: Optional[int] = None, num_train: Optional[int] = None, num_val: Optional[int] = None,
                     epochs: Optional[int] = None, latency_frames: int = 48,
                     train_seed: Optional[int] = None) -> Dict:
    """Train, test and measure each encoder of ``configs`` ({attn_mode: config path}) on the benchmark under
    ``data_root`` (default: the first config's ``data_root``; generated there if absent, see
    :func:`ensure_benchmark` for ``seed``, ``num_train``, ``num_val``) with the training seed ``train_seed``
    (default: the configs'), then time them along a ``latency_frames`` video from the first frame with a full
    clip (or memory) behind it.

    Writes ``<work_dir>/encoder_comparison.json`` (chance, data root, results, the table) and
    ``<work_dir>/latency_along_video.png``.

    Returns:
        ``chance``, ``data_root``, ``results`` ({attn_mode: figures}) and ``table``
        (:func:`format_table`).
    """
    import mmengine
    os.makedirs(work_dir, exist_ok=True)
    data_root = data_root or Config.fromfile(next(iter(configs.values()))).data_root
    results, models = {}, {}
    for mode, path in configs.items():
        cfg = comparison_config(path, data_root, work_dir, epochs, train_seed)
        ensure_benchmark(cfg, data_root, seed=seed, num_train=num_train, num_val=num_val)
        print(f'\n=== {ENCODER_NAMES[mode]}: training {cfg.train_cfg.max_epochs} epochs ({path})')
        results[mode], models[mode] = train_and_measure(cfg, path, data_root)
    num_frames, size = cfg.synthetic_benchmark['num_frames'], cfg.synthetic_benchmark['size']  # the videos'
    video = torch.randn(1, latency_frames, 3, size, size)
    measured = latency_along_video({mode: model.backbone for mode, model in models.items()}, video, num_frames)
    for mode, latency in measured.items():
        ms = latency['ms_per_frame']
        results[mode].update(ms_per_frame=ms, ms_per_frame_median=percentile(ms[num_frames - 1:] or ms, 50))
    chance = 1.0 / cfg.model.cls_head.num_classes
    table = format_table(results, chance)
    plot_latency(results, osp.join(work_dir, 'latency_along_video.png'))
    summary = dict(chance=chance, data_root=data_root, results=results, table=table)
    mmengine.dump(summary, osp.join(work_dir, 'encoder_comparison.json'), indent=2)
    return summary
