"""The CUDA path measured in one run (``tools/analysis_tools/benchmark.py gpu-report``): S-ViT alone and the whole
tracker, under fp16 and bf16 autocast, written as one table (JSON rows and Markdown).

Backbone (torch only: this part imports nothing of the OpenMMLab stack, so it runs where only a CUDA
PyTorch is installed), for each attention layout (the release's windows of 14 and global attention), image
size (H, W) and autocast dtype:

- ``latency``: per-frame streaming latency of 'space', 'stream' and 'clip' along a video of N frames
  (:func:`svm.benchmark.backbone.latency_runs`: 'clip' re-encodes its last ``clip_len`` frames),
  summarised once the memory (for 'clip' its window) is full: median, p95, slope in ms per 100 frames,
  the ratio to 'space' (medians), peak memory; 'stream' adds the size of its key/value memory
  (:attr:`SViT.memory_nbytes`); on CUDA, the kernels' summed time and their number per frame
  (:func:`~svm.benchmark.timing.device_busy`), which tell a GPU-bound step from a launch-bound one;
- ``training``: forward + backward of a T-frame clip through 'stream' under autocast, parallel mode (causal
  mask) against frame by frame (:func:`svm.benchmark.backbone.training_run`): seconds per clip, peak memory,
  the speed-up and the largest gradient difference.

Tracker (the OpenMMLab stack imported only here): streaming inference of a MOT config's whole tracker,
frames/s and peak memory (:mod:`svm.benchmark.tracker`), and one training iteration of a MOT
config's tracker on N clips x T frames with its optimizer wrapper and gradient checkpointing, ms and peak
memory (:mod:`svm.benchmark.tracker_training`).

Every measurement is guarded: an error (e.g. CUDA out of memory) becomes the row's ``error`` and the
next measurement runs.
"""
import json
import os
import os.path as osp
import traceback
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

from svm.utils.table import markdown_table
from .backbone import MODES, EncoderSpec, latency_runs, training_run
from .timing import device_name, is_cuda

# the release's windowed layout and global attention (with CLIP's class token)
LAYOUTS = {'window14': 14, 'global': 0}


@dataclass
class BackboneReportSpec:
    """What the backbone part measures.

    Args:
        arch: 'b16', 'l14' or 'tiny' (see :class:`EncoderSpec`).
        sizes: (H, W) frame sizes, multiples of the patch size.
        dtypes: autocast dtypes, keys of :data:`svm.benchmark.timing.DTYPES`.
        layouts: name -> window size (0: global attention).
        frames: N, video length of the latency runs.
        warmup: untimed frames per encoder before its latency run.
        clip_len: frames 'clip' re-encodes per frame (default: the memory length).
        clip_frames: 'clip' is timed on the first ``clip_frames`` frames only (default: all N), as its cost is
            constant once its window is full and it is the costliest mode by far (clip_len encodes a frame).
        train_frames: T of the training run (0: no training run).
        train_iters: timed training steps after one warm-up.
    """
    arch: str = 'b16'
    memory_len: int = 32
    memory_policy: str = 'merge'
    sizes: Sequence[Tuple[int, int]] = ((224, 224), (800, 1440))
    dtypes: Sequence[str] = ('fp16', 'bf16')
    layouts: Dict[str, int] = field(default_factory=lambda: dict(LAYOUTS))
    modes: Sequence[str] = MODES
    frames: int = 128
    warmup: int = 3
    clip_len: Optional[int] = None
    clip_frames: Optional[int] = None
    train_frames: int = 8
    train_iters: int = 3

    def encoder_spec(self, layout: str) -> EncoderSpec:
        return EncoderSpec(self.arch, self.memory_len, self.memory_policy, self.layouts[layout])


@dataclass
class TrackerTrainingSpec:
    """What the tracker's training measurement runs: ``config``'s tracker on ``clips`` x ``frames`` frames,
    ``iters`` timed iterations after ``warmup``."""
    config: str
    clips: int = 2
    frames: int = 2
    iters: int = 3
    warmup: int = 2


def environment(device: str) -> Dict[str, str]:
    """The device's name and the versions the figures belong to."""
    return dict(device=str(device), device_name=device_name(device), torch=torch.__version__,
                cuda=str(torch.version.cuda), cudnn=str(torch.backends.cudnn.version()) if is_cuda(device) else 'n/a')


def guarded(row: Dict, measure: Callable[[], Dict], device: str, log: Callable[[str], None] = print) -> Dict:
    """``row`` updated with ``measure()``'s figures, or with ``error`` (type and message) if it raises, so that
    one failed measurement (e.g. CUDA out of memory) leaves the others to run."""
    label = ', '.join(f'{k}={v}' for k, v in row.items())
    log(f'[gpu_report] {label} ...')
    try:
        row.update(measure())
        row['error'] = None
        log(f'[gpu_report] {label}: done')
    except Exception as err:  # noqa: BLE001  (the table records any failure and goes on)
        row['error'] = f'{type(err).__name__}: {str(err).splitlines()[0][:300] if str(err) else ""}'
        log(f'[gpu_report] {label}: FAILED {row["error"]}\n{traceback.format_exc(limit=3)}')
    finally:
        if is_cuda(device):
            torch.cuda.empty_cache()
    return row


