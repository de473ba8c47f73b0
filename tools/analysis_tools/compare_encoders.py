"""Frame-based vs streaming vs clip-based S-ViT encoders on the synthetic temporal-order action benchmark.

    python tools/analysis_tools/compare_encoders.py                 # ~minutes on a laptop CPU
    python tools/analysis_tools/compare_encoders.py --modes space stream --work-dir work_dirs/cmp

The benchmark (svm/datasets/synthetic/actions.py) is generated under ``--data-root`` if absent. Its
classes show the same frames in different orders, so a model that ignores frame order is at chance.
The three encoders are trained with the same config (configs/recognition/svm/synthetic_*.py: same
tiny S-ViT, same order-free temporal decoder, same data, schedule, seed), differing only in
``backbone.attn_mode``; each is then tested on the validation videos. Printed and written to
``<work-dir>/compare_encoders.json``:

  - top-1 accuracy on the validation videos (mmaction2's AccMetric) and the chance level;
  - order sensitivity: how often the prediction changes when a validation video is played backwards
    (0 for a model that sees the frames as a set), and the largest change of a class score;
  - GFLOPs per video (tools/analysis_tools/get_flops.py, fvcore: 1 multiply-add = 1 flop);
  - per-frame latency along a ``--latency-frames`` video, online: the features of frame t when it
    arrives ('space' encodes the frame, 'stream' one streaming step with its memory, 'clip' re-encodes
    the window of the last T frames), plotted to ``<work-dir>/latency_along_video.png``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List

import numpy as np
import mmengine
import torch
from mmengine.config import Config
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark_backbone import percentile, timed  # noqa: E402
from get_flops import recognizer_flops  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = {mode: osp.join(REPO, 'configs', 'recognition', 'svm', f'synthetic_{mode}-tiny_8x1x1_order-actions.py')
           for mode in ('space', 'stream', 'clip')}
NAMES = {'space': 'frame-based (space)', 'stream': 'streaming (S-ViT)', 'clip': 'clip-based (clip)'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--modes', nargs='+', default=['space', 'stream', 'clip'], choices=list(CONFIGS))
    parser.add_argument('--data-root', default=None,
                        help="the benchmark (default: the config's data_root; generated there if absent)")
    parser.add_argument('--seed', type=int, default=None, help="seed of the generated benchmark (default: "
                        "the config's synthetic_benchmark)")
    parser.add_argument('--num-train', type=int, default=None, help='training base motions to generate')
    parser.add_argument('--num-val', type=int, default=None, help='validation base motions to generate')
    parser.add_argument('--epochs', type=int, default=None, help='training epochs (default: the config)')
    parser.add_argument('--work-dir', default='work_dirs/compare_encoders')
    parser.add_argument('--latency-frames', type=int, default=48, help='video length of the latency run')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (the tiny models run fastest on one: more threads mostly '
                        'wait on each other)')
    return parser.parse_args(argv)


def load_config(mode: str, args) -> Config:
    cfg = Config.fromfile(CONFIGS[mode])
    args.data_root = args.data_root or cfg.data_root
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        dataset.ann_file = osp.join(args.data_root, osp.basename(dataset.ann_file))
        dataset.data_prefix = dict(video=args.data_root)
    if args.epochs is not None:
        cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = args.epochs
        # the warm-up (first epoch) stays; the decay that follows it ends with the last epoch
        cfg.param_scheduler = [s for s in cfg.param_scheduler if s.begin < args.epochs]
        for scheduler in cfg.param_scheduler:
            if scheduler.begin > 0:
                scheduler.end = args.epochs
                scheduler.T_max = args.epochs - scheduler.begin
        cfg.default_hooks.checkpoint.interval = args.epochs
    cfg.work_dir = osp.join(args.work_dir, mode)
    return cfg


def ensure_benchmark(args, cfg: Config) -> None:
    """Generate the config's ``synthetic_benchmark`` under ``--data-root`` unless it is already there."""
    from svm.datasets.synthetic.actions import (SyntheticActionConfig, benchmark_spec,
                                                write_action_benchmark)
    spec = dict(cfg.synthetic_benchmark)
    for key in ('seed', 'num_train', 'num_val'):
        if getattr(args, key) is not None:
            spec[key] = getattr(args, key)
    bench = SyntheticActionConfig(size=spec['size'], num_frames=spec['num_frames'],
                                  motions=tuple(spec['motions']), num_classes=spec['num_classes'], fps=spec['fps'])
    wanted = benchmark_spec(spec['seed'], spec['num_train'], spec['num_val'], bench)
    meta = osp.join(args.data_root, 'benchmark.json')
    if osp.isfile(meta):
        with open(meta) as f:
            if json.load(f) == wanted:
                return
        raise ValueError(f'{meta} describes another benchmark than the config asks for ({wanted}): '
                         f'remove {args.data_root} or choose another --data-root')
    print(f'generating the synthetic action benchmark in {args.data_root}: {wanted}')
    write_action_benchmark(args.data_root, seed=spec['seed'], num_train=spec['num_train'],
                           num_val=spec['num_val'], cfg=bench, progress=True)
    print()


