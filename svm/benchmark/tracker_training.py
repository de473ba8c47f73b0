"""Cost of one training iteration of a whole MOT tracker (``tools/analysis_tools/benchmark.py tracker-training``;
the GPU report's tracker training rows): time and peak memory of ``model.train_step`` on
N clips of T frames at a fixed size, with the config's optimizer wrapper (fp16 / bf16: mmengine's
``AmpOptimWrapper``; fp32: ``OptimWrapper``) and its backbone settings (gradient checkpointing included).

One iteration here is what mmengine's train loop runs per batch: the data preprocessor (to float,
normalisation, padding, the copy to the device), the forward of every frame of every clip with the losses,
the backward and the optimizer step. Not counted: data loading and augmentation (the batch is made once,
ahead), hooks (EMA, logging) and, with several processes, the gradients' all-reduce.

The batch: noise frames at the size asked, each clip with ``num_objects`` pedestrian-shaped boxes (height
2.5x width) that drift a few pixels per frame, packed as the train dataloader packs a clip
(PackTrackInputs, pseudo_collate). The config's batch augments (multi-scale resizing) are removed so that
every iteration has the size asked.
"""
import copy
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import Config

from svm.models.builder import quiet_logger
from svm.utils.table import markdown_table
from .timing import peak_mib, percentile, reset_peak, timed
from .tracker import build_tracker, make_frame

OPTIM_DTYPES = {'fp16': 'float16', 'bf16': 'bfloat16'}


def synthetic_clip(num_frames: int, height: int, width: int, num_objects: int = 20, seed: int = 0,
                   video_id: int = 0) -> dict:
    """One training clip as PackTrackInputs packs it: ``num_frames`` noise frames (H, W) with
    ``num_objects`` boxes each (x1, y1, x2, y2 inside the frame), class 0, the same instance ids in every
    frame, moving 0-4 pixels per frame."""
    from mmdet.datasets.transforms import PackTrackInputs
    rng = np.random.default_rng([seed, video_id])
    box_h = rng.uniform(0.08, 0.3, num_objects) * height
    box_w = box_h / 2.5
    x1 = rng.uniform(0, width - box_w)
    y1 = rng.uniform(0, height - box_h)
    velocity = rng.uniform(-4, 4, (num_objects, 2))
    results = {key: [] for key in ('img', 'img_id', 'frame_id', 'video_id', 'ori_shape', 'img_shape',
                                   'scale_factor', 'gt_bboxes', 'gt_bboxes_labels', 'gt_instances_ids',
                                   'gt_ignore_flags', 'img_path', 'flip', 'flip_direction', 'video_length',
                                   'ori_video_length')}
    for t in range(num_frames):
        left = np.clip(x1 + t * velocity[:, 0], 0, width - box_w)
        top = np.clip(y1 + t * velocity[:, 1], 0, height - box_h)
        results['img'].append(make_frame(t, height, width, seed=seed * 1000 + video_id))
        results['img_id'].append(video_id * 1000 + t + 1)
        results['frame_id'].append(t)
        results['video_id'].append(video_id)
        results['ori_shape'].append((height, width))
        results['img_shape'].append((height, width))
        results['scale_factor'].append((1., 1.))
        results['gt_bboxes'].append(np.stack([left, top, left + box_w, top + box_h], 1).astype(np.float32))
        results['gt_bboxes_labels'].append(np.zeros(num_objects, np.int64))
        results['gt_instances_ids'].append(np.arange(num_objects, dtype=np.int64))
        results['gt_ignore_flags'].append(np.zeros(num_objects, bool))
        results['img_path'].append(f'{video_id:03d}/{t:06d}.jpg')
        results['flip'].append(False)
        results['flip_direction'].append(None)
        results['video_length'].append(num_frames)
        results['ori_video_length'].append(num_frames)
    return PackTrackInputs().transform(results)


def synthetic_train_batch(num_clips: int, num_frames: int, height: int, width: int, num_objects: int = 20,
                          seed: int = 0) -> dict:
    """``num_clips`` clips of :func:`synthetic_clip`, collated as the train dataloader collates them."""
    from mmengine.dataset import pseudo_collate
    return pseudo_collate([synthetic_clip(num_frames, height, width, num_objects, seed, video_id=i)
                           for i in range(num_clips)])


def build_trainable_tracker(cfg: Config, device: str = 'cpu') -> torch.nn.Module:
    """The config's MOT model in train mode on ``device``, random weights (no backbone weight file read),
    without the data preprocessor's batch augments (every batch keeps its size)."""
    return build_tracker(cfg, device=device, batch_augments=False).train()