# the latency figures of the report's rows (latency_runs has more: the per-frame times, mean, max, ...)
LATENCY_KEYS = ('mode', 'frames', 'steady_from_frame', 'median_ms', 'p95_ms', 'slope_ms_per_100_frames',
                'first_frame_ms', 'peak_mib', 'gpu_busy_ms', 'kernels', 'profiled_wall_ms', 'memory_mib',
                'memory_nbytes', 'x_space')


def streaming_latency(spec: BackboneReportSpec, layout: str, size: Tuple[int, int], dtype: str,
                      device: str) -> List[Dict]:
    """:func:`~svm.benchmark.backbone.latency_runs` of each mode of ``spec.modes`` along one (1, N, 3, H, W)
    noise video (seed 0), the report's figures of each mode."""
    torch.manual_seed(0)
    video = torch.randn(1, spec.frames, 3, *size, device=device)
    rows = latency_runs(spec.encoder_spec(layout), spec.modes, video, spec.clip_len, spec.warmup, device, dtype,
                        spec.clip_frames)
    return [{key: row[key] for key in LATENCY_KEYS if key in row} for row in rows]


def backbone_rows(spec: BackboneReportSpec, device: str, log: Callable[[str], None] = print) -> List[Dict]:
    """Every backbone measurement of ``spec`` (layouts x sizes x dtypes: latency, training), one row per
    figure set, each guarded (:func:`guarded`)."""
    rows = []
    for layout in spec.layouts:
        for size in spec.sizes:
            for dtype in spec.dtypes:
                where = dict(part='backbone', layout=layout, size=f'{size[0]}x{size[1]}', dtype=dtype)
                latency = guarded(dict(where, measurement='latency'),
                                  lambda: dict(modes=streaming_latency(spec, layout, size, dtype, device)), device, log)
                # one row per mode, or the one error row
                rows += [{**latency, **mode} for mode in latency.pop('modes', [])] or [latency]
                if spec.train_frames:
                    rows.append(guarded(dict(where, measurement='training'),
                                        lambda: training_run(spec.encoder_spec(layout), spec.train_frames,
                                                             spec.train_iters, size, device, dtype), device, log))
    return rows


def _tracker_rows(config: str, measurement: str, sizes: Sequence[Tuple[int, int]], dtypes: Sequence[str],
                  measure: Callable[[object, Tuple[int, int], str], Dict], device: str,
                  log: Callable[[str], None]) -> List[Dict]:
    """``measure(cfg, (H, W), dtype)`` at each size and dtype, ``cfg`` the resolved mmengine Config of
    ``config``: one guarded row each. The OpenMMLab stack is imported here only, inside the guard: without it
    the rows say what to install."""
    rows = []
    for size in sizes:
        for dtype in dtypes:
            def run(size=tuple(size), dtype=dtype) -> Dict:
                from svm.utils.config_checks import resolve_config
                return measure(resolve_config(config), size, dtype)
            rows.append(guarded(dict(part='tracker', config=osp.basename(config), size=f'{size[0]}x{size[1]}',
                                     dtype=dtype, measurement=measurement), run, device, log))
    return rows


def tracker_rows(config: str, sizes: Sequence[Tuple[int, int]], dtypes: Sequence[str], frames: int, warmup: int,
                 device: str, checkpoint: Optional[str] = None, log: Callable[[str], None] = print) -> List[Dict]:
    """Streaming inference of ``config``'s whole tracker (:func:`~svm.benchmark.tracker.
    benchmark_tracker_config`) at each size and dtype: frames/s, latency and peak memory of the whole tracker
    and of its backbone, one guarded row each."""
    def measure(cfg, size: Tuple[int, int], dtype: str) -> Dict:
        from svm.benchmark.tracker import benchmark_tracker_config
        result = benchmark_tracker_config(cfg, config, checkpoint, size, frames, warmup, device, dtype)
        return dict(frames=frames, warmup=warmup, fps=result['tracker']['fps'],
                    median_ms=result['tracker']['median_ms'], p95_ms=result['tracker']['p95_ms'],
                    backbone_median_ms=result['backbone_in_tracker']['median_ms'],
                    backbone_share=result['backbone_share'], peak_mib=result['peak_mib_tracker'],
                    memory_mib=result['memory_buffers_mib'], nms=result['nms'])
    return _tracker_rows(config, 'streaming inference', sizes, dtypes, measure, device, log)


def tracker_training_rows(config: str, sizes: Sequence[Tuple[int, int]], dtypes: Sequence[str], clips: int,
                          frames: int, iters: int, warmup: int, device: str,
                          log: Callable[[str], None] = print) -> List[Dict]:
    """One training iteration of ``config``'s tracker (:func:`~svm.benchmark.tracker_training.
    benchmark_tracker_training`) on ``clips`` x ``frames`` frames at each size and dtype: ms per iteration and
    peak memory, one guarded row each."""
    def measure(cfg, size: Tuple[int, int], dtype: str) -> Dict:
        from svm.benchmark.tracker_training import benchmark_tracker_training
        result = benchmark_tracker_training(cfg, size[0], size[1], clips, frames, iters, warmup, device, dtype)
        keep = ('clips', 'frames_per_clip', 'optim_wrapper', 'with_cp', 'iters', 'median_ms', 'p95_ms',
                'peak_mib', 'first_loss', 'last_loss', 'losses_finite')
        return {key: result[key] for key in keep}
    return _tracker_rows(config, 'training iteration', sizes, dtypes, measure, device, log)