def val_clips(cfg: Config, data_root: str) -> (torch.Tensor, torch.Tensor):
    """All validation videos as one (N, T, 3, S, S) float tensor (RGB, not normalised) and labels."""
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
def class_scores(model, clips: torch.Tensor, batch: int = 32) -> torch.Tensor:
    """Class scores (N, num_classes) of a recogniser for (N, T, 3, H, W) RGB clips."""
    pre = model.data_preprocessor
    scores = []
    for chunk in clips.split(batch):
        x = (chunk - pre.mean.view(1, 1, 3, 1, 1)) / pre.std.view(1, 1, 3, 1, 1)
        scores.append(model.cls_head(model.encode_clips(x)))
    return torch.cat(scores)


@torch.no_grad()
def latency_along_video(models: Dict[str, torch.nn.Module], num_frames: int, clip_len: int,
                        size: int) -> Dict[str, List[float]]:
    """ms to produce the encoder features of frame t when it arrives, for t < num_frames, per encoder.

    The encoders take turns frame by frame, so that load from other processes hits them alike.
    """
    backbones = {mode: model.backbone.eval() for mode, model in models.items()}
    video = torch.randn(1, num_frames, 3, size, size)

    def step(backbone, t: int) -> None:
        if backbone.attn_mode == 'clip':
            backbone(video[:, max(0, t - clip_len + 1):t + 1])
        else:
            backbone(video[:, t])

    for backbone in backbones.values():
        for t in range(3):  # warm-up
            step(backbone, t)
        backbone.reset_memory()
    times = {mode: [] for mode in backbones}
    for t in range(num_frames):
        for mode, backbone in backbones.items():
            times[mode].append(timed(lambda: step(backbone, t), 'cpu') * 1e3)
    return times


def plot_latency(results: Dict[str, dict], path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for mode, r in results.items():
        ax.plot(np.arange(1, len(r['ms_per_frame']) + 1), r['ms_per_frame'], label=NAMES[mode], lw=1.5)
    ax.set_xlabel('frame of the video')
    ax.set_ylabel('encoder latency per frame (ms)')
    ax.set_title('Online per-frame latency along a video (CPU)')
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def format_table(results: Dict[str, dict], chance: float) -> str:
    lines = ['| encoder | top-1 (%) | chance (%) | order sensitivity (%) | GFLOPs / video '
             '| ms / frame (median) | train (s) |', '|---|---|---|---|---|---|---|']
    for mode, r in results.items():
        lines.append(f"| {NAMES[mode]} | {r['top1']:.1f} | {100 * chance:.1f} | {r['order_sensitivity']:.1f} | "
                     f"{r['gflops_per_video']:.3f} | {r['ms_per_frame_median']:.2f} | {r['train_s']:.0f} |")
    return '\n'.join(lines)


def main(argv=None) -> Dict[str, dict]:
    args = parse_args(argv)
    import svm  # noqa: F401  (checks the stack, registers the modules)
    torch.set_num_threads(args.threads)
    os.makedirs(args.work_dir, exist_ok=True)
    results, models = {}, {}
    for mode in args.modes:
        cfg = load_config(mode, args)
        ensure_benchmark(args, cfg)
        print(f'\n=== {NAMES[mode]}: training {cfg.train_cfg.max_epochs} epochs ({CONFIGS[mode]})')
        runner = Runner.from_cfg(cfg)
        start = time.perf_counter()
        runner.train()
        train_s = time.perf_counter() - start
        metrics = runner.test()
        model = runner.model.eval()
        clips, labels = val_clips(cfg, args.data_root)
        forward, backward = class_scores(model, clips), class_scores(model, clips.flip(1))
        num_frames = clips.shape[1]
        flops = recognizer_flops(cfg, CONFIGS[mode], num_frames, clips.shape[-2], clips.shape[-1])
        models[mode] = model
        results[mode] = dict(
            config=CONFIGS[mode], top1=100 * float(metrics['acc/top1']),
            top1_recomputed=100 * float((forward.argmax(1) == labels).float().mean()),
            order_sensitivity=100 * float((forward.argmax(1) != backward.argmax(1)).float().mean()),
            max_score_change_reversed=float((forward - backward).abs().max()),
            gflops_per_video=flops['gflops_per_video'], train_s=train_s)
    # per-frame latency along a video, from the first frame that has a full clip (or memory) behind it
    times = latency_along_video(models, args.latency_frames, num_frames, clips.shape[-1])
    for mode, ms in times.items():
        results[mode].update(ms_per_frame=ms, ms_per_frame_median=percentile(ms[num_frames - 1:] or ms, 50))
    chance = 1.0 / load_config(args.modes[0], args).model.cls_head.num_classes
    table = format_table(results, chance)
    print(f'\nSynthetic temporal-order actions ({args.data_root}), same budget for every encoder, '
          f'CPU with {torch.get_num_threads()} threads:\n{table}')
    plot_latency(results, osp.join(args.work_dir, 'latency_along_video.png'))
    mmengine.dump(dict(chance=chance, data_root=args.data_root, results=results, table=table),
                  osp.join(args.work_dir, 'compare_encoders.json'), indent=2)
    print(f'wrote {osp.join(args.work_dir, "compare_encoders.json")} and latency_along_video.png')
    return results


if __name__ == '__main__':
    main()
