"""An end-to-end check of an install: the commands a user runs, each as a subprocess, into one table.

``python tools/misc/check_install.py`` (docs/gpu.md, "Checking an install end to end") runs, one step after
the other, the real command lines of the project on generated data and records each step's status (PASS,
FAIL or SKIP), wall time and key figures:

1. ``data``: ``tools/misc/generate_synthetic_mot.py``, MOT17-layout sequences (2 train + 1 val), on a GPU at
   1920x1088 (MOT17's 1920x1080 rounded up to the multiple of 32 the generator needs);
2. ``train``: ``tools/train.py`` of the paper MOT config with ``--amp``, two epochs of a few iterations each,
   then ``--resume`` for one more epoch: the losses fall, checkpoints are written, the resumed run starts at
   the epoch and iteration where the first one stopped;
3. ``train-release``: the same for the release-recipe config (its frame-stepped loop);
4. ``dist-train``: ``tools/dist_train.sh`` of the paper config with one process;
5. ``test-release``: a checkpoint in the release's format (the authors' key names, :func:`svm.models.mot.release_checkpoint.svm_to_release_state_dict`)
   converted by ``tools/model_converters/svm_release_to_svm.py``, then ``tools/test.py`` (with ``--show-dir``) and
   ``tools/dist_test.sh ... 1`` of the release test config: HOTA, MOTA and IDF1, the images drawn;
6. ``fps``: frames per second of ``tools/test.py`` on the release test config at its size (800x1440);
7. ``recognition``: a recognition config trained and tested for a few iterations on toy videos;
8. ``cuda-tests``: the test suite's CUDA-marked tests (skipped, and reported SKIP, without a GPU).

Every command's output goes to a log of its own under ``<out_dir>/logs``; a failing step keeps the last lines
of its log in the table and the steps that do not need it still run. ``dry_run`` runs every step on the CPU
with a tiny S-ViT at tiny sizes (the arch of configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py
through ``--cfg-options``), and in fp32: mmengine's ``AmpOptimWrapper`` needs CUDA, so the AMP configs run
through a child config (written beside the logs) whose only change is a plain ``OptimWrapper``.

Nothing here imports torch or the OpenMMLab stack at module level: the check must start, and say what is
wrong, on a broken install.
"""
import glob
import json
import os
import os.path as osp
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from statistics import median
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .table import markdown_table

REPO_ROOT = Path(__file__).resolve().parents[2]

PAPER_CONFIG = 'configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py'
RELEASE_CONFIG = 'configs/mot/svm/bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py'
RELEASE_TEST_CONFIG = ('configs/mot/svm/bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-'
                       'motsynth_test-mot17halfval.py')
RECOGNITION_CONFIG = 'configs/recognition/svm/svm_stream-b16_clip-pre_8xb8-8x8x1-30e_kinetics400-rgb.py'
TINY_RECOGNITION_CONFIG = 'configs/recognition/svm/svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py'

# The tiny S-ViT tracker of configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py, as --cfg-options of a
# ViT-B/16 MOT config (the dry run's model).
TINY_TRACKER_OPTIONS = [
    'model.detector.backbone.arch._delete_=True',
    'model.detector.backbone.arch.embed_dims=32',
    'model.detector.backbone.arch.num_layers=3',
    'model.detector.backbone.arch.num_heads=2',
    'model.detector.backbone.arch.patch_size=8',
    'model.detector.backbone.img_size=32',
    'model.detector.backbone.window_size=None',
    'model.detector.backbone.out_indices=[0,1,2]',
    'model.detector.backbone.residual_block_indices=[2]',
    'model.detector.neck.0.in_channels=32',
    'model.detector.neck.0.out_channels=[16,32,64]',
    'model.detector.neck.1.in_channels=[16,32,64]',
    'model.detector.neck.1.out_channels=16',
    'model.detector.neck.1.num_csp_blocks=1',
    'model.detector.bbox_head.in_channels=16',
    'model.detector.bbox_head.feat_channels=16',
    'model.detector.bbox_head.stacked_convs=1',
    'model.detector.bbox_head.strides=[4,8,16]',
    'model.data_preprocessor.batch_augments.0.random_size_range=(64,96)',
]
# the keys of the arguments that set the image size in a MOT pipeline step, by step type
PIPELINE_SIZE_ARGS = {'ClipMosaic': 'img_scale', 'ClipMixUp': 'img_scale', 'Resize': 'scale',
                      'ClipRandomAffine': 'border'}
# what the training sampler of the MOT recipe draws from its four sources (MOT17, CrowdHuman x 2, MOTSynth)
RECIPE_SOURCE_RATIOS = (1, 1, 1, 0.1)
# The training runs' learning rate, in multiples of the config's. The recipes' rates (2.5e-4 for 16 clips a step)
# are for fine-tuning from CLIP's weights over 10 epochs; from scratch (no CLIP weights here), a few dozen
# iterations at that rate leave the loss where it started (measured on the dry run: 10.8 -> 12.5 and 10.80 ->
# 10.80 over 36 iterations), and at 10x it falls (10.7 -> 8.1, 10.8 -> 9.2).
LR_FACTOR = 10
# optim wrapper arguments that only mmengine's AmpOptimWrapper takes
AMP_ONLY_ARGS = ('type', 'loss_scale', 'dtype', 'use_fsdp')

PASS, FAIL, SKIP = 'PASS', 'FAIL', 'SKIP'
LOG_TAIL_LINES = 25


@dataclass(frozen=True)
class StepSpec:
    name: str
    title: str
    needs: Tuple[str, ...] = ()


STEPS = (
    StepSpec('data', 'generate MOT-layout data (tools/misc/generate_synthetic_mot.py)'),
    StepSpec('train', 'tools/train.py, paper MOT config, AMP, then --resume', ('data', )),
    StepSpec('train-release', 'tools/train.py, release-recipe config, AMP, then --resume', ('data', )),
    StepSpec('dist-train', 'tools/dist_train.sh CONFIG 1', ('data', )),
    StepSpec('test-release', 'release-format checkpoint -> converter -> tools/test.py --show-dir, '
             'tools/dist_test.sh 1', ('data', )),
    StepSpec('fps', 'frames/s through tools/test.py, release test config', ('data', )),
    StepSpec('recognition', 'tools/train.py + tools/test.py, recognition config'),
    StepSpec('cuda-tests', "pytest: the suite's CUDA-marked tests"),
)
STEP_NAMES = tuple(step.name for step in STEPS)


class StepFailed(Exception):
    """A step's command failed or one of its checks did not hold."""

    def __init__(self, message: str, log_tail: str = '') -> None:
        super().__init__(message)
        self.log_tail = log_tail


class StepSkipped(Exception):
    """A step did not run, or its checks could not run here (e.g. no CUDA)."""


@dataclass
class StepResult:
    name: str
    title: str
    status: str = SKIP
    seconds: float = 0.0
    figures: Dict[str, Any] = field(default_factory=dict)  # shown in the table
    data: Dict[str, Any] = field(default_factory=dict)  # raw numbers, in the JSON only
    notes: List[str] = field(default_factory=list)
    commands: List[str] = field(default_factory=list)
    logs: List[str] = field(default_factory=list)
    error: str = ''
    log_tail: str = ''


