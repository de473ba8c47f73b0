"""Benchmark svm's models: one command, a task each (the measurements are svm/benchmark/).

    python tools/analysis_tools/benchmark.py backbone --arch b16 --img-size 224 --frames 128 --device cuda
    python tools/analysis_tools/benchmark.py tracker CONFIG [--checkpoint C] --shape H W --frames N
    python tools/analysis_tools/benchmark.py tracker-training CONFIG --shape H W --clips 2 --clip-frames 2
    python tools/analysis_tools/benchmark.py online-recognition CONFIG --frames 96
    python tools/analysis_tools/benchmark.py track-recognition CONFIG CHECKPOINT --frame-list L --data-root D
    python tools/analysis_tools/benchmark.py gpu-report --device cuda --out-dir work_dirs/gpu_report
    python tools/analysis_tools/benchmark.py streams [--case 224x224:0:32 800x1440:14:32] [--streams 1 2 4 8]

Each task prints its tables; ``--out FILE.json`` writes its figures (gpu-report: ``--out-dir``). ``TASK --help``
says what a task measures and its options. ``backbone``, ``streams`` and ``gpu-report --skip-tracker`` need only
torch.
"""
import argparse
import json
import os
import os.path as osp
from typing import Callable, Dict

import torch

from svm.benchmark.backbone import MODES
from svm.benchmark.gpu_report import LAYOUTS
from svm.benchmark.timing import DTYPES
from svm.utils.user_errors import run_main

DEFAULT_DEVICE = 'cuda' if torch.cuda.is_available() else 'cpu'
# the GPU report's trackers: the release's test config, the paper's training recipe (parallel 2-frame clips,
# gradient checkpointing, AmpOptimWrapper), and the tiny tracker of its --tiny dry run
PAPER_TRACKER = ('configs/mot/svm/bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-'
                 'motsynth_test-mot17halfval.py')
PAPER_TRAINING = 'configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py'
TINY_TRACKER = 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py'


class CfgOptions(argparse.Action):
    """mmengine's DictAction, imported only when --cfg-options is given (the torch-only tasks run without it)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from mmengine.config import DictAction
        DictAction(self.option_strings, self.dest)(parser, namespace, values, option_string)


def size(text: str) -> tuple:
    """'HxW' (or one number for a square) -> (H, W)."""
    try:
        parts = [int(v) for v in text.lower().split('x')]
    except ValueError:
        raise argparse.ArgumentTypeError(f'a size is HxW or N, got {text!r}')
    if len(parts) not in (1, 2) or min(parts) <= 0:
        raise argparse.ArgumentTypeError(f'a size is HxW or N (positive), got {text!r}')
    return (parts[0], parts[-1])


def write_json(result, path: str) -> None:
    """``result`` as JSON at ``path`` (its folder made), numpy and torch scalars as numbers."""
    if osp.dirname(path):
        os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(result, f, indent=2, default=lambda value: value.item() if hasattr(value, 'item') else str(value))
    print(f'wrote {path}')


def resolve(args) -> object:
    """The task's config with --cfg-options merged, checked as every svm tool checks them."""
    from svm.utils.config_checks import resolve_config
    return resolve_config(args.config, args.cfg_options)


# --- backbone ---------------------------------------------------------------------------------------------------
BACKBONE_HELP = """S-ViT encoders alone: per-frame latency along a video, parallel vs frame-by-frame training, memory.

Online latency: every encoder produces the features of frame t when frame t arrives. 'space' encodes the
frame alone; 'stream' encodes the frame in streaming mode, attending to its memory of the last L frames;
'clip' cannot stream: it re-encodes the window of the last --clip-len frames at every frame. The latency is
summarised over the frames once the memory (for 'clip' its window) is full: mean, median, p95, max and the
slope of a line fitted to the per-frame times (flat: no growth along the video); x space compares steady
medians. The encoders take turns frame by frame, so that a load from other processes hits them alike.

Training: one --train-frames clip through 'stream', forward and backward (fp32), in parallel mode (causal
mask) against frame by frame (streaming mode, one backward for the clip), with the largest gradient
difference between the two. Memory: the k/v memory buffers of 'stream', and the peak memory of each encoder
(CUDA: the most torch allocated during one of its frames; CPU: the process's peak resident size so far)."""


