"""A track recognizer (tracker + online action recogniser on one backbone) against the two separate models,
frame by frame, and its online action accuracy (``tools/analysis_tools/benchmark.py track-recognition``,
demo/track_recognition_demo.py, tools/track_recognition_demo_main.py, docs/track_recognition.md).

Per-frame cost: the track recognizer (:func:`svm.apis.inference_track_recognizer`: one backbone pass per frame)
and the two models it replaces (:func:`svm.apis.separate_models`: the tracker alone, then the online recogniser alone,
each with its own backbone pass) take turns on every frame, so a busy machine slows all of them alike. Each
time covers all the per-frame work: the frame's preprocessing, the backbone(s), the heads and the tracker.
"""
import os.path as osp
import time
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch

from svm.apis import inference_track_recognizer, open_video_source, separate_models, track_video
from svm.utils.table import markdown_table
from .timing import latency_summary

COST_ROWS = (('track_recognizer', 'track recognizer (one backbone pass)'), ('tracker', 'tracker alone'),
             ('recognizer', 'recogniser alone'), ('separate', 'tracker + recogniser (two passes)'))


def _timed_next(iterator) -> Tuple[object, float]:
    start = time.perf_counter()
    item = next(iterator)
    return item, time.perf_counter() - start


@torch.no_grad()
def track_recognizer_vs_separate(model: torch.nn.Module, frames: Sequence[np.ndarray], warmup: int = 2) -> Dict:
    """Per-frame milliseconds of the track recognizer and of the two separate models on the same BGR frames, and
    how far their results are apart.

    Args:
        model: a StreamingByteTrackRecognizer from :func:`svm.apis.init_tracker`.
        frames: BGR frames (H, W, 3) uint8 of one video, longer than ``warmup``.
        warmup: first frames run but not timed (first-call allocations).

    Returns:
        ``ms``: per-frame times of ``track_recognizer``, ``tracker``, ``recognizer`` and ``separate`` (tracker +
        recogniser), ``summary``: :func:`latency_summary` of each, ``saving``: 1 - track_recognizer / separate
        (median), ``max_score_difference`` between the track recognizer's and the separate action scores and
        ``same_tracks`` (ids and boxes equal on every frame).
    """
    if len(frames) <= warmup:
        raise ValueError(f'track_recognizer_vs_separate needs more than {warmup} frames (the warm-up), got '
                         f'{len(frames)}')
    tracker, online = separate_models(model)
    together = inference_track_recognizer(model, frames)
    alone = track_video(tracker, frames)
    online.reset()
    ms: Dict[str, List[float]] = {key: [] for key, _ in COST_ROWS}
    max_difference, same_tracks = 0.0, True
    for index, frame in enumerate(frames):
        joint, joint_s = _timed_next(together)
        tracked, tracker_s = _timed_next(alone)
        start = time.perf_counter()
        online.step(np.ascontiguousarray(frame[..., ::-1]))  # the recogniser reads RGB
        recognizer_s = time.perf_counter() - start
        max_difference = max(max_difference,
                             float(np.abs(joint.action_scores - online.scores().cpu().numpy()).max()))
        same_tracks &= (np.array_equal(joint.tracks.ids, tracked.tracks.ids)
                        and np.array_equal(joint.tracks.bboxes, tracked.tracks.bboxes))
        if index >= warmup:
            for key, seconds in (('track_recognizer', joint_s), ('tracker', tracker_s), ('recognizer', recognizer_s),
                                 ('separate', tracker_s + recognizer_s)):
                ms[key].append(1e3 * seconds)
    summary = {key: latency_summary(values) for key, values in ms.items()}
    return dict(ms=ms, summary=summary, frames=len(frames), warmup=warmup,
                saving=1 - summary['track_recognizer']['median_ms'] / summary['separate']['median_ms'],
                max_score_difference=max_difference, same_tracks=bool(same_tracks))


def cost_table(result: Dict) -> str:
    """A Markdown table of :func:`track_recognizer_vs_separate`'s per-frame times."""
    rows = []
    for key, name in COST_ROWS:
        summary = result['summary'][key]
        rows.append([name, f'{summary["median_ms"]:.1f}', f'{summary["p95_ms"]:.1f}', f'{summary["fps"]:.1f}'])
    return markdown_table(['per frame', 'median ms', 'p95 ms', 'frames/s'], rows,
                          align=['left', 'right', 'right', 'right'])


def read_frame_list(ann_file: str, data_root: str) -> List[Tuple[str, int]]:
    """The videos of an mmaction2 raw-frame list (``frame_dir total_frames label`` per line) as (frame folder
    under ``data_root``, label) pairs; a malformed line is named with its file and number."""
    videos = []
    with open(ann_file) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = line.split()
            if len(fields) != 3 or not fields[1].isdigit() or not fields[2].lstrip('-').isdigit():
                raise ValueError(f'{ann_file}:{number}: expected "frame_dir total_frames label", got {line.rstrip()!r}')
            videos.append((osp.join(data_root, fields[0]), int(fields[2])))
    return videos


@torch.no_grad()
def online_action_accuracy(model: torch.nn.Module, videos: Iterable[Tuple[str, int]],
                           progress: Optional[Callable[[int], None]] = None) -> Dict:
    """Online top-1 of a track recognizer on labelled videos, streamed frame by frame (tracks computed alike).

    Args:
        model: a StreamingByteTrackRecognizer.
        videos: (frame folder or video file, label) pairs, e.g. :func:`read_frame_list`.
        progress: called with the number of videos done after each.

    Returns:
        ``top1_last_frame``: share of videos whose top-1 after their last frame is right (the whole video seen,
        through the last ``action_window`` frames); ``top1_full_window``: share of frames with a full window
        whose top-1 is right, over all videos; ``videos``, ``frames``.
    """
    window = model.action_window
    last_right, window_right, window_frames, num_videos, num_frames = 0, 0, 0, 0, 0
    for source, label in videos:
        top1 = [int(np.argmax(frame.action_scores))
                for frame in inference_track_recognizer(model, open_video_source(source))]
        if not top1:
            raise ValueError(f'{source}: no frame could be read')
        last_right += top1[-1] == label
        full = top1[window - 1:]
        window_right += sum(t == label for t in full)
        window_frames += len(full)
        num_videos += 1
        num_frames += len(top1)
        if progress is not None:
            progress(num_videos)
    return dict(top1_last_frame=last_right / num_videos,
                top1_full_window=window_right / window_frames if window_frames else float('nan'),
                videos=num_videos, frames=num_frames)