@dataclass
class Sizes:
    """What a run is made of: the generated frames, the training length and, in the dry run, the tiny
    model's input size."""
    frame_size: Tuple[int, int]  # (width, height) of the generated frames
    num_frames: int  # per generated sequence
    iters: int  # training iterations of each run before its resume (two epochs)
    image_scale: Optional[Tuple[int, int]] = None  # (w, h) of the pipelines; None: the config's own
    tiny: bool = False

    @property
    def iters_per_epoch(self) -> int:
        return max(1, self.iters // 2)


GPU_SIZES = Sizes(frame_size=(1920, 1088), num_frames=64, iters=24)
DRY_RUN_SIZES = Sizes(frame_size=(128, 96), num_frames=16, iters=24, image_scale=(96, 64), tiny=True)


# ----------------------------------------------------------------------------------------------------------
# reading what the tools wrote

def read_json_lines(path: str) -> List[dict]:
    """The json objects of an mmengine scalars log, one per line (lines that are not json objects skipped)."""
    records = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


def train_records(work_dir: str) -> List[dict]:
    """The training records (those with a global ``iter`` and a ``loss``) of every run logged in ``work_dir``
    (``<timestamp>/vis_data/scalars.json``), by iteration; a resumed run's records follow its first run's."""
    by_iter = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        for record in read_json_lines(path):
            if 'iter' in record and 'loss' in record:
                by_iter[int(record['iter'])] = record
    return [by_iter[i] for i in sorted(by_iter)]


def loss_components(records: Sequence[dict]) -> List[str]:
    """The ``loss_*`` terms logged in every record (a term that appears part-way, e.g. YOLOX's L1 loss after
    its mode switch in the last epoch, is left out so that first and last windows sum the same terms)."""
    if not records:
        return []
    keys = [k for k in records[0] if k.startswith('loss_') and isinstance(records[0][k], (int, float))]
    return [k for k in keys if all(k in r for r in records)]


def loss_trend(records: Sequence[dict], window: Optional[int] = None) -> Dict[str, Any]:
    """Mean loss of the first and the last ``window`` logged iterations (default: a quarter of them, at
    least 1). The loss is the sum of the terms every record has (:func:`loss_components`), else ``loss``.

    Returns ``dict(first=, last=, window=, iterations=, terms=, falls=)``; ``falls`` is ``last < first``.
    """
    if len(records) < 2:
        raise ValueError(f'need at least 2 logged training iterations to compare losses, got {len(records)}')
    terms = loss_components(records) or ['loss']
    window = window or max(1, len(records) // 4)
    window = min(window, len(records) // 2)
    values = [sum(float(r[k]) for k in terms) for r in records]
    first = sum(values[:window]) / window
    last = sum(values[-window:]) / window
    return dict(first=first, last=last, window=window, iterations=len(records), terms=terms, falls=last < first)


RESUMED = re.compile(r'resumed epoch: (\d+), iter: (\d+)')


def resumed_at(log_text: str) -> Optional[Tuple[int, int]]:
    """(epoch, iteration) of mmengine's ``resumed epoch: E, iter: I`` line (the last one), or None."""
    found = RESUMED.findall(log_text)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


TEST_LINE = re.compile(r'Epoch\(test\)\s*\[\s*(\d+)/(\d+)\]')
METRIC = re.compile(r'([\w-]+/[\w-]+): (-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)')


def final_test_line(log_text: str) -> Optional[str]:
    """mmengine's last ``Epoch(test) [N/N]`` line: the metrics and the mean time per iteration of the test."""
    lines = [line for line in log_text.splitlines() if TEST_LINE.search(line)]
    finals = [line for line in lines if (m := TEST_LINE.search(line)) and m.group(1) == m.group(2)
              and METRIC.search(line)]
    return finals[-1] if finals else None


def test_metrics(log_text: str) -> Dict[str, float]:
    """The ``prefix/name: value`` figures of the final test line (``motchallenge-metric/HOTA``, ``acc/top1``)."""
    line = final_test_line(log_text)
    return {} if line is None else {k: float(v) for k, v in METRIC.findall(line)}


def test_timing(log_text: str) -> Dict[str, Any]:
    """How mmengine timed a test run: ``mean_s`` (its final line's ``time``, seconds per iteration averaged
    over the whole test) and ``per_iter_s`` (each logged iteration's ``time``: per iteration when the logger
    interval and the log processor's window are 1)."""
    per_iter = []
    for line in log_text.splitlines():
        match = TEST_LINE.search(line)
        if match and 'eta:' in line:
            time_s = re.search(r'\btime: (\d+\.\d+)', line)
            if time_s:
                per_iter.append((int(match.group(1)), float(time_s.group(1))))
    final = final_test_line(log_text)
    mean = re.search(r'\btime: (\d+\.\d+)', final) if final else None
    return dict(mean_s=float(mean.group(1)) if mean else None, per_iter_s=[t for _, t in sorted(per_iter)])


PYTEST_COUNT = re.compile(r'(\d+) (passed|failed|skipped|errors?|deselected|xfailed|xpassed)')
PYTEST_SKIP = re.compile(r'^SKIPPED \[(\d+)\] [^:]+(?::\d+)?: (.*)$')


def pytest_summary(output: str) -> Dict[str, Any]:
    """Counts of pytest's closing line and the reasons of ``-rs``: ``dict(passed=, failed=, skipped=, errors=,
    deselected=, skip_reasons={reason: count})``."""
    counts = dict(passed=0, failed=0, skipped=0, errors=0, deselected=0, xfailed=0, xpassed=0)
    closing = [line for line in output.splitlines() if PYTEST_COUNT.search(line) and re.search(r' in [\d.]+s', line)]
    if closing:
        for number, what in PYTEST_COUNT.findall(closing[-1]):
            counts['errors' if what.startswith('error') else what] = int(number)
    reasons: Dict[str, int] = {}
    for line in output.splitlines():
        match = PYTEST_SKIP.match(line.strip())
        if match:
            reasons[match.group(2)] = reasons.get(match.group(2), 0) + int(match.group(1))
    counts['skip_reasons'] = reasons
    return counts


def needs_cuda_reason(reason: str) -> bool:
    return bool(re.search(r'\bCUDA\b|\bGPU\b', reason))


def log_tail(path: str, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` non-empty lines of a log."""
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
    except OSError:
        return ''
    kept = [line for line in text.splitlines() if line.strip()]
    return '\n'.join(kept[-lines:])


_OPS = r'\b(nms|NMS|roi_?align|RoIAlign)\b'
TORCHVISION_OPS = re.compile(f'torchvision.*{_OPS}|{_OPS}.*torchvision')


def torchvision_ops_line(log_texts: Sequence[str]) -> Optional[str]:
    """The first log line that says NMS / RoIAlign ran through torchvision, or None (svm.ops.torchvision_ops says, once
    per process, e.g. "mmcv 2.1.0 was built without CUDA ops: nms on cuda:0 runs torchvision's CUDA kernel")."""
    for text in log_texts:
        for line in text.splitlines():
            if TORCHVISION_OPS.search(line):
                return line.strip()[:200]
    return None


def same_state(a: Mapping[str, Any], b: Mapping[str, Any]) -> Tuple[bool, str]:
    """Whether two state dicts hold the same keys and bit-identical tensors; else what differs first."""
    import torch
    if set(a) != set(b):
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        return False, f'keys differ: only in the first {only_a[:3]}, only in the second {only_b[:3]}'
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, torch.Tensor):
            if not isinstance(y, torch.Tensor) or x.shape != y.shape or x.dtype != y.dtype or not torch.equal(x, y):
                return False, f'{key} differs'
        elif x != y:
            return False, f'{key} differs'
    return True, ''


# ----------------------------------------------------------------------------------------------------------
# the config options of each step

def data_root_options(data_root: str, num_sources: int) -> List[str]:
    """--cfg-options that point a MOT17 recipe config at the generated data: every training source at its
    half-train split (the CrowdHuman and MOTSynth sources too), validation and test at half-val."""
    root = data_root.rstrip('/') + '/'
    options = []
    for k in range(num_sources):
        source = f'train_dataloader.dataset.dataset.datasets.{k}'
        options += [f'{source}.data_root={root}', f'{source}.ann_file=annotations/half-train_cocoformat.json',
                    f'{source}.data_prefix.img_path=train']
    return options + [f'val_dataloader.dataset.data_root={root}', f'test_dataloader.dataset.data_root={root}']


def source_ratios(samples: int, source_size: int, recipe: Sequence[float] = RECIPE_SOURCE_RATIOS) -> Tuple[float, ...]:
    """Ratios of SourceRatioSampler that draw ``samples`` clips an epoch from sources of ``source_size`` frames
    each, shared among the sources in the recipe's proportions (each source at least one clip)."""
    weights = [r / sum(recipe) for r in recipe]
    counts = [max(1, int(samples * w)) for w in weights]
    counts[0] += samples - sum(counts)
    if counts[0] < 1:
        raise ValueError(f'{samples} clips an epoch cannot be shared among {len(recipe)} sources')
    return tuple(c / source_size for c in counts)


def pipeline_size_options(pipeline: Sequence[dict], prefix: str, scale: Tuple[int, int]) -> List[str]:
    """--cfg-options that set every image size of a MOT pipeline (``prefix``: its dotted key) to ``scale``
    (w, h): Mosaic / MixUp ``img_scale``, Resize ``scale``, RandomAffine ``border`` (-w/2, -h/2), nested
    ``transforms`` included."""
    options = []
    for index, step in enumerate(pipeline):
        key = f'{prefix}.{index}'
        if 'transforms' in step:
            options += pipeline_size_options(step['transforms'], f'{key}.transforms', scale)
        arg = PIPELINE_SIZE_ARGS.get(step.get('type'))
        if arg == 'border':
            options.append(f'{key}.border=({-scale[0] // 2},{-scale[1] // 2})')
        elif arg:
            options.append(f'{key}.{arg}=({scale[0]},{scale[1]})')
    return options


def sync_bn_to_bn_options(node: Any, prefix: str = 'model') -> List[str]:
    """--cfg-options that turn every ``SyncBN`` norm config under ``node`` (a model config) into ``BN``: PyTorch's DDP
    refuses SyncBatchNorm layers in a model on the CPU."""
    options = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, (list, tuple)) else ()
    for key, value in items:
        path = f'{prefix}.{key}'
        if isinstance(value, dict) and value.get('type') == 'SyncBN':
            options.append(f'{path}.type=BN')
        else:
            options += sync_bn_to_bn_options(value, path)
    return options


def fp32_child_config(config: str, path: str) -> str:
    """Write a config that inherits ``config`` and only replaces its AmpOptimWrapper by a plain OptimWrapper
    with the same optimizer and parameter-wise settings (mmengine's AmpOptimWrapper needs CUDA). Returns
    ``path``."""
    keep = ', '.join(repr(k) for k in AMP_ONLY_ARGS)
    text = (f'# Written by svm.utils.install_check for a run on the CPU: {config} in fp32, because mmengine\'s\n'
            f'# AmpOptimWrapper needs CUDA. Everything else is the config\'s own.\n'
            f'_base_ = [{str(Path(config).resolve())!r}]\n'
            f'optim_wrapper = dict(\n'
            f'    _delete_=True,\n'
            f'    type=\'OptimWrapper\',\n'
            f'    **{{key: value for key, value in _base_.optim_wrapper.items() if key not in ({keep})}})\n')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    Path(path).write_text(text)
    return path


def parse_cfg_options(options: Sequence[str]) -> Dict[str, Any]:
    """``--cfg-options`` strings parsed as the tools parse them (mmengine's DictAction)."""
    import argparse

    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def _kill_session(proc: subprocess.Popen) -> None:
    """Kill a command started with ``start_new_session`` and everything it started (torchrun's workers)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------------------------------
# environment

def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return 'not installed'


def cudnn_version(number: Optional[int]) -> str:
    """torch.backends.cudnn.version() as a release: 92400 -> '9.24.0' (cuDNN 9), 8902 -> '8.9.2' (cuDNN 8)."""
    if not number:
        return 'n/a'
    if number >= 90000:
        return f'{number // 10000}.{number // 100 % 100}.{number % 100}'
    return f'{number // 1000}.{number // 100 % 10}.{number % 100}'


def environment() -> Dict[str, str]:
    """GPU, torch / CUDA / cuDNN, mmcv and whether its ops have CUDA kernels, the OpenMMLab packages, Python.
    Each item that cannot be read says why instead."""
    env: Dict[str, str] = dict(python=sys.version.split()[0], executable=sys.executable)
    try:
        import torch
        env['torch'] = torch.__version__
        env['cuda'] = str(torch.version.cuda)
        env['cudnn'] = cudnn_version(torch.backends.cudnn.version()) if torch.backends.cudnn.is_available() else 'n/a'
        if torch.cuda.is_available():
            count = torch.cuda.device_count()
            env['gpu'] = f'{torch.cuda.get_device_name(0)}' + (f' (+{count - 1} more)' if count > 1 else '')
        else:
            env['gpu'] = 'none (torch.cuda.is_available() is False)'
    except Exception as err:  # noqa: BLE001  (a broken install is what this reports)
        env['torch'] = f'cannot import torch: {type(err).__name__}: {err}'
        env['gpu'] = 'unknown'
    env['torchvision'] = _version('torchvision')
    env['mmcv'] = _version('mmcv')
    try:
        from mmcv.ops import get_compiling_cuda_version
        compiled = get_compiling_cuda_version()
        env['mmcv_ops'] = ('CPU ops only (compiled without CUDA)' if compiled == 'not available' else
                           f'CUDA ops (compiled with CUDA {compiled})')
    except Exception as err:  # noqa: BLE001
        env['mmcv_ops'] = f'cannot import mmcv.ops: {type(err).__name__}: {err}'
    for name, dist in (('mmengine', 'mmengine'), ('mmdet', 'mmdet'), ('mmaction2', 'mmaction2')):
        env[name] = _version(dist)
    return env


def environment_lines(env: Mapping[str, str]) -> List[str]:
    lines = [
        f'GPU: {env.get("gpu")}',
        f'torch {env.get("torch")}, CUDA {env.get("cuda")}, cuDNN {env.get("cudnn")}, '
        f'torchvision {env.get("torchvision")}',
        f'mmcv {env.get("mmcv")}: {env.get("mmcv_ops")}',
        f'mmengine {env.get("mmengine")}, mmdet {env.get("mmdet")}, mmaction2 {env.get("mmaction2")}',
        f'Python {env.get("python")} ({env.get("executable")})',
    ]
    if env.get('cuda_ops_path'):
        lines.append(f'NMS / RoIAlign on CUDA: {env["cuda_ops_path"]}')
    if env.get('run'):
        lines.append(f'run: {env["run"]}')
    return lines


# ----------------------------------------------------------------------------------------------------------
# the table

def format_figures(result: StepResult) -> str:
    parts = [f'{k}: {v}' for k, v in result.figures.items()]
    parts += result.notes
    if result.status == FAIL and result.error:
        parts.append(f'error: {result.error}')
    return '; '.join(str(p) for p in parts)


def format_table(results: Sequence[StepResult]) -> str:
    """One Markdown table: step, status, seconds, key figures."""
    return markdown_table(['#', 'step', 'status', 'seconds', 'key figures'],
                          [[index, result.name, result.status, f'{result.seconds:.1f}', format_figures(result)]
                           for index, result in enumerate(results, 1)])


def format_report(env: Mapping[str, str], results: Sequence[StepResult], title: str) -> str:
    """The environment, the table and, for each failed step, its log and the last lines of it."""
    parts = [f'# {title}', '', *[f'- {line}' for line in environment_lines(env)], '', format_table(results)]
    for result in results:
        if result.status == FAIL:
            parts += ['', f'## {result.name} failed: {result.error}', '',
                      f'log: {result.logs[-1] if result.logs else "(none)"}', '', '```', result.log_tail, '```']
    return '\n'.join(parts) + '\n'


def write_report(out_dir: str, env: Mapping[str, str], results: Sequence[StepResult], title: str,
                 settings: Optional[Mapping[str, Any]] = None, wall_s: Optional[float] = None) -> Tuple[str, str]:
    """``<out_dir>/check_install.json`` and ``check_install.md``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    json_path, md_path = osp.join(out_dir, 'check_install.json'), osp.join(out_dir, 'check_install.md')
    report = dict(title=title, environment=dict(env), settings=dict(settings or {}), wall_s=wall_s,
                  passed=not any(r.status == FAIL for r in results), steps=[asdict(r) for r in results])
    with open(json_path, 'w', encoding='utf-8') as f:
        json.dump(report, f, indent=2, default=str)
    with open(md_path, 'w', encoding='utf-8') as f:
        f.write(format_report(env, results, title))
    return json_path, md_path


def exit_code(results: Sequence[StepResult]) -> int:
    return 1 if any(r.status == FAIL for r in results) else 0


# ----------------------------------------------------------------------------------------------------------
# running the steps

@dataclass
class CheckSettings:
    """What :class:`InstallCheck` runs. ``configs`` names the config of each role (keys of
    :data:`DEFAULT_CONFIGS`), relative to the repository root or absolute."""
    out_dir: str = 'work_dirs/check_install'
    device: str = 'cuda'
    dry_run: bool = False
    iters: Optional[int] = None
    keep: bool = False
    timeout_s: Optional[float] = None
    configs: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.dry_run:
            self.device = 'cpu'
        if not re.fullmatch(r'cpu|cuda(:\d+)?', self.device):
            raise ValueError(f"device must be 'cuda', 'cuda:N' or 'cpu', got {self.device!r}")
        if self.iters is not None and self.iters < 2:
            raise ValueError(f'iters must be at least 2 (two epochs of at least one iteration), got {self.iters}')
        self.configs = {**DEFAULT_CONFIGS, **({'recognition': TINY_RECOGNITION_CONFIG} if self.dry_run else {}),
                        **self.configs}
        if self.timeout_s is None:
            self.timeout_s = 600.0 if self.dry_run else 1800.0

    @property
    def cuda(self) -> bool:
        return self.device.startswith('cuda')

    @property
    def sizes(self) -> Sizes:
        sizes = DRY_RUN_SIZES if self.dry_run else GPU_SIZES
        return sizes if self.iters is None else Sizes(**{**asdict(sizes), 'iters': self.iters})


DEFAULT_CONFIGS = dict(paper=PAPER_CONFIG, release=RELEASE_CONFIG, release_test=RELEASE_TEST_CONFIG,
                       recognition=RECOGNITION_CONFIG)


class InstallCheck:
    """Runs the steps of :data:`STEPS` (or some of them) as subprocesses from the repository root and collects
    a :class:`StepResult` each. ``log`` gets the progress lines."""

    def __init__(self, settings: CheckSettings, log: Callable[[str], None] = print) -> None:
        self.settings = settings
        self.sizes = settings.sizes
        self.out_dir = osp.abspath(settings.out_dir)
        self.log_dir = osp.join(self.out_dir, 'logs')
        self.work_root = osp.join(self.out_dir, 'work')
        self.data_root = osp.join(self.out_dir, 'data')
        self.mot_root = osp.join(self.data_root, 'mot')
        self._print = log
        self._start = time.monotonic()
        self._commands = 0
        self.results: Dict[str, StepResult] = {}
        self.current: Optional[StepResult] = None
        self.artifacts: Dict[str, Any] = {}  # what a step leaves for later ones (checkpoints)
        self.log_texts: List[str] = []

    # -- progress and commands ------------------------------------------------------------------------------
    def elapsed(self) -> str:
        seconds = int(time.monotonic() - self._start)
        return f'{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}'

    def say(self, message: str) -> None:
        self._print(f'[check_install {self.elapsed()}] {message}')

    def config(self, role: str) -> str:
        path = self.settings.configs[role]
        return path if osp.isabs(path) else str(REPO_ROOT / path)

    def env(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get('PYTHONPATH', '')) if p)
        env['PYTHON'] = sys.executable  # what tools/dist_*.sh run
        env['PYTHONUNBUFFERED'] = '1'
        if self.settings.device == 'cpu':
            env['CUDA_VISIBLE_DEVICES'] = ''
            # small models on a few cores: more threads mostly wait on each other (svm/utils/commands.py)
            env.setdefault('OMP_NUM_THREADS', '1')
        elif ':' in self.settings.device:
            env['CUDA_VISIBLE_DEVICES'] = self.settings.device.split(':')[1]
        env.update(extra or {})
        return env

    def run(self, args: Sequence[Any], label: str, env: Optional[Mapping[str, str]] = None,
            check: bool = True) -> Tuple[int, str]:
        """Run a command line from the repository root (``python``: this interpreter) with its stdout and stderr in
        ``<out_dir>/logs/<NN>_<step>_<label>.log``. Returns (exit status, the log's text); with ``check`` a
        non-zero status raises :class:`StepFailed` with the last lines of the log."""
        result = self.current
        args = [str(a) for a in args]
        shown = ' '.join([*(f'{k}={v}' for k, v in (env or {}).items()), shlex.join(args)])
        result.commands.append(shown)
        self._commands += 1
        log_path = osp.join(self.log_dir, f'{self._commands:02d}_{result.name}_{label}.log')
        result.logs.append(log_path)
        if '--cfg-options' in args:  # the console gets the command without its options; the log and JSON all of it
            cut = args.index('--cfg-options')
            brief = ' '.join([*(f'{k}={v}' for k, v in (env or {}).items()), shlex.join(args[:cut]),
                              f'--cfg-options ({len(args) - cut - 1} options)'])
        else:
            brief = shown
        self.say(f'  $ {brief}  > {log_path}')
        full = [sys.executable if a == 'python' else a for a in args]
        with open(log_path, 'w', encoding='utf-8') as log:
            log.write(f'# {shown}\n# cwd: {REPO_ROOT}\n')
            log.flush()
            proc = subprocess.Popen(full, cwd=REPO_ROOT, env=self.env(env), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                returncode = proc.wait(timeout=self.settings.timeout_s)
            except subprocess.TimeoutExpired:
                _kill_session(proc)
                returncode = None
            except BaseException:  # Ctrl-C: the command runs in a session of its own, which the terminal does not stop
                _kill_session(proc)
                raise
        text = Path(log_path).read_text(encoding='utf-8', errors='replace')
        self.log_texts.append(text)
        if returncode is None:
            raise StepFailed(f'{label}: timed out after {self.settings.timeout_s:.0f} s', log_tail(log_path))
        if check and returncode != 0:
            raise StepFailed(f'{label}: exit status {returncode}', log_tail(log_path))
        return returncode, text

    def figure(self, named: Optional[Mapping[str, Any]] = None, **figures: Any) -> None:
        """Key figures of the current step (``named``: those whose names are no Python identifiers)."""
        self.current.figures.update(named or {}, **figures)

    def note(self, text: str) -> None:
        self.current.notes.append(text)

    def require(self, condition: bool, message: str) -> None:
        if not condition:
            log = self.current.logs[-1] if self.current.logs else ''
            raise StepFailed(message, log_tail(log) if log else '')

    def work_dir(self, name: str) -> str:
        path = osp.join(self.work_root, name)
        shutil.rmtree(path, ignore_errors=True)
        return path

    # -- the whole check -------------------------------------------------------------------------------------
    def run_steps(self, names: Optional[Sequence[str]] = None) -> List[StepResult]:
        """Run the named steps (default: all) in the order of :data:`STEPS`, each step a prerequisite needs
        added; a step whose prerequisite failed is SKIP with the reason."""
        names = list(STEP_NAMES if not names else names)
        unknown = [n for n in names if n not in STEP_NAMES]
        if unknown:
            raise ValueError(f'unknown steps {unknown}; the steps are {", ".join(STEP_NAMES)}')
        wanted = set(names)
        for spec in STEPS:
            if spec.name in wanted:
                added = [n for n in spec.needs if n not in wanted]
                if added:
                    self.say(f'step {spec.name} needs {", ".join(added)}: added')
                wanted.update(spec.needs)
        shutil.rmtree(self.log_dir, ignore_errors=True)
        os.makedirs(self.log_dir, exist_ok=True)
        selected = [spec for spec in STEPS if spec.name in wanted]
        if self.settings.cuda:
            import torch
            if not torch.cuda.is_available():
                raise RuntimeError(f'--device {self.settings.device}, but torch.cuda.is_available() is False on this '
                                   f'machine: run with --dry-run (CPU, tiny sizes) or install a CUDA build of torch')
        for index, spec in enumerate(selected, 1):
            result = StepResult(spec.name, spec.title)
            self.results[spec.name] = result
            self.current = result
            failed = [n for n in spec.needs if self.results.get(n) and self.results[n].status != PASS]
            self.say(f'[{index}/{len(selected)}] {spec.name}: started ({spec.title})')
            start = time.monotonic()
            if failed:
                result.status = SKIP
                result.notes.append(f'not run: needs step {", ".join(failed)}, which did not pass')
            else:
                try:
                    getattr(self, 'step_' + spec.name.replace('-', '_'))()
                    result.status = PASS
                except StepSkipped as skipped:
                    result.status = SKIP
                    result.notes.append(str(skipped))
                except StepFailed as err:
                    result.status, result.error, result.log_tail = FAIL, str(err), err.log_tail
                except Exception as err:  # noqa: BLE001  (record any failure, go on with the next step)
                    result.status, result.error = FAIL, f'{type(err).__name__}: {err}'
                    result.log_tail = traceback.format_exc(limit=6)
            result.seconds = time.monotonic() - start
            self.say(f'[{index}/{len(selected)}] {spec.name}: {result.status} in {result.seconds:.1f} s'
                     + (f' ({result.error})' if result.error else ''))
        self.current = None
        return [self.results[spec.name] for spec in selected]

    # -- shared pieces -----------------------------------------------------------------------------------------
    def amp_note(self) -> str:
        return ('AMP: AmpOptimWrapper (fp16, dynamic loss scale)' if self.settings.cuda else
                "fp32: mmengine's AmpOptimWrapper needs CUDA, so the config runs through a child config with a "
                'plain OptimWrapper (the optimizer and its parameter groups unchanged)')

    def mot_config_file(self, role: str) -> str:
        """The config a MOT training step runs: the config itself on CUDA (``--amp``); on the CPU its fp32 child."""
        config = self.config(role)
        if self.settings.cuda:
            return config
        return fp32_child_config(config, osp.join(self.out_dir, 'configs', f'{Path(config).stem}_fp32.py'))

    def load_config(self, path: str):
        from mmengine.config import Config
        return Config.fromfile(path)

    def size_options(self, cfg, loaders: Sequence[str]) -> List[str]:
        """The tiny model and image size of the dry run, the CPU's loaders (no worker processes)."""
        options = []
        if self.sizes.tiny:
            options += TINY_TRACKER_OPTIONS
            for loader in loaders:
                options += pipeline_size_options(cfg[f'{loader}_dataloader'].dataset.pipeline,
                                                 f'{loader}_dataloader.dataset.pipeline', self.sizes.image_scale)
        if not self.settings.cuda:
            for loader in loaders:
                options += [f'{loader}_dataloader.num_workers=0', f'{loader}_dataloader.persistent_workers=False']
        return options

    def half_train_frames(self) -> int:
        with open(osp.join(self.mot_root, 'annotations', 'half-train_cocoformat.json')) as f:
            return len(json.load(f)['images'])

    def mot_train_options(self, role: str, epochs: int) -> Tuple[List[str], Dict[str, Any]]:
        """The --cfg-options of a MOT training run of ``epochs`` epochs of ``sizes.iters_per_epoch`` iterations on
        the generated data, and what they set."""
        cfg = self.load_config(self.config(role))
        sources = len(cfg.train_dataloader.dataset.dataset.datasets)
        frame_steps = cfg.train_cfg.get('num_frames', 1) if cfg.train_cfg.get('type') == 'FrameSteppedTrainLoop' else 1
        batch = cfg.train_dataloader.batch_size
        batches = max(1, -(-self.sizes.iters_per_epoch // frame_steps))  # ceil
        ratios = source_ratios(batches * batch, self.half_train_frames(), RECIPE_SOURCE_RATIOS[:sources] if
                               sources == len(RECIPE_SOURCE_RATIOS) else (1, ) * sources)
        lr = cfg.optim_wrapper.optimizer.lr * LR_FACTOR
        seed = [] if (cfg.get('randomness') or {}).get('seed') is not None else ['randomness.seed=0']
        options = [*data_root_options(self.mot_root, sources), f'optim_wrapper.optimizer.lr={lr:g}', *seed,
                   'train_dataloader.sampler.ratios=(' + ','.join(repr(r) for r in ratios) + ')',
                   f'train_cfg.max_epochs={epochs}', 'default_hooks.logger.interval=1', 'log_processor.window_size=1',
                   # one checkpoint on disk (2.4 GB each at ViT-B/16 with the optimizer state), best ones aside
                   'default_hooks.checkpoint.max_keep_ckpts=1',
                   'model.detector.backbone.pretrained=None',
                   *self.size_options(cfg, ('train', 'val', 'test'))]
        return options, dict(iters_per_epoch=batches * frame_steps, batch=batch, sampler_ratios=ratios, lr=lr,
                             config_lr=cfg.optim_wrapper.optimizer.lr)

    def train_and_resume(self, role: str, name: str) -> None:
        """tools/train.py for two epochs, then --resume for a third; the losses, checkpoints and resume point."""
        config = self.mot_config_file(role)
        work_dir = self.work_dir(name)
        options, plan = self.mot_train_options(role, epochs=2)
        amp = ['--amp'] if self.settings.cuda else []
        self.note(self.amp_note())
        self.note(f'from scratch (CLIP weights: pretrained=None) at lr {plan["lr"]:g}, {LR_FACTOR}x the config\'s, so '
                  f'that a few dozen iterations show the loss fall')
        self.note(f'sampler ratios {tuple(round(r, 4) for r in plan["sampler_ratios"])} '
                  f'of the training sources instead of the recipe\'s (1, 1, 1, 0.1), for {plan["iters_per_epoch"]} '
                  'iterations an epoch')
        self.run(['python', 'tools/train.py', config, '--work-dir', work_dir, *amp, '--cfg-options', *options], 'train')
        first = train_records(work_dir)
        self.require(bool(first), f'no training iteration logged in {work_dir}/*/vis_data/scalars.json')
        last_iter = int(first[-1]['iter'])
        self.figure(iterations=last_iter)
        self.require(int(first[-1].get('epoch', 2)) == 2,
                     f'the first run ended in epoch {first[-1].get("epoch")}, not 2')
        checkpoint = osp.join(work_dir, 'epoch_2.pth')
        self.require(osp.isfile(checkpoint), f'no checkpoint {checkpoint} after 2 epochs')
        self.artifacts[f'{name}_first_checkpoint'] = checkpoint
        options = [o for o in options if not o.startswith('train_cfg.max_epochs=')] + ['train_cfg.max_epochs=3']
        _, text = self.run(['python', 'tools/train.py', config, '--work-dir', work_dir, '--resume', *amp,
                            '--cfg-options', *options], 'resume')
        at = resumed_at(text)
        self.require(at is not None, "--resume: no 'resumed epoch: E, iter: I' line in the log")
        self.figure(resumed_at=f'epoch {at[0]}, iter {at[1]}')
        self.require(at == (2, last_iter), f'--resume continued at epoch {at[0]}, iter {at[1]}; the first run ended at '
                     f'epoch 2, iter {last_iter}')
        records = train_records(work_dir)
        resumed = [r for r in records if int(r['iter']) > last_iter]
        self.require(bool(resumed) and int(resumed[0]['iter']) == last_iter + 1,
                     f'the resumed run logged no iteration {last_iter + 1}')
        self.require(int(resumed[-1].get('epoch', 3)) == 3,
                     f'the resumed run ended in epoch {resumed[-1].get("epoch")}, not 3')
        final = osp.join(work_dir, 'epoch_3.pth')
        self.require(osp.isfile(final), f'no checkpoint {final} after the resumed epoch')
        self.artifacts[f'{name}_checkpoint'] = final
        self.figure(iterations=f'{last_iter} + {int(resumed[-1]["iter"]) - last_iter} resumed',
                    checkpoints=', '.join(sorted(osp.basename(p) for p in glob.glob(osp.join(work_dir, '*.pth')))))
        trend = loss_trend(records)
        terms = '+'.join(t.replace('loss_', '') for t in trend['terms'])
        self.figure(loss=f'{trend["first"]:.3f} -> {trend["last"]:.3f} (mean of the first / last {trend["window"]} of '
                         f'{trend["iterations"]} iterations, {terms})')
        self.current.data.update(loss_first=trend['first'], loss_last=trend['last'], loss_window=trend['window'],
                                 loss_terms=trend['terms'], iterations=len(records), resumed_at=list(at))
        times = [float(r['time']) for r in records if 'time' in r]
        if times:
            self.figure(s_per_iter=f'{median(times):.3f} (median)')
        memory = [r['memory'] for r in records if 'memory' in r]
        if memory:
            self.figure(peak_memory_MiB=max(memory))
        self.require(trend['falls'], f'the loss did not fall: {trend["first"]:.4f} -> {trend["last"]:.4f}')

    # -- the steps ----------------------------------------------------------------------------------------------
    def step_data(self) -> None:
        width, height = self.sizes.frame_size
        shutil.rmtree(self.mot_root, ignore_errors=True)
        self.run(['python', 'tools/misc/generate_synthetic_mot.py', '--out', self.mot_root, '--num-train', 2,
                  '--num-val', 1, '--num-frames', self.sizes.num_frames, '--width', width, '--height', height,
                  '--seed', 0], 'generate')
        annotations = osp.join(self.mot_root, 'annotations')
        for split in ('half-train', 'half-val', 'val'):
            self.require(osp.isfile(osp.join(annotations, f'{split}_cocoformat.json')),
                         f'no {split}_cocoformat.json in {annotations}')
        self.figure(sequences=f'2 train + 1 val of {self.sizes.num_frames} frames at {width}x{height}',
                    half_train_frames=self.half_train_frames())

    def step_train(self) -> None:
        self.train_and_resume('paper', 'train')

    def step_train_release(self) -> None:
        self.train_and_resume('release', 'train_release')

    def step_dist_train(self) -> None:
        config = self.mot_config_file('paper')
        work_dir = self.work_dir('dist_train')
        options, plan = self.mot_train_options('paper', epochs=1)
        amp = ['--amp'] if self.settings.cuda else []
        self.note(self.amp_note().split(':')[0])
        _, text = self.run(['bash', 'tools/dist_train.sh', config, 1, '--work-dir', work_dir, *amp, '--cfg-options',
                            *options], 'dist_train', env={'PORT': str(free_port())})
        records = train_records(work_dir)
        self.require(bool(records), f'no training iteration logged in {work_dir}')
        self.require(osp.isfile(osp.join(work_dir, 'epoch_1.pth')), f'no checkpoint epoch_1.pth in {work_dir}')
        backend = re.search(r"'backend': '(\w+)'", text)
        world = re.search(r'GPU number: (\d+)', text)  # mmengine's runtime info: the world size
        self.figure(iterations=int(records[-1]['iter']), launcher='pytorch (torchrun, 1 process)',
                    backend=backend.group(1) if backend else 'not in the log')
        if 'Distributed training: True' not in text:
            raise StepFailed("the log does not say 'Distributed training: True'", log_tail(self.current.logs[-1]))
        if world:
            self.figure(world_size=int(world.group(1)))

    def release_source_state(self) -> Tuple[Dict[str, Any], str]:
        """The svm state dict the release-format checkpoint is made of: the release-recipe training's last
        checkpoint when step train-release made one, else a fresh model of the release test config."""
        from svm.utils.checkpoint import load_checkpoint_file
        trained = self.artifacts.get('train_release_checkpoint') or self.artifacts.get('train_release_first_checkpoint')
        if trained and osp.isfile(trained):
            return load_checkpoint_file(trained, map_location='cpu')['state_dict'], f'trained by step train-release ' \
                f'({osp.basename(trained)}, EMA weights)'
        from svm.models.builder import build_model_from_cfg
        cfg = self.load_config(self.config('release_test'))
        if self.sizes.tiny:
            cfg.merge_from_dict(parse_cfg_options(TINY_TRACKER_OPTIONS))
        model = build_model_from_cfg(cfg, seed=0, init_weights=True)  # no CLIP file read
        return model.state_dict(), 'a fresh model of the release test config (step train-release made no checkpoint)'

    def test_options(self, split: str = 'half-val') -> List[str]:
        cfg = self.load_config(self.config('release_test'))
        root = self.mot_root.rstrip('/') + '/'
        options = [f'test_dataloader.dataset.data_root={root}', 'model.detector.backbone.pretrained=None']
        if split == 'val':
            options += ['test_dataloader.dataset.ann_file=annotations/val_cocoformat.json',
                        'test_dataloader.dataset.data_prefix.img_path=val']
        options += self.size_options(cfg, ('test', ))
        if not self.settings.cuda:
            options.append('test_cfg.fp16=False')  # fp16 testing needs CUDA (docs/mot.md, Notes)
        return options

    def step_test_release(self) -> None:
        from svm.utils.checkpoint import load_checkpoint_file
        work = self.work_dir('test_release')
        state, source = self.release_source_state()
        self.figure(weights=source)
        from svm.models.mot.release_checkpoint import write_release_checkpoint
        release = write_release_checkpoint(state, osp.join(work, 'release_format.pth'),
                                           note='written by svm.utils.install_check in the S-ViT release\'s format')
        converted = osp.join(work, 'converted.pth')
        check = [] if self.sizes.tiny else ['--check-config', self.config('release_test')]
        _, text = self.run(['python', 'tools/model_converters/svm_release_to_svm.py', release, converted, *check],
                           'convert')
        summary = re.search(r'(\d+) tensors: (\d+) kept as they are, (\d+) renamed', text)
        if summary:
            self.figure(converter=f'{summary.group(1)} tensors, {summary.group(3)} renamed')
        same, why = same_state(state, load_checkpoint_file(converted, map_location='cpu')['state_dict'])
        self.require(same, f'release format -> converter does not give back the state dict: {why}')
        self.figure(round_trip='identical')
        self.artifacts['converted_checkpoint'] = converted
        if self.settings.cuda:
            self.note('fp16 test (test_cfg.fp16)')
        else:
            self.note('fp32 test (test_cfg.fp16=False: fp16 testing needs CUDA)')
        options = self.test_options()
        # mmdet's TrackVisualizationHook draws every frame_interval-th test iteration (30 in the config): the dry
        # run's half-val has 14 frames
        show = ['default_hooks.visualization.frame_interval=5'] if self.sizes.tiny else []
        _, text = self.run(['python', 'tools/test.py', self.config('release_test'), '--checkpoint', converted,
                            '--work-dir', osp.join(work, 'test'), '--show-dir', 'show', '--cfg-options', *options,
                            *show],
                           'test')
        metrics = test_metrics(text)
        wanted = ('HOTA', 'MOTA', 'IDF1')
        found = {name: metrics.get(f'motchallenge-metric/{name}') for name in wanted}
        self.require(all(v is not None for v in found.values()),
                     f'tools/test.py printed no {", ".join(n for n, v in found.items() if v is None)}')
        self.figure({'tools/test.py': ', '.join(f'{n} {100 * v:.1f}' for n, v in found.items())})
        images = [p for ext in ('jpg', 'png') for p in glob.glob(osp.join(work, 'test', '*', 'show', '**', f'*.{ext}'),
                                                                  recursive=True)]
        self.figure(show_dir_images=len(images))
        self.require(len(images) > 0, f'--show-dir wrote no image under {work}/test/<timestamp>/show')
        if not self.settings.cuda:
            # DDP refuses SyncBatchNorm layers on the CPU (the same tensors as BN's, so the checkpoint loads alike)
            sync_bn = sync_bn_to_bn_options(self.load_config(self.config('release_test')).model)
            if sync_bn:
                options = options + sync_bn
                self.note('dist_test.sh on the CPU: SyncBN -> BN (DDP refuses SyncBatchNorm on the CPU)')
        _, text = self.run(['bash', 'tools/dist_test.sh', self.config('release_test'), 1, '--checkpoint', converted,
                            '--work-dir', osp.join(work, 'dist_test'), '--cfg-options', *options], 'dist_test',
                           env={'PORT': str(free_port())})
        dist = {name: test_metrics(text).get(f'motchallenge-metric/{name}') for name in wanted}
        self.require(all(v is not None for v in dist.values()),
                     f'tools/dist_test.sh printed no {", ".join(n for n, v in dist.items() if v is None)}')
        self.figure({'tools/dist_test.sh': ', '.join(f'{n} {100 * v:.1f}' for n, v in dist.items()) +
                     (' (the same)' if dist == found else ' (differs from tools/test.py)')})

    def step_fps(self) -> None:
        work = self.work_dir('fps')
        checkpoint = self.artifacts.get('converted_checkpoint')
        weights = ['--checkpoint', checkpoint] if checkpoint and osp.isfile(checkpoint) else []
        if not weights:
            self.note('random weights (no converted checkpoint from step test-release)')
        options = self.test_options('val') + ['default_hooks.logger.interval=1', 'log_processor.window_size=1']
        _, text = self.run(['python', 'tools/test.py', self.config('release_test'), *weights, '--work-dir', work,
                            '--cfg-options', *options], 'test')
        timing = test_timing(text)
        self.require(timing['mean_s'] is not None, "no final 'Epoch(test) [N/N] ... time:' line in the test log")
        frames = self.sizes.num_frames
        size = ('the release test config\'s: 1920x1088 frames resized to 1411x800, padded to 1440x800'
                if self.sizes.image_scale is None else
                f'{self.sizes.image_scale[0]}x{self.sizes.image_scale[1]} (dry run)')
        self.figure(frames=frames, input=size, fps=f'{1 / timing["mean_s"]:.2f} (mmengine\'s mean time per iteration '
                    f'of the test, {timing["mean_s"] * 1000:.1f} ms, all frames, 1 frame per iteration)')
        per_iter = timing['per_iter_s']
        memory = self.load_config(self.config('release_test')).model.detector.backbone.get('memory_len', 0)
        steady = per_iter[memory:] if len(per_iter) > memory + 4 else per_iter[len(per_iter) // 4:]
        if steady:
            self.figure(fps_steady=f'{1 / median(steady):.2f} (median of the per-iteration times of frames '
                        f'{len(per_iter) - len(steady) + 1}-{len(per_iter)}'
                        + (', memory full)' if len(per_iter) > memory + 4 else ')'))
        if self.settings.cuda:
            peak = re.findall(r'Epoch\(test\).*memory: (\d+)', text)
            if peak:
                self.figure(peak_memory_MiB=max(map(int, peak)))

    def step_recognition(self) -> None:
        videos = osp.join(self.data_root, 'toy_videos')
        shutil.rmtree(videos, ignore_errors=True)
        os.makedirs(videos)
        self.run(['python', '-m', 'svm.datasets.synthetic.toy_videos', videos], 'videos')
        config = self.config('recognition')
        work = self.work_dir('recognition')
        data = []
        for loader in ('train', 'val', 'test'):
            split = 'train' if loader == 'train' else 'val'
            data += [f'{loader}_dataloader.dataset.ann_file={osp.join(videos, f"{split}_list_videos.txt")}',
                     f'{loader}_dataloader.dataset.data_prefix.video={videos}']
        common = [*data, 'model.backbone.pretrained=None']
        if not self.settings.cuda:
            common += [f'{loader}_dataloader.{k}' for loader in ('train', 'val', 'test')
                       for k in ('num_workers=0', 'persistent_workers=False')]
        train = ['train_cfg.max_epochs=2', 'default_hooks.logger.interval=1', 'log_processor.window_size=1']
        if self.settings.cuda:
            train.append('train_dataloader.batch_size=2')
        amp = ['--amp'] if self.settings.cuda else []
        self.note(f'{Path(config).name} on 8 + 4 toy videos, from scratch; ' +
                  ('AMP (--amp)' if self.settings.cuda else 'fp32 (CPU)'))
        self.run(['python', 'tools/train.py', config, '--work-dir', work, *amp, '--cfg-options', *common, *train],
                 'train')
        records = train_records(work)
        self.require(bool(records), f'no training iteration logged in {work}')
        checkpoint = osp.join(work, 'epoch_2.pth')
        self.require(osp.isfile(checkpoint), f'no checkpoint {checkpoint}')
        self.figure(iterations=int(records[-1]['iter']),
                    loss=f'{float(records[0]["loss"]):.3f} -> {float(records[-1]["loss"]):.3f} (first, last iteration)')
        _, text = self.run(['python', 'tools/test.py', config, '--checkpoint', checkpoint, '--work-dir',
                            osp.join(work, 'test'), '--cfg-options', *common], 'test')
        metrics = test_metrics(text)
        self.require('acc/top1' in metrics, 'tools/test.py printed no acc/top1')
        self.figure(test=f'top-1 {100 * metrics["acc/top1"]:.1f}%' +
                    (f', top-5 {100 * metrics["acc/top5"]:.1f}%' if 'acc/top5' in metrics else ''))

    def step_cuda_tests(self) -> None:
        tests = REPO_ROOT / 'tests'
        if not tests.is_dir():
            raise StepSkipped(f'no test suite at {tests}')
        marked = re.compile(r'skipif\(\s*not torch\.cuda\.is_available\(\)')
        files = sorted(str(p.relative_to(REPO_ROOT)) for p in tests.rglob('test_*.py')
                       if marked.search(p.read_text(encoding='utf-8', errors='replace')))
        if not files:
            raise StepSkipped('no CUDA-marked test found (skipif(not torch.cuda.is_available()))')
        self.figure(files=len(files))
        returncode, text = self.run(['python', '-m', 'pytest', *files, '-k', 'cuda', '-rs', '-q', '-p',
                                     'no:cacheprovider'], 'pytest', check=False)
        summary = pytest_summary(text)
        no_cuda = sum(n for reason, n in summary['skip_reasons'].items() if needs_cuda_reason(reason))
        counts = ', '.join(f'{summary[k]} {k}' for k in ('passed', 'failed', 'errors', 'skipped') if summary[k])
        self.figure(tests=counts or 'none ran')
        if returncode not in (0, ) or summary['failed'] or summary['errors']:
            raise StepFailed(f'pytest exit status {returncode}: {counts}', log_tail(self.current.logs[-1]))
        if no_cuda:
            reasons = '; '.join(f'{n}: {reason}' for reason, n in summary['skip_reasons'].items())
            raise StepSkipped(f'skipped (no CUDA): {reasons}')

    # -- after the steps -------------------------------------------------------------------------------------
    def cuda_ops_path(self, env: Mapping[str, str]) -> str:
        line = torchvision_ops_line(self.log_texts)
        if line:
            return f'torchvision (the logs say: {line})'
        if 'CUDA ops' in env.get('mmcv_ops', ''):
            return "mmcv's own CUDA ops (its ops were compiled with CUDA; no log line names torchvision)"
        if not self.settings.cuda:
            return 'n/a: the steps ran on the CPU (mmcv\'s CPU ops)'
        return 'not said in the logs (no line names torchvision and mmcv has CPU ops only)'

    def clean_up(self, results: Sequence[StepResult]) -> Optional[str]:
        """Remove the generated data and the work dirs when every step passed and ``keep`` is off; returns what
        was kept and why, or None."""
        if self.settings.keep:
            return f'kept (--keep): {self.data_root}, {self.work_root}'
        if any(r.status == FAIL for r in results):
            return f'kept for inspection (a step failed): {self.data_root}, {self.work_root}'
        for path in (self.data_root, self.work_root, osp.join(self.out_dir, 'configs')):
            shutil.rmtree(path, ignore_errors=True)
        return None


def run_check(settings: CheckSettings, steps: Optional[Sequence[str]] = None,
              log: Callable[[str], None] = print) -> Tuple[List[StepResult], Dict[str, str], Tuple[str, str]]:
    """The whole check: the environment, the steps, the table printed and written (JSON and Markdown) into
    ``settings.out_dir``. Returns (results, environment, (json path, markdown path))."""
    start = time.monotonic()
    check = InstallCheck(settings, log)
    env = environment()
    mode = ('dry run: every step on the CPU with a tiny S-ViT at tiny sizes, fp32' if settings.dry_run else
            f'device {settings.device}' + (', paper sizes' if settings.cuda else ', paper sizes on the CPU'))
    env['run'] = f'{mode}; {check.sizes.iters} training iterations (2 epochs) + 1 resumed epoch per training run'
    log('\n'.join(environment_lines(env)))
    results = check.run_steps(steps)
    env['cuda_ops_path'] = check.cuda_ops_path(env)
    kept = check.clean_up(results)
    wall = time.monotonic() - start
    title = (f'svm install check, {time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, '
             f'{"dry run" if settings.dry_run else settings.device}, {wall:.0f} s')
    paths = write_report(settings.out_dir, env, results, title, asdict(settings), wall)
    log('\n' + format_report(env, results, title) + (f'\n{kept}' if kept else '') +
        f'\nwritten: {paths[0]}, {paths[1]}')
    return results, env, paths