def add_backbone(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--arch', default='b16', help="'b16', 'l14' or 'tiny' (width 64, 2 blocks)")
    parser.add_argument('--img-size', type=int, default=224, help='frame height and width')
    parser.add_argument('--frames', type=int, default=128, help='video length N for the latency runs')
    parser.add_argument('--memory-len', type=int, default=32, help='memory length L of stream')
    parser.add_argument('--memory-policy', default='merge', choices=['fifo', 'merge'])
    parser.add_argument('--clip-len', type=int, default=None,
                        help="frames 'clip' re-encodes at every frame (default: memory length)")
    parser.add_argument('--window-size', type=int, default=0, help='attention window (0: global)')
    parser.add_argument('--modes', nargs='+', default=list(MODES), choices=MODES,
                        help='encoders of the latency runs')
    parser.add_argument('--train-frames', type=int, default=8, help='clip length of the training run (0: skip)')
    parser.add_argument('--train-iters', type=int, default=3, help='timed training steps (after 1 warm-up)')
    parser.add_argument('--warmup', type=int, default=3, help='untimed frames before each latency run')
    parser.add_argument('--dtype', default='fp32', choices=list(DTYPES),
                        help='autocast dtype of the latency runs (bf16 on CPU, fp16/bf16 on GPU)')


def run_backbone(args) -> Dict:
    from svm.benchmark.backbone import EncoderSpec, format_tables, latency_runs, training_run
    spec = EncoderSpec(args.arch, args.memory_len, args.memory_policy, args.window_size)
    size = (args.img_size, args.img_size)
    torch.manual_seed(0)
    video = torch.randn(1, max(args.frames, args.warmup), 3, *size, device=args.device)
    latency, training = [], None
    if args.modes:
        print(f'latency along {args.frames} frames: {", ".join(args.modes)}')
        latency = latency_runs(spec, args.modes, video[:, :args.frames], args.clip_len, args.warmup, args.device,
                               args.dtype, progress=True)
    if args.train_frames:
        print('training: parallel vs frame by frame')
        training = training_run(spec, args.train_frames, args.train_iters, size, args.device)
    print(format_tables(spec, size, args.frames, args.device, args.dtype, latency, training))
    return dict(args={k: v for k, v in vars(args).items() if k != 'run'}, latency=latency, training=training)


# --- tracker ----------------------------------------------------------------------------------------------------
TRACKER_HELP = """A whole MOT tracker (detector + tracker), streaming frame by frame at a given image size.

Prints frames/s, per-frame latency (median, p95) and peak memory of the whole tracker (data preprocessor,
S-ViT streaming step, pyramid, PAFPN, YOLOX head, NMS, ByteTrack association: what tools/test.py runs per
frame, without decoding and resizing the frame), the share of each frame spent in the backbone and in the
association, and the backbone alone on the same frames beside it; writes it all as JSON (default:
work_dirs/benchmark/tracker/<config>_<H>x<W>.json). Without --checkpoint the model has random weights (the
backbone's CLIP file is not read). The W warm-up frames belong to the same video: the memory holds
min(W + t + 1, memory_len) frames at timed frame t = 0, 1, ..., so W >= memory_len - 1 times a full memory.
On a CPU shared with other jobs, --threads 1 times more steadily."""


def add_tracker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='MOT config (configs/mot/svm/...)')
    parser.add_argument('--checkpoint', help='tracker checkpoint (default: random weights)')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help="frame height and width (default: the config's test Resize scale)")
    parser.add_argument('--frames', type=int, default=20, help='timed frames')
    parser.add_argument('--warmup', type=int, default=3, help='untimed frames at the start of the same video')
    parser.add_argument('--dtype', choices=list(DTYPES),
                        help='autocast dtype (default: fp16 on a GPU when the config tests with test_cfg.fp16, '
                        'as tools/test.py runs it; else fp32); bf16 on a CPU')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptions,
                        help='override settings in the config, e.g. model.detector.backbone.memory_len=8')