def _cell(value) -> str:
    if value is None:
        return ''
    if isinstance(value, float):
        return f'{value:.3g}' if abs(value) < 1e-2 and value else f'{value:.2f}'
    return str(value)


def format_markdown(rows: Sequence[Dict], env: Dict[str, str], notes: Sequence[str] = ()) -> str:
    """The rows as Markdown: a line naming the device and versions, then one table per measurement (columns:
    the union of its rows' keys in order of appearance, the error last), then ``notes``."""
    lines = [f"# GPU report: {env['device_name']}",
             f"torch {env['torch']}, CUDA {env['cuda']}, cuDNN {env['cudnn']}, device {env['device']}"]
    kinds = list(dict.fromkeys((row['part'], row['measurement']) for row in rows))
    for part, measurement in kinds:
        group = [row for row in rows if (row['part'], row['measurement']) == (part, measurement)]
        columns = [key for key in dict.fromkeys(k for row in group for k in row)
                   if key not in ('part', 'measurement', 'error')] + ['error']
        lines += ['', f'## {part}: {measurement}',
                  markdown_table(columns, [[_cell(row.get(key)) for key in columns] for row in group])]
    if notes:
        lines += [''] + [f'- {note}' for note in notes]
    return '\n'.join(lines) + '\n'


def write_report(rows: Sequence[Dict], env: Dict[str, str], out_dir: str, notes: Sequence[str] = (),
                 name: str = 'gpu_report') -> Tuple[str, str]:
    """``<out_dir>/<name>.json`` (environment, notes, rows) and ``<out_dir>/<name>.md``; returns both paths."""
    os.makedirs(out_dir, exist_ok=True)
    json_path, md_path = osp.join(out_dir, f'{name}.json'), osp.join(out_dir, f'{name}.md')
    with open(json_path, 'w') as f:
        json.dump(dict(environment=env, notes=list(notes), rows=list(rows)), f, indent=2)
    with open(md_path, 'w') as f:
        f.write(format_markdown(rows, env, notes))
    return json_path, md_path


def run_report(spec: BackboneReportSpec, device: str, out_dir: str, tracker_config: Optional[str] = None,
               tracker_frames: int = 300, tracker_warmup: int = 31, tracker_sizes: Optional[Sequence] = None,
               training: Optional[TrackerTrainingSpec] = None, backbone: bool = True,
               log: Callable[[str], None] = print) -> Tuple[List[Dict], str, str]:
    """The backbone measurements, then (given ``tracker_config``) the whole tracker's streaming inference and
    (given ``training``) its training iteration at ``tracker_sizes`` (default: the largest of ``spec.sizes``),
    written by :func:`write_report` after each part, so that a run cut short keeps what it measured;
    ``backbone=False`` leaves the backbone part out. Returns (rows, JSON path, Markdown path)."""
    env = environment(device)
    log(f"[gpu_report] {env['device_name']}, torch {env['torch']}, CUDA {env['cuda']}")
    notes = []
    if backbone:
        notes.append(f'backbone: SViT-{spec.arch}, memory {spec.memory_len} {spec.memory_policy}, {spec.frames} '
                     f'frames (latency: steady part once the memory is full; clip re-encodes '
                     f'{spec.clip_len or spec.memory_len} frames per frame, timed on the first '
                     f'{spec.clip_frames or spec.frames}), training: {spec.train_frames}-frame clip, median of '
                     f'{spec.train_iters} steps')
    if tracker_config:
        notes.append(f'tracker inference: {tracker_frames} frames after {tracker_warmup} untimed frames of the same '
                     'video, random weights, whole tracker (preprocessing, detector, NMS, association)')
    if training:
        notes.append(f'tracker training: {training.config}, {training.clips} clips x {training.frames} frames, '
                     f'median of {training.iters} iterations after {training.warmup}, random weights, no hooks '
                     '(EMA) and no all-reduce')
    rows = backbone_rows(spec, device, log) if backbone else []
    paths = write_report(rows, env, out_dir, notes)
    sizes = tracker_sizes or [max(spec.sizes, key=lambda s: s[0] * s[1])]
    if tracker_config:
        rows += tracker_rows(tracker_config, sizes, spec.dtypes, tracker_frames, tracker_warmup, device, log=log)
        paths = write_report(rows, env, out_dir, notes)
    if training:
        rows += tracker_training_rows(training.config, sizes, spec.dtypes, training.clips, training.frames,
                                      training.iters, training.warmup, device, log)
        paths = write_report(rows, env, out_dir, notes)
    return rows, paths[0], paths[1]