def build_optim_wrapper_for(model: torch.nn.Module, cfg: Config, dtype: str):
    """The config's optimizer wrapper (its optimizer, constructor and parameter-wise settings) for
    ``dtype``: ``AmpOptimWrapper`` in float16 / bfloat16 (the config's loss scale kept), ``OptimWrapper``
    for fp32."""
    from mmengine.optim import build_optim_wrapper
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    if dtype == 'fp32':
        wrapper_cfg['type'] = 'OptimWrapper'
        for key in ('loss_scale', 'dtype'):
            wrapper_cfg.pop(key, None)
    elif dtype in OPTIM_DTYPES:
        wrapper_cfg['type'] = 'AmpOptimWrapper'
        wrapper_cfg['dtype'] = OPTIM_DTYPES[dtype]
        wrapper_cfg.setdefault('loss_scale', 'dynamic')
    else:
        raise ValueError(f"dtype must be 'fp32', 'fp16' or 'bf16', got {dtype!r}")
    with quiet_logger():  # the constructor logs every parameter's settings
        return build_optim_wrapper(model, wrapper_cfg)


def benchmark_tracker_training(cfg: Config, height: int, width: int, num_clips: int = 2, num_frames: int = 2,
                               iters: int = 3, warmup: int = 2, device: str = 'cpu', dtype: str = 'fp16',
                               num_objects: int = 20) -> Dict:
    """Time ``iters`` training iterations (after ``warmup`` untimed ones) of ``cfg``'s tracker on
    ``num_clips`` x ``num_frames`` frames at (height, width); see the module docstring for what is counted.

    Returns the iteration times (ms; median, p95, min), the peak memory of the timed iterations (CUDA: the
    most torch allocated; CPU: the process's peak RSS), the losses of the first and the last iteration, the
    optimizer wrapper, the backbone's gradient checkpointing and the numbers of parameters."""
    if iters < 1 or warmup < 0:
        raise ValueError(f'iters must be at least 1 and warmup at least 0, got {iters} and {warmup}')
    model = build_trainable_tracker(cfg, device)
    optim_wrapper = build_optim_wrapper_for(model, cfg, dtype)
    batch = synthetic_train_batch(num_clips, num_frames, height, width, num_objects)
    losses: List[float] = []

    def step() -> None:
        log_vars = model.train_step(batch, optim_wrapper)
        losses.append(float(log_vars['loss'].detach()))

    for _ in range(warmup):
        timed(step, device)
    reset_peak(device)
    times_ms = [1e3 * timed(step, device) for _ in range(iters)]
    backbone = model.detector.backbone
    return dict(height=height, width=width, clips=num_clips, frames_per_clip=num_frames, device=str(device),
                dtype=dtype, optim_wrapper=type(optim_wrapper).__name__,
                clip_forward=getattr(model, 'clip_forward', None), with_cp=bool(getattr(backbone, 'with_cp', False)),
                iters=iters, warmup=warmup, median_ms=percentile(times_ms, 50), p95_ms=percentile(times_ms, 95),
                min_ms=min(times_ms), peak_mib=peak_mib(device), first_loss=losses[0], last_loss=losses[-1],
                losses_finite=bool(np.isfinite(losses).all()),
                params_m=sum(p.numel() for p in model.parameters()) / 1e6,
                trainable_params_m=sum(p.numel() for p in model.parameters() if p.requires_grad) / 1e6)


def format_table(result: Dict, title: str = '') -> str:
    """A :func:`benchmark_tracker_training` result as a Markdown table of one row, under ``title``."""
    memory = 'peak RSS MiB (cumulative)' if result['device'].startswith('cpu') else 'peak CUDA MiB'
    lines = [title] if title else []
    lines += [f"{result['clips']} clips x {result['frames_per_clip']} frames at {result['height']}x{result['width']}, "
              f"{result['device']}, {result['dtype']} ({result['optim_wrapper']}, gradient checkpointing "
              f"{'on' if result['with_cp'] else 'off'}), {result['iters']} timed iterations after {result['warmup']}; "
              f"{result['params_m']:.1f} M parameters ({result['trainable_params_m']:.1f} M trainable)",
              markdown_table(['ms/iteration: median', 'p95', 'min', memory, 'loss: first', 'last', 'finite'],
                             [[f"{result['median_ms']:.1f}", f"{result['p95_ms']:.1f}", f"{result['min_ms']:.1f}",
                               f"{result['peak_mib']:.0f}", f"{result['first_loss']:.4f}", f"{result['last_loss']:.4f}",
                               result['losses_finite']]])]
    return '\n'.join(lines)