def run_tracker(args) -> Dict:
    from svm.benchmark.tracker import benchmark_tracker_config, default_output_path, format_report
    result = benchmark_tracker_config(resolve(args), args.config, args.checkpoint, args.shape, args.frames,
                                      args.warmup, args.device, args.dtype)
    print(format_report(result))
    args.out = args.out or default_output_path(args.config, result['height'], result['width'])
    return result


# --- tracker-training -------------------------------------------------------------------------------------------
TRACKER_TRAINING_HELP = """One training iteration of a whole MOT tracker: time and peak memory of model.train_step.

N clips of T noise frames with moving boxes at a fixed size (the config's batch augments removed), the
config's optimizer wrapper (fp16 / bf16: AmpOptimWrapper; fp32: OptimWrapper) and backbone settings (gradient
checkpointing included): the data preprocessor, the forward of every frame with the losses, the backward and
the optimizer step. Not counted: data loading, hooks (EMA, logging), the all-reduce of several processes.
Random weights."""


def add_tracker_training(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='MOT config (configs/mot/svm/...)')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help="frame height and width (default: the config's test Resize scale)")
    parser.add_argument('--clips', type=int, default=2, help='clips per iteration (N)')
    parser.add_argument('--clip-frames', type=int, default=2, help='frames per clip (T)')
    parser.add_argument('--iters', type=int, default=3, help='timed iterations')
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--dtype', choices=list(DTYPES),
                        help='optimizer wrapper dtype (default: fp16 on a GPU, else fp32)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptions,
                        help='override settings in the config, e.g. model.detector.backbone.with_cp=False')


def run_tracker_training(args) -> Dict:
    from svm.analysis.get_flops import config_image_size
    from svm.benchmark.tracker_training import benchmark_tracker_training, format_table
    cfg = resolve(args)
    height, width = args.shape or config_image_size(cfg, padded=False)
    dtype = args.dtype or ('fp16' if args.device.startswith('cuda') else 'fp32')
    result = benchmark_tracker_training(cfg, height, width, args.clips, args.clip_frames, args.iters, args.warmup,
                                        args.device, dtype)
    result['config'] = args.config
    print(format_table(result, f'{osp.basename(args.config)} (random weights), training iteration'))
    return result


# --- online-recognition -----------------------------------------------------------------------------------------
ONLINE_RECOGNITION_HELP = """Online action recognition: the cost of each frame along a video, streaming vs re-encoding.

Two ways to have a current prediction after every frame of a video, on the same recogniser: streaming
(svm.apis.OnlineRecognizer: the encoder takes one streaming step against its bounded memory and the decoder
reads the tokens of the last `window` frames) and re-encoding (the recogniser runs offline, in parallel
mode, on the last `window` frames at every frame, which is what a clip model must do). The table gives the
per-frame time of each over the frames that fill the window and over the steady part after it (mean, p95
and the slope of a line fitted to the times: flat means no growth along the video), and what the stream
holds at the end."""


def add_online_recognition(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='a recognition config (configs/recognition/svm/)')
    parser.add_argument('--checkpoint', help='weights (random ones time the same)')
    parser.add_argument('--frames', type=int, default=64, help='video length')
    parser.add_argument('--size', type=int, nargs=2, default=[256, 340], metavar=('H', 'W'),
                        help='size of the raw frames before the test resize and crop')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptions,
                        help='override config settings, e.g. model.backbone.memory_len=32')


def run_online_recognition(args) -> Dict:
    from svm.apis import OnlineRecognizer
    from svm.benchmark.online_recognition import benchmark_online_recognition, format_table
    online = OnlineRecognizer.from_config(resolve(args), args.checkpoint, device=args.device)
    result = dict(config=args.config, **benchmark_online_recognition(online, args.frames, args.size, args.device))
    print(format_table(result, args.config))
    return result


