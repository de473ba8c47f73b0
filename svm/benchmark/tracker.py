"""End-to-end speed of a whole MOT tracker (data preprocessing, detector, tracker), streaming frame by
frame at a given image size, with its backbone timed inside it and alone beside it
(``tools/analysis_tools/benchmark.py tracker``).

What one frame costs here is ``model.test_step`` on one packed frame, as tools/test.py runs it with
TrackImgSampler: the data preprocessor (to float, normalisation, padding to the size divisor, the copy to
the device), the detector (S-ViT streaming step, pyramid, PAFPN, head, NMS) and the tracker's
association. Decoding and resizing the frame (the data pipeline) are not counted: frames are generated at
the benchmark size.

Frames: deterministic noise, one video. The first ``warmup`` frames are untimed but belong to the same
video, so the memory holds min(warmup + t + 1, memory_len) frames at timed frame t = 0, 1, ... (the frame
itself included); give ``warmup >= memory_len - 1`` to time a full memory. With random weights (no
checkpoint) YOLOX finds (almost) no objects, so the tracker's association has (almost) nothing to do; the
numbers of detections and tracks per frame are reported with the times.

The key/value memory is preallocated for ``memory_len`` frames at the first frame (both T2D layouts, the
padded window grid): its size is reported; on a GPU it is all allocated, on a CPU only the slots written
so far are resident.

``dtype`` 'fp16' / 'bf16' runs the backbone, the pyramid, PAFPN and head under autocast; box decoding,
NMS and the association stay in fp32. On a GPU where mmcv's ops were built for the CPU only, NMS runs through
torchvision's CUDA kernel (svm.ops.torchvision_ops, enabled by ``import svm``); the result's ``nms`` says which.

Times are wall-clock; the process's CPU time per frame (all its threads) is reported beside them for the
whole tracker and the backbone alone: on a CPU shared with other jobs, one thread's CPU time is what the
frame would take on an idle core.

Memory: on CUDA the most torch allocated during each phase; on the CPU the process's peak resident size
after building the model, after the backbone-alone phase and after the whole tracker (ru_maxrss only
grows, so the backbone runs first).
"""
import contextlib
import copy
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config

from svm.analysis.get_flops import config_image_size
from svm.ops import cuda_ops_backend
from svm.utils.table import markdown_table
from .timing import (ModuleTimer, autocast, device_name, latency_summary, memory_buffers_mib, memory_frames, peak_mib,
                     reset_peak, timed)


def build_tracker(cfg: Config, checkpoint: Optional[str] = None, device: str = 'cpu',
                  batch_augments: bool = True) -> torch.nn.Module:
    """The config's MOT model in eval mode on ``device``: random weights from seed 0 (the backbone's
    ``pretrained`` file is not read) or ``checkpoint``, refused with the mismatched keys if it does not fit;
    ``batch_augments=False`` drops the data preprocessor's batch augments (training batches keep their size)."""
    from mmengine.runner import load_checkpoint

    from svm.models.builder import build_model_from_cfg
    from svm.utils.checkpoint import check_checkpoint_fits
    if cfg.get('default_scope', 'mmdet') != 'mmdet' or 'tracker' not in cfg.model:
        raise ValueError(f'{cfg.filename}: expected a MOT config (default_scope mmdet, a model with a detector '
                         f'and a tracker), got model type {cfg.model.get("type")!r}')
    if not batch_augments:
        cfg = copy.deepcopy(cfg)
        cfg.model.data_preprocessor.pop('batch_augments', None)
    model = build_model_from_cfg(cfg, seed=0, init_weights=not checkpoint)
    if checkpoint:
        check_checkpoint_fits(model, checkpoint)
        load_checkpoint(model, checkpoint, map_location='cpu')
    return model.to(device).eval()


