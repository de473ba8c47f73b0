"""Benchmark online action recognition: the cost of each frame along a video, streaming vs re-encoding.

    python tools/analysis_tools/benchmark_online_recognition.py \
        configs/recognition/svm/svm_stream-b16_clip-pre_16x4x1_kinetics400-rgb.py --frames 96 --device cuda

Two ways to have a current prediction after every frame of a video, on the same recogniser:
  - streaming (:class:`svm.apis.OnlineRecognizer`): the encoder takes one streaming step against its
    bounded memory and the decoder reads the tokens of the last ``window`` frames;
  - re-encoding: the recogniser runs offline (parallel mode) on the last ``window`` frames at every frame,
    which is what a clip model must do.
The table gives the per-frame time of each, over the frames that fill the window and over the steady
part after it (mean, p95 and the slope of a line fitted to the times: flat means no growth along the
video), and what the stream holds at the end.
"""
import argparse
import copy
import time
from typing import Dict, List

import numpy as np
import mmengine
import torch
from mmengine.config import DictAction
from mmengine.utils import ProgressBar


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a recognition config (configs/recognition/svm/)')
    parser.add_argument('--checkpoint', help='weights (random ones time the same)')
    parser.add_argument('--frames', type=int, default=64, help='video length')
    parser.add_argument('--size', type=int, nargs=2, default=[256, 340], metavar=('H', 'W'),
                        help='size of the raw frames before the test resize and crop')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None, help='CPU threads of torch')
    parser.add_argument('--json', help='also write the results to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.backbone.memory_len=32')
    return parser.parse_args()


def synchronize(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def summary(times: List[float]) -> Dict[str, float]:
    """Mean and p95 in ms, and the slope of a fitted line in ms per frame."""
    ms = np.asarray(times) * 1e3
    slope = float(np.polyfit(np.arange(len(ms)), ms, 1)[0]) if len(ms) > 1 else 0.
    return dict(mean_ms=float(ms.mean()), p95_ms=float(np.percentile(ms, 95)), slope_ms_per_frame=slope)


@torch.no_grad()
def run(online, frames: np.ndarray, device: str) -> Dict[str, List[float]]:
    from mmaction.structures import ActionDataSample
    # A copy re-encodes: running the stream's own model in parallel mode would reset its memory.
    model, window = copy.deepcopy(online.model), online.window
    times = dict(streaming=[], re_encoding=[])
    inputs = []
    online.reset()
    bar = ProgressBar(len(frames))
    for frame in frames:
        synchronize(device)
        start = time.perf_counter()
        online.step(frame)
        synchronize(device)
        times['streaming'].append(time.perf_counter() - start)

        # the same frame processing, then the window through the offline recogniser
        inputs.append(torch.from_numpy(online.frame_transform(
            dict(imgs=[frame], img_shape=frame.shape[:2]))['imgs'][0]).permute(2, 0, 1))
        inputs = inputs[-window:]
        clip = torch.stack(inputs, dim=1)[None]  # (1 view, C, t, H, W)
        synchronize(device)
        start = time.perf_counter()
        model.test_step(dict(inputs=[clip], data_samples=[ActionDataSample()]))
        synchronize(device)
        times['re_encoding'].append(time.perf_counter() - start)
        bar.update()
    return times


def main() -> Dict:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import svm  # noqa: F401  (registers the recogniser)
    from svm.apis import OnlineRecognizer
    from svm.utils.config_checks import resolve_config
    cfg = resolve_config(args.config, args.cfg_options)
    online = OnlineRecognizer.from_config(cfg, args.checkpoint, device=args.device)
    window = online.window
    if args.frames <= window:
        raise ValueError(f'--frames must exceed the window of {window} frames to time the steady part')
    rng = np.random.default_rng(0)
    warmup = rng.integers(0, 256, (3, *args.size, 3), dtype=np.uint8)
    run(online, warmup, args.device)
    times = run(online, rng.integers(0, 256, (args.frames, *args.size, 3), dtype=np.uint8), args.device)

    memories = [len(blk.attn.memory) for blk in online.model.backbone.blocks if blk.attn.memory is not None]
    result = dict(config=args.config, device=args.device, frames=args.frames, window=window,
                  encoder_memory_frames=max(memories, default=0), window_frames_held=len(online._frame_tokens))
    for name, ts in times.items():
        result[name] = dict(filling=summary(ts[:window]), steady=summary(ts[window:]))
    print(f'\n{args.config} on {args.device}: {args.frames} frames; held at the end: '
          f'{result["window_frames_held"]} frames of tokens in the decoder window (of {window}), '
          f'{result["encoder_memory_frames"]} frames of keys/values in each encoder block\'s memory')
    print('| per frame | filling: mean ms | steady: mean ms | steady: p95 ms | steady: slope ms/frame |')
    print('|---|---|---|---|---|')
    for name in times:
        fill, steady = result[name]['filling'], result[name]['steady']
        print(f'| {name} | {fill["mean_ms"]:.1f} | {steady["mean_ms"]:.1f} | {steady["p95_ms"]:.1f} | '
              f'{steady["slope_ms_per_frame"]:+.3f} |')
    ratio = result['re_encoding']['steady']['mean_ms'] / result['streaming']['steady']['mean_ms']
    print(f'steady re-encoding / streaming: {ratio:.1f}x')
    if args.json:
        mmengine.dump(result, args.json, indent=2)
    return result


if __name__ == '__main__':
    main()