# --- track-recognition ------------------------------------------------------------------------------------------
TRACK_RECOGNITION_HELP = """A track recognizer on labelled videos: online action accuracy and per-frame cost.

Every video of the mmaction2 raw-frame list (`frame_dir total_frames label`) is streamed through the track
recognizer (svm.apis.inference_track_recognizer): top-1 after each video's last frame, and over every frame
whose window of `action_window` frames is full. The first video is then run frame by frame through the track
recognizer and the two models it replaces, the tracker and the recogniser run separately
(svm.apis.separate_models), timed per frame."""


def add_track_recognition(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('config', help='track recognition config (configs/track_recognition/svm/...)')
    parser.add_argument('checkpoint', help='track recognizer checkpoint')
    parser.add_argument('--frame-list', required=True, help='mmaction2 raw-frame list of labelled videos')
    parser.add_argument('--data-root', required=True, help='folder the frame list is relative to')
    parser.add_argument('--timing-frames', type=int, default=60, help='frames of the first video to time')


def run_track_recognition(args) -> Dict:
    from svm.apis import init_tracker, open_video_source
    from svm.benchmark.track_recognition import (cost_table, online_action_accuracy, read_frame_list,
                                                 track_recognizer_vs_separate)
    from svm.utils.progress import progress_bar
    videos = read_frame_list(args.frame_list, args.data_root)
    model = init_tracker(args.config, args.checkpoint, device=args.device)
    bar = progress_bar(len(videos))
    accuracy = online_action_accuracy(model, videos, progress=lambda done: bar.update())
    print(f'\nonline action top-1 on {accuracy["videos"]} videos ({accuracy["frames"]} frames): '
          f'{100 * accuracy["top1_last_frame"]:.1f}% after the last frame, '
          f'{100 * accuracy["top1_full_window"]:.1f}% over the frames with a full window of {model.action_window}')
    frames = [frame for _, frame in zip(range(args.timing_frames), open_video_source(videos[0][0]))]
    costs = track_recognizer_vs_separate(model, frames)
    print(f'\nper-frame cost on {videos[0][0]} ({costs["frames"] - costs["warmup"]} frames after '
          f'{costs["warmup"]} warm-up frames, {args.device}):\n{cost_table(costs)}\n'
          f'one pass instead of two saves {100 * costs["saving"]:.0f}% per frame; same tracks: {costs["same_tracks"]}, '
          f'largest action-score difference: {costs["max_score_difference"]:.1e}')
    return dict(accuracy=accuracy, costs={k: v for k, v in costs.items() if k != 'ms'})


# --- gpu-report -------------------------------------------------------------------------------------------------
GPU_REPORT_HELP = """The CUDA path in one run: S-ViT alone and the whole tracker, fp16 and bf16, one table.

Backbone (needs only a CUDA PyTorch): per layout (window 14, global), size (224x224, 800x1440) and dtype, the
per-frame streaming latency of space / stream / clip along --frames frames (median, p95, slope once the
memory is full, x space), parallel vs frame-by-frame training of a --train-frames clip (time, peak memory,
largest gradient difference) and the key/value memory's size. Tracker (needs the OpenMMLab stack; skip it
with --skip-tracker): streaming inference of --tracker-config at the largest size over --tracker-frames
frames, and one training iteration of --train-tracker-config (--train-clips x --train-clip-frames frames,
its optimizer wrapper and gradient checkpointing); --skip-backbone measures the tracker only. Each
measurement that fails (e.g. out of memory) is a row with its error; the others still run. Writes
<out-dir>/gpu_report.json and .md after each part. --tiny: a dry run (tiny model, 32x48 frames, a few
frames) that checks the command on a CPU. See docs/gpu.md."""


def add_gpu_report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--arch', default='b16', help="'b16', 'l14' or 'tiny' (width 64, 2 blocks)")
    parser.add_argument('--sizes', type=size, nargs='+', default=[(224, 224), (800, 1440)], help='HxW ...')
    parser.add_argument('--frames', type=int, default=128, help='video length of the latency runs')
    parser.add_argument('--dtypes', nargs='+', default=['fp16', 'bf16'], choices=list(DTYPES))
    parser.add_argument('--layouts', nargs='+', default=list(LAYOUTS), choices=list(LAYOUTS))
    parser.add_argument('--modes', nargs='+', default=list(MODES), choices=MODES)
    parser.add_argument('--memory-len', type=int, default=32)
    parser.add_argument('--memory-policy', default='merge', choices=['fifo', 'merge'])
    parser.add_argument('--clip-len', type=int, help="frames 'clip' re-encodes per frame (default: memory length)")
    parser.add_argument('--clip-frames', type=int,
                        help="time 'clip' on the first N frames only (default: all; steady once clip-len are in)")
    parser.add_argument('--train-frames', type=int, default=8, help='training clip length (0: no training run)')
    parser.add_argument('--train-iters', type=int, default=3, help='timed training steps after one warm-up')
    parser.add_argument('--warmup', type=int, default=3, help='untimed frames before each latency run')
    parser.add_argument('--tracker-config',
                        help=f'MOT config of the tracker part (default: {PAPER_TRACKER}; --tiny: {TINY_TRACKER})')
    parser.add_argument('--tracker-frames', type=int, default=300)
    parser.add_argument('--tracker-warmup', type=int, default=31,
                        help='untimed frames of the same video (memory_len - 1: a full memory from the first '
                        'timed frame)')
    parser.add_argument('--train-tracker-config',
                        help=f'MOT config of the training iteration (default: {PAPER_TRAINING}; --tiny: '
                        f'{TINY_TRACKER})')
    parser.add_argument('--train-clips', type=int, default=2, help='clips per training iteration')
    parser.add_argument('--train-clip-frames', type=int, default=2, help='frames per training clip')
    parser.add_argument('--tracker-train-iters', type=int, default=3,
                        help='timed training iterations (after 2 untimed; 0: no training measurement)')
    parser.add_argument('--skip-tracker', action='store_true', help='the backbone only (no OpenMMLab stack)')
    parser.add_argument('--skip-backbone', action='store_true', help='the tracker only (no backbone rows)')
    parser.add_argument('--tiny', action='store_true',
                        help='dry run: tiny arch, 32x48 frames, 6 frames, memory 4, a 2-frame training clip')
    parser.add_argument('--out-dir', default='work_dirs/gpu_report')


def check_gpu_report(parser: argparse.ArgumentParser, args) -> None:
    """--tiny's sizes, the default configs, and the combinations the report refuses."""
    if args.tiny:
        args.arch, args.sizes, args.frames, args.memory_len, args.train_frames = 'tiny', [(32, 48)], 6, 4, 2
        args.train_iters, args.warmup, args.tracker_frames, args.tracker_warmup = 1, 1, 3, 1
        args.tracker_train_iters = min(args.tracker_train_iters, 1)
    args.tracker_config = args.tracker_config or (TINY_TRACKER if args.tiny else PAPER_TRACKER)
    args.train_tracker_config = args.train_tracker_config or (TINY_TRACKER if args.tiny else PAPER_TRAINING)
    if args.skip_tracker and args.skip_backbone:
        parser.error('--skip-tracker and --skip-backbone leave nothing to measure')
    for name in ('frames', 'memory_len', 'train_clips', 'train_clip_frames'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1')


def run_gpu_report(args) -> list:
    from svm.benchmark.gpu_report import BackboneReportSpec, TrackerTrainingSpec, run_report
    spec = BackboneReportSpec(arch=args.arch, memory_len=args.memory_len, memory_policy=args.memory_policy,
                              sizes=args.sizes, dtypes=args.dtypes,
                              layouts={name: LAYOUTS[name] for name in args.layouts}, modes=args.modes,
                              frames=args.frames, warmup=args.warmup, clip_len=args.clip_len,
                              clip_frames=args.clip_frames, train_frames=args.train_frames,
                              train_iters=args.train_iters)
    tracker_sizes = [(64, 96)] if args.tiny else None
    training = None if args.skip_tracker or not args.tracker_train_iters else TrackerTrainingSpec(
        args.train_tracker_config, args.train_clips, args.train_clip_frames, args.tracker_train_iters,
        warmup=1 if args.tiny else 2)
    rows, json_path, md_path = run_report(spec, args.device, args.out_dir,
                                          None if args.skip_tracker else args.tracker_config, args.tracker_frames,
                                          args.tracker_warmup, tracker_sizes, training,
                                          backbone=not args.skip_backbone)
    with open(md_path) as f:
        print(f.read())
    failed = [row for row in rows if row.get('error')]
    print(f'wrote {json_path} and {md_path}; {len(rows)} rows, {len(failed)} failed')
    return rows


# --- streams ----------------------------------------------------------------------------------------------------
STREAMS_HELP = """What S-ViT's streaming state costs, with a full memory.

Per frame: 'stream' against 'space' on the same frames, and 'stream' with the memory as svm kept it before (a
second, contiguous copy of the keys and values) against the one copy it keeps now, with the key/value MiB of
each; every --case SIZE WINDOW MEMORY (window 0: global attention with a class token). Then the aggregate
frames/s of N streams (--streams) batched, one backbone call of N frames per step, against the same streams one
after another, at --streams-case. The encoders take turns frame by frame. Torch only; random weights."""


def case(text: str) -> tuple:
    """'HxW:WINDOW:MEMORY' -> ((H, W), window, memory)."""
    try:
        hw, window, memory = text.split(':')
        return size(hw), int(window), int(memory)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f'a case is HxW:WINDOW:MEMORY (e.g. 224x224:0:32), got {text!r}')


def add_streams(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--arch', default='b16', help="'b16', 'l14' or 'tiny'")
    parser.add_argument('--case', dest='cases', type=case, nargs='+',
                        default=[case('224x224:0:8'), case('224x224:0:32'), case('800x1440:14:8'),
                                 case('800x1440:14:32')],
                        help='per-frame cases HxW:WINDOW:MEMORY')
    parser.add_argument('--frames', type=int, default=8, help='timed frames per case, after MEMORY untimed ones')
    parser.add_argument('--streams', type=int, nargs='*', default=[1, 2, 4, 8], help='numbers of streams N')
    parser.add_argument('--streams-case', type=case, default=case('224x224:0:8'), help='HxW:WINDOW:MEMORY')
    parser.add_argument('--steps', type=int, default=8, help='timed steps of the batched streams')
    parser.add_argument('--dtype', default='fp32', choices=list(DTYPES))


def run_streams(args) -> Dict:
    from svm.benchmark.streams import format_tables, run
    result = run(args.arch, args.cases, args.frames, args.streams, args.streams_case, args.steps, args.device,
                 args.dtype)
    print(format_tables(result))
    return result


# task: (description, add its arguments, run it); the task's module in svm/benchmark/ has its name
TASKS: Dict[str, tuple] = {
    'backbone': (BACKBONE_HELP, add_backbone, run_backbone),
    'tracker': (TRACKER_HELP, add_tracker, run_tracker),
    'tracker-training': (TRACKER_TRAINING_HELP, add_tracker_training, run_tracker_training),
    'online-recognition': (ONLINE_RECOGNITION_HELP, add_online_recognition, run_online_recognition),
    'track-recognition': (TRACK_RECOGNITION_HELP, add_track_recognition, run_track_recognition),
    'gpu-report': (GPU_REPORT_HELP, add_gpu_report, run_gpu_report),
    'streams': (STREAMS_HELP, add_streams, run_streams),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=__doc__.split('\n', 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    tasks = parser.add_subparsers(dest='task', required=True, metavar='TASK', help=', '.join(TASKS))
    for name, (description, add_arguments, run) in TASKS.items():
        sub = tasks.add_parser(name, help=description.split('\n')[0], description=description,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        add_arguments(sub)
        sub.add_argument('--device', default=DEFAULT_DEVICE)
        sub.add_argument('--threads', type=int, default=None,
                         help='CPU threads of torch (fewer threads time more steadily on a busy machine)')
        if name != 'gpu-report':
            sub.add_argument('--out', help='also write the figures to this JSON file')
        sub.set_defaults(run=run)
    args = parser.parse_args(argv)
    if args.task == 'gpu-report':
        check_gpu_report(tasks.choices['gpu-report'], args)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    run: Callable = args.run
    result = run(args)
    if getattr(args, 'out', None):
        write_json(result, args.out)
    return result


if __name__ == '__main__':
    run_main(main)
