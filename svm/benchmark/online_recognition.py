"""Online action recognition timed frame by frame: streaming against re-encoding the window
(``tools/analysis_tools/benchmark.py online-recognition``).

Two ways to have a current prediction after every frame of a video, on the same recogniser:
  - streaming (:class:`svm.apis.OnlineRecognizer`): the encoder takes one streaming step against its
    bounded memory and the decoder reads the tokens of the last ``window`` frames;
  - re-encoding: the recogniser runs offline (parallel mode) on the last ``window`` frames at every frame,
    which is what a clip model must do.
"""
import copy
from typing import Dict, List

import numpy as np
import torch

from svm.utils.table import markdown_table
from .timing import latency_summary, memory_frames, timed

WAYS = ('streaming', 're_encoding')


@torch.no_grad()
def time_streaming_and_re_encoding(online, frames: np.ndarray, device: str = 'cpu',
                                   progress: bool = True) -> Dict[str, List[float]]:
    """Seconds per frame of a video of RGB frames (N, H, W, 3) uint8: ``streaming`` (``online.step``, from a
    reset stream) and ``re_encoding`` (the offline recogniser's test step on the window of the last
    ``online.window`` frames, processed as the stream processes them)."""
    from mmaction.structures import ActionDataSample
    from svm.utils.progress import progress_bar
    # A copy re-encodes: running the stream's own model in parallel mode would reset its memory.
    model, window = copy.deepcopy(online.model), online.window
    times = {way: [] for way in WAYS}
    inputs = []
    online.reset()
    bar = progress_bar(len(frames)) if progress else None
    for frame in frames:
        times['streaming'].append(timed(lambda: online.step(frame), device))

        # the same frame processing, then the window through the offline recogniser
        inputs.append(torch.from_numpy(online.frame_transform(
            dict(imgs=[frame], img_shape=frame.shape[:2]))['imgs'][0]).permute(2, 0, 1))
        inputs = inputs[-window:]
        clip = torch.stack(inputs, dim=1)[None]  # (1 view, C, t, H, W)
        batch = dict(inputs=[clip], data_samples=[ActionDataSample()])
        times['re_encoding'].append(timed(lambda: model.test_step(batch), device))
        if bar is not None:
            bar.update()
    return times


def benchmark_online_recognition(online, num_frames: int, frame_size=(256, 340), device: str = 'cpu') -> Dict:
    """Time :func:`time_streaming_and_re_encoding` on ``num_frames`` random frames of ``frame_size`` (H, W)
    (after a warm-up video of 3 frames), summarised over the frames that fill the window and over the steady
    part after it, with what the stream holds at the end."""
    window = online.window
    if num_frames <= window:
        raise ValueError(f'the video must be longer than the window of {window} frames to time the steady part, '
                         f'got {num_frames} frames')
    rng = np.random.default_rng(0)
    time_streaming_and_re_encoding(online, rng.integers(0, 256, (3, *frame_size, 3), dtype=np.uint8), device)
    times = time_streaming_and_re_encoding(
        online, rng.integers(0, 256, (num_frames, *frame_size, 3), dtype=np.uint8), device)
    result = dict(device=device, frames=num_frames, window=window,
                  encoder_memory_frames=memory_frames(online.model.backbone, online.state),
                  window_frames_held=len(online.frame_tokens))
    for name, seconds in times.items():
        ms = [1e3 * s for s in seconds]
        result[name] = dict(filling=latency_summary(ms[:window]), steady=latency_summary(ms[window:]))
    return result


def _row(name: str, times: Dict) -> List[str]:
    fill, steady = times['filling'], times['steady']
    return [name, f"{fill['mean_ms']:.1f}", f"{steady['mean_ms']:.1f}", f"{steady['p95_ms']:.1f}",
            f"{steady['slope_ms_per_100_frames']:+.1f}"]


def format_table(result: Dict, config: str) -> str:
    """The per-frame times of both ways as a Markdown table, with what the stream holds and the ratio."""
    lines = [f'\n{config} on {result["device"]}: {result["frames"]} frames; held at the end: '
             f'{result["window_frames_held"]} frames of tokens in the decoder window (of {result["window"]}), '
             f'{result["encoder_memory_frames"]} frames of keys/values in each encoder block\'s memory',
             markdown_table(['per frame', 'filling: mean ms', 'steady: mean ms', 'steady: p95 ms',
                             'steady: slope ms/100 frames'], [_row(name, result[name]) for name in WAYS])]
    ratio = result['re_encoding']['steady']['mean_ms'] / result['streaming']['steady']['mean_ms']
    lines.append(f'steady re-encoding / streaming: {ratio:.1f}x')
    return '\n'.join(lines)