def make_frame(index: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """Frame ``index`` of a deterministic video: BGR uint8 noise on a horizontal gradient."""
    rng = np.random.default_rng([seed, index])
    base = np.linspace(60, 180, width, dtype=np.float32)[None, :, None]
    return np.clip(base + rng.normal(0, 25, (height, width, 3)), 0, 255).astype(np.uint8)


def pack_frame(frame: np.ndarray, frame_id: int, video_length: int, video_id: int = 0) -> dict:
    """One frame as the test dataloader gives it (PackTrackInputs, one TrackDataSample, collated)."""
    from mmdet.datasets.transforms import PackTrackInputs
    from mmengine.dataset import pseudo_collate
    height, width = frame.shape[:2]
    results = dict(img=[frame], img_id=[frame_id + 1], frame_id=[frame_id], video_id=[video_id],
                   ori_shape=[(height, width)], img_shape=[(height, width)], scale_factor=[(1., 1.)],
                   ori_video_length=[video_length], video_length=[video_length], img_path=[f'{frame_id:06d}.jpg'])
    return pseudo_collate([PackTrackInputs().transform(results)])


class _TrackTimer:
    """Wall time of every call of a tracker's ``track`` and the number of detections it was given, by
    wrapping the method on the instance; :meth:`remove` restores the class's method."""

    def __init__(self, tracker, device):
        self.tracker, self.times, self.detections = tracker, [], []
        original = tracker.track

        def track(*args, **kwargs):
            data_sample = kwargs.get('data_sample', args[0] if args else None)
            self.detections.append(len(data_sample.pred_instances) if 'pred_instances' in data_sample else 0)
            out = []
            self.times.append(timed(lambda: out.append(original(*args, **kwargs)), device))
            return out[0]
        tracker.track = track

    def take(self) -> Tuple[List[float], List[int]]:
        times, detections, self.times, self.detections = self.times, self.detections, [], []
        return times, detections

    def remove(self) -> None:
        if 'track' in vars(self.tracker):
            del self.tracker.track


@contextlib.contextmanager
def _fp32_box_postprocess(head, device_type: str, enabled: bool):
    """Under autocast, run the head's box decoding and NMS (``predict_by_feat``) in fp32 on fp32 inputs:
    mmcv's CPU NMS has no bf16 kernel, and the tracker expects fp32 boxes."""
    if not enabled or not hasattr(head, 'predict_by_feat'):
        yield
        return
    original = head.predict_by_feat

    def to_float(value):
        if torch.is_tensor(value) and value.is_floating_point():
            return value.float()
        if isinstance(value, (list, tuple)):
            return type(value)(to_float(v) for v in value)
        return value

    def predict_by_feat(*args, **kwargs):
        with torch.autocast(device_type, enabled=False):
            return original(*[to_float(a) for a in args], **{k: to_float(v) for k, v in kwargs.items()})
    head.predict_by_feat = predict_by_feat
    try:
        yield
    finally:
        del head.predict_by_feat


def _ms(seconds: Sequence[float]) -> List[float]:
    return [s * 1e3 for s in seconds]


@torch.no_grad()
def benchmark_tracker(model: torch.nn.Module, height: int, width: int, num_frames: int, warmup: int = 3,
                      device: str = 'cpu', dtype: str = 'fp32', progress: bool = False) -> Dict:
    """Time ``num_frames`` streaming frames (after ``warmup`` untimed ones of the same video) through the
    backbone alone, then through the whole tracker; see the module docstring for what is counted.

    Returns a dict of the per-frame times (ms), their summaries, the backbone's and the association's share
    of the whole tracker's frame time, the peak memory, the memory's fill and buffer size, and the
    detections (what the detector hands the tracker) and tracks per frame.
    """
    from svm.utils.progress import progress_bar
    if num_frames < 1:
        raise ValueError(f'num_frames must be at least 1, got {num_frames}')
    total = warmup + num_frames

    def batch_of(t: int) -> dict:  # made outside the timed calls, the same frames in both phases
        return pack_frame(make_frame(t, height, width), t, total)

    backbone = model.detector.backbone
    result = dict(height=height, width=width, frames=num_frames, warmup=warmup, device=str(device), dtype=dtype,
                  attn_mode=getattr(backbone, 'attn_mode', None))
    result['peak_mib_model'] = peak_mib(device)
    bar = progress_bar(2 * total) if progress else None

    # 1. the backbone alone, streaming the same frames (normalised and padded as the tracker gets them)
    reset_peak(device)
    backbone.reset_memory()
    alone = []
    with autocast(device, dtype):
        for t in range(total):
            inputs = model.data_preprocessor(batch_of(t), False)['inputs'][:, 0].contiguous()
            cpu_start = time.process_time()
            seconds = timed(lambda: backbone(inputs), device)
            if t >= warmup:
                alone.append((seconds, time.process_time() - cpu_start))
            if bar is not None:
                bar.update()
    result['padded_input_shape'] = list(inputs.shape[-2:])
    result['memory_frames_at_last_frame'] = memory_frames(backbone)
    result['memory_buffers_mib'] = memory_buffers_mib(backbone)
    backbone.reset_memory()
    result['peak_mib_backbone_alone'] = peak_mib(device)

    # 2. the whole tracker, the backbone and the tracker's association timed inside it; on a GPU, NMS is mmcv's
    # CUDA kernel or, where mmcv has CPU ops only, torchvision's (svm.ops)
    result['nms'] = ('torchvision (mmcv built without CUDA ops)'
                     if str(device).startswith('cuda') and cuda_ops_backend() == 'torchvision' else 'mmcv')
    reset_peak(device)
    whole, detections, tracks = [], [], []
    backbone_timer = ModuleTimer(backbone, device)
    track_timer = _TrackTimer(model.tracker, device)
    try:
        with autocast(device, dtype), _fp32_box_postprocess(getattr(model.detector, 'bbox_head', None),
                                                            str(device).split(':')[0], dtype != 'fp32'):
            for t in range(total):
                batch, out = batch_of(t), []
                cpu_start = time.process_time()
                seconds = timed(lambda: out.extend(model.test_step(batch)), device)
                cpu_seconds = time.process_time() - cpu_start
                (backbone_s, backbone_cpu), (track_s, detected) = backbone_timer.take(), track_timer.take()
                if t >= warmup:
                    whole.append(dict(total=seconds, backbone=sum(backbone_s), tracker=sum(track_s), cpu=cpu_seconds,
                                      backbone_cpu=sum(backbone_cpu)))
                    tracks.append(len(out[0][0].pred_track_instances))
                    detections.append(sum(detected))
                if bar is not None:
                    bar.update()
    finally:
        backbone_timer.remove()
        track_timer.remove()
        backbone.reset_memory()
        model.tracker.reset()
    if bar is not None:
        print()
    result['peak_mib_tracker'] = peak_mib(device)

    total_ms = _ms([w['total'] for w in whole])
    backbone_ms = _ms([w['backbone'] for w in whole])
    tracker_ms = _ms([w['tracker'] for w in whole])
    rest_ms = [a - b - c for a, b, c in zip(total_ms, backbone_ms, tracker_ms)]
    alone_ms = _ms([a for a, _ in alone])
    cpu_ms = dict(tracker=_ms([w['cpu'] for w in whole]), backbone_in_tracker=_ms([w['backbone_cpu'] for w in whole]),
                  backbone_alone=_ms([c for _, c in alone]))
    result.update(
        ms_per_frame=dict(tracker=total_ms, backbone_in_tracker=backbone_ms, association=tracker_ms, rest=rest_ms,
                          backbone_alone=alone_ms),
        process_cpu_ms_per_frame=cpu_ms,
        process_cpu_median_ms={key: latency_summary(ms)['median_ms'] for key, ms in cpu_ms.items()},
        tracker=latency_summary(total_ms), backbone_in_tracker=latency_summary(backbone_ms),
        association=latency_summary(tracker_ms), rest=latency_summary(rest_ms),
        backbone_alone=latency_summary(alone_ms),
        backbone_share=sum(backbone_ms) / sum(total_ms), association_share=sum(tracker_ms) / sum(total_ms),
        backbone_share_of_process_cpu=sum(cpu_ms['backbone_in_tracker']) / max(sum(cpu_ms['tracker']), 1e-9),
        backbone_alone_share=latency_summary(alone_ms)['mean_ms'] / latency_summary(total_ms)['mean_ms'],
        detections_per_frame=float(np.mean(detections)), tracks_per_frame=float(np.mean(tracks)))
    return result


def default_dtype(cfg: Config, device: str) -> str:
    """fp16 on a GPU when the config tests with ``test_cfg.fp16`` (as tools/test.py runs it), else fp32."""
    return 'fp16' if str(device).startswith('cuda') and (cfg.get('test_cfg') or {}).get('fp16') else 'fp32'


def benchmark_tracker_config(cfg: Config, config_path: str, checkpoint: Optional[str] = None,
                             shape: Optional[Tuple[int, int]] = None, num_frames: int = 20, warmup: int = 3,
                             device: str = 'cpu', dtype: Optional[str] = None) -> Dict:
    """:func:`benchmark_tracker` of a config's tracker (:func:`build_tracker`) at ``shape`` = (H, W) (default:
    the test pipeline's Resize scale) in ``dtype`` (default :func:`default_dtype`), with the config, the
    checkpoint, the device's name and the numbers of parameters (millions) added to the result."""
    height, width = shape or config_image_size(cfg, padded=False)
    dtype = dtype or default_dtype(cfg, device)
    model = build_tracker(cfg, checkpoint, device)
    print(f'{osp.basename(config_path)}: {warmup} + {num_frames} frames at {height}x{width} on {device}, {dtype}')
    result = benchmark_tracker(model, height, width, num_frames, warmup, device, dtype, progress=True)
    result.update(config=config_path, checkpoint=checkpoint, device_name=device_name(device),
                  params_m=sum(p.numel() for p in model.parameters()) / 1e6,
                  backbone_params_m=sum(p.numel() for p in model.detector.backbone.parameters()) / 1e6)
    return result


def default_output_path(config_path: str, height: int, width: int) -> str:
    """``work_dirs/benchmark/tracker/<config name>_<H>x<W>.json``."""
    name = osp.splitext(osp.basename(config_path))[0]
    return osp.join('work_dirs', 'benchmark', 'tracker', f'{name}_{height}x{width}.json')


def format_report(result: Dict) -> str:
    """A :func:`benchmark_tracker_config` result: a title (config, weights, parameters, device) over
    :func:`format_table`."""
    weights = result['checkpoint'] or 'random weights'
    title = (f"{osp.basename(result['config'])} ({weights}; {result['params_m']:.1f} M parameters, backbone "
             f"{result['backbone_params_m']:.1f} M), {result['device_name']}")
    return format_table(result, title)


def format_table(result: Dict, title: str = '') -> str:
    """The benchmark as a Markdown table: one row per stage, times in ms per frame."""
    share = {'tracker': 1.0, 'backbone_in_tracker': result['backbone_share'],
             'association': result['association_share'],
             'rest': 1.0 - result['backbone_share'] - result['association_share'],
             'backbone_alone': result['backbone_alone_share']}
    names = {'tracker': 'whole tracker (end to end)', 'backbone_in_tracker': '  backbone (S-ViT step), inside',
             'rest': '  preprocessing, pyramid, PAFPN, head, NMS', 'association': '  tracker association',
             'backbone_alone': 'backbone alone (separate run)'}
    cpu = str(result['device']).startswith('cpu')
    memory = ('peak RSS MiB (cumulative)' if cpu else 'peak CUDA MiB (phase)')
    lines = [title] if title else []
    lines += [f"{result['height']}x{result['width']} frames (padded {result['padded_input_shape'][0]}x"
              f"{result['padded_input_shape'][1]}), {result['device']}, {result['dtype']}, {result['frames']} timed "
              f"frames after {result['warmup']} warm-up frames of the same video ({result['attn_mode']} backbone, "
              f"{result['memory_frames_at_last_frame']} frames in its memory at the last frame, k/v buffers "
              f"{result['memory_buffers_mib']:.1f} MiB); "
              f"{result['detections_per_frame']:.1f} detections, {result['tracks_per_frame']:.1f} tracks per frame"]
    peaks = {'tracker': result['peak_mib_tracker'], 'backbone_alone': result['peak_mib_backbone_alone']}
    rows = []
    for key in ('tracker', 'backbone_in_tracker', 'rest', 'association', 'backbone_alone'):
        summary = result[key]
        cpu_ms = result['process_cpu_median_ms'].get(key)
        rows.append([names[key], f"{summary['fps']:.2f}" if key in ('tracker', 'backbone_alone') else '',
                     f"{summary['median_ms']:.1f}", f"{summary['p95_ms']:.1f}", f"{summary['mean_ms']:.1f}",
                     f'{100 * share[key]:.1f}%',
                     f'{cpu_ms:.1f}' if cpu_ms is not None else '', f'{peaks[key]:.0f}' if key in peaks else ''])
    lines.append(markdown_table(['stage', 'frames/s', 'median ms/frame', 'p95 ms', 'mean ms', 'share of the frame',
                                 'process CPU ms/frame (median)', memory], rows))
    lines.append(f"model built: peak {'RSS' if cpu else 'CUDA'} {result['peak_mib_model']:.0f} MiB; the backbone's "
                 f"share of the tracker's process CPU time: {100 * result['backbone_share_of_process_cpu']:.1f}%")
    return '\n'.join(lines)
