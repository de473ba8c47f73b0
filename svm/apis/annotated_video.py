"""A tracker, an online recogniser or the two in one model run over a video source, its results drawn on every
frame and written to a video (or shown): what demo/mot_demo.py, demo/recognition_demo.py and
demo/track_recognition_demo.py do.

Both read the source one frame at a time, so memory stays constant however long the video is; Ctrl-C (or
``max_frames``) stops a live source and what was processed so far is written.
"""
import os
import os.path as osp
import tempfile
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch

from svm.datasets.mot.mot_challenge import RESULT_FIELDS, write_results
from svm.utils.output_files import check_file_writable
from svm.visualization.frame_drawing import draw_topk, draw_tracks, draw_tracks_and_topk

# What the demos print when run without --checkpoint (the APIs then keep the model's random initialisation).
RANDOM_WEIGHTS_WARNING = ('WARNING: no --checkpoint: the {what} has random weights, so what it outputs means '
                          'nothing; this only checks the install and the video source. Give --checkpoint CKPT '
                          'for real results.')
from .online_recognition import OnlineRecognizer, recognize_video
from .track_recognition import inference_track_recognizer
from .tracking import Tracks, track_video
from .video_sources import FrameProgress, SourceLike, VideoSource, open_video_source

TopK = List[Tuple[Union[int, str], float]]


def check_video_output(path: str) -> None:
    """Make sure OpenCV can write the video ``path`` (mp4v in the container its extension names), before any
    frame is processed: a folder that cannot be written or a container OpenCV does not write is refused now,
    rather than found after the whole video ran (OpenCV's writer fails without an error).

    A tiny probe video is written beside ``path`` and removed; ``path`` itself is not touched.

    Raises:
        OSError: the folder of ``path`` cannot be written.
        ValueError: OpenCV cannot write a video with this name.
    """
    check_file_writable(path, 'the output video')
    folder, name = osp.split(osp.abspath(path))
    fd, probe = tempfile.mkstemp(dir=folder, prefix=f'.{name}.', suffix=osp.splitext(name)[1] or '.none')
    os.close(fd)
    try:
        writer = cv2.VideoWriter(probe, cv2.VideoWriter_fourcc(*'mp4v'), 25.0, (16, 16))
        opened = writer.isOpened()
        writer.release()
    finally:
        os.remove(probe)
    if not opened:
        raise ValueError(f'the output video {path}: OpenCV cannot write an mp4v video in a '
                         f'{osp.splitext(name)[1] or "file without an extension"!r} container; use .mp4 (or .avi, .mkv)')


class LazyVideoWriter:
    """An mp4 (mp4v) writer opened at the first frame, whose size it takes; its folder is created then.
    Check the path with :func:`check_video_output` before the work whose frames it will write."""

    def __init__(self, path: str, fps: float) -> None:
        self.path, self.fps = path, fps
        self._writer: Optional[cv2.VideoWriter] = None

    def write(self, frame: np.ndarray) -> None:
        """Append a BGR frame (H, W, 3) uint8; every frame must have the first one's size.

        Raises:
            OSError: OpenCV could not open the video for writing.
        """
        if self._writer is None:
            os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
            height, width = frame.shape[:2]
            writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*'mp4v'), self.fps, (width, height))
            if not writer.isOpened():  # OpenCV's writer would drop every frame without a word
                raise OSError(f'{self.path}: OpenCV cannot open this video for writing ({width}x{height}, mp4v)')
            self._writer = writer
        self._writer.write(frame)

    @property
    def opened(self) -> bool:
        return self._writer is not None

    def release(self) -> None:
        if self._writer is not None:
            self._writer.release()


def _shown(window: str, frame: np.ndarray) -> bool:
    """Display a frame; False once the user pressed q."""
    cv2.imshow(window, frame)
    return cv2.waitKey(1) & 0xFF != ord('q')


def _write_drawn_frames(drawn: Iterator[np.ndarray], source: VideoSource, out: Optional[str], fps: Optional[float],
                        show: bool, max_frames: Optional[int], window: str) -> int:
    """Write (``out``, at ``fps``: default the source's, else 25) and/or show (q stops) the BGR frames of ``drawn``
    as they come, printing progress ('frame i/N' for files and folders, the running frame rate for live sources);
    Ctrl-C stops and keeps what was written. Returns the number of frames.

    Raises:
        ValueError: no frame could be read from the source.
    """
    writer = LazyVideoWriter(out, fps or source.fps or 25) if out else None
    progress = FrameProgress(None if source.live else min(source.num_frames, max_frames or source.num_frames))
    num_frames = 0
    try:
        for frame in drawn:
            if writer is not None:
                writer.write(frame)
            num_frames += 1
            progress.update()
            if show and not _shown(window, frame):
                break
    except KeyboardInterrupt:
        print('\ninterrupted: writing what was processed so far')
    finally:
        if writer is not None:
            writer.release()
        if show:
            cv2.destroyAllWindows()
    progress.close()
    if num_frames == 0:
        raise ValueError(f'{source.name}: no frame could be read')
    return num_frames


def _check_outputs(video: Optional[str], text: Optional[str] = None) -> None:
    """Refuse outputs that cannot be written before the first frame is processed: found at the end, the work
    of the whole video would be lost."""
    if video:
        check_video_output(video)
    if text:
        check_file_writable(text, 'the tracks file (--out-txt)')


def mot_result_rows(frame_index: int, tracks: Tracks) -> np.ndarray:
    """The tracks of one frame (0-based ``frame_index``) as MOTChallenge result rows (n, 7) ``frame, id, left,
    top, width, height, score`` with 1-based frames (:func:`svm.datasets.mot.mot_challenge.write_results`)."""
    boxes = np.asarray(tracks.bboxes, dtype=np.float64).reshape(-1, 4)  # x1, y1, x2, y2
    frames = np.full(len(boxes), frame_index + 1.)
    return np.column_stack([frames, tracks.ids, boxes[:, :2], boxes[:, 2:] - boxes[:, :2], tracks.scores])


def write_tracked_video(tracker: torch.nn.Module,
                        source: Union[SourceLike, VideoSource],
                        out: Optional[str] = None,
                        out_txt: Optional[str] = None,
                        show: bool = False,
                        fps: Optional[float] = None,
                        score_thr: float = 0.0,
                        max_frames: Optional[int] = None) -> Dict[str, int]:
    """Track a video source (see :func:`svm.apis.track_video`) and draw each track as a box with its id.

    Args:
        tracker: a model from :func:`svm.apis.init_tracker`.
        source: a video file, a folder of frames, a webcam index, a stream URL or an opened source.
        out: the video of the tracks (.mp4), at ``fps`` (default: the source's, else 25).
        out_txt: the tracks in the MOTChallenge result format (:func:`mot_result_rows`).
        show: display the tracks in a window (q stops).
        score_thr: draw and write the tracks scoring at least this.
        max_frames: stop after this many frames.

    Progress is printed: 'frame i/N' lines for files and folders, the running frame rate for webcams and
    streams, and the totals at the end.

    Returns:
        ``num_frames`` tracked and ``num_tracks`` (distinct ids written).

    Raises:
        ValueError: no frame could be read from the source.
    """
    source = open_video_source(source)
    _check_outputs(out, out_txt)
    rows = [np.zeros((0, len(RESULT_FIELDS)))]

    def drawn_frames():
        for frame_index, frame, tracks in track_video(tracker, source, score_thr=score_thr, max_frames=max_frames):
            rows.append(mot_result_rows(frame_index, tracks))
            yield draw_tracks(frame, tracks.bboxes, tracks.ids)

    num_frames = _write_drawn_frames(drawn_frames(), source, out, fps, show, max_frames, 'svm tracks')
    rows = np.concatenate(rows)
    if out_txt:
        write_results(out_txt, rows)
    return dict(num_frames=num_frames, num_tracks=len(np.unique(rows[:, 1])))


def progress_label(t: int, total: Optional[int], fps: Optional[float]) -> str:
    """'frame   3/8' when the length is known, else 'frame 3 (12.5 frames/s)'."""
    if total:
        return f'frame {t:{len(str(total))}d}/{total}'
    return f'frame {t:4d}' + (f' ({fps:.1f} frames/s)' if fps else '')


def format_topk(topk: Sequence[Tuple[Union[int, str], float]]) -> str:
    return '  '.join(f'{label} {score:.3f}' for label, score in topk)


def write_recognized_video(online: OnlineRecognizer,
                           source: Union[SourceLike, VideoSource],
                           out: Optional[str] = None,
                           show: bool = False,
                           max_frames: Optional[int] = None) -> List[TopK]:
    """Stream a video source through an online recogniser (:func:`svm.apis.recognize_video`), print the
    current top-k after every frame (preceded by 'frame i/N' for files and folders, the frame number and
    running frame rate for webcams and streams), and write (``out``, at the source's frame rate or 25) or
    show the video with the top-k drawn on every frame (:func:`svm.visualization.draw_topk`; q stops).

    Returns:
        The top-k after each frame.

    Raises:
        ValueError: no frame could be decoded from the source.
    """
    source = open_video_source(source)
    _check_outputs(out)
    total = None if source.live else min(source.num_frames, max_frames or source.num_frames)
    rate = FrameProgress(total, echo=False)  # measures the frame rate; the lines below print
    writer = LazyVideoWriter(out, source.fps or 25.0) if out else None
    history = []
    try:
        for t, frame, topk in recognize_video(online, source, max_frames):
            history.append(topk)
            rate.update()
            print(f'{progress_label(t + 1, total, None if total else rate.fps)}: {format_topk(topk)}', flush=True)
            drawn = draw_topk(frame, topk) if out or show else None
            if writer is not None:
                writer.write(drawn)
            if show and not _shown('svm top-k', drawn):
                break
    except KeyboardInterrupt:
        print('interrupted')
    finally:
        if writer is not None and writer.opened:
            writer.release()
            print(f'wrote {out}')
        if show:
            cv2.destroyAllWindows()
    if not history:
        raise ValueError(f'{source.name}: no frame could be decoded')
    return history


def write_tracked_action_video(model: torch.nn.Module,
                               source: Union[SourceLike, VideoSource],
                               out: Optional[str] = None,
                               show: bool = False,
                               fps: Optional[float] = None,
                               score_thr: float = 0.0,
                               topk: int = 1,
                               max_frames: Optional[int] = None) -> Dict:
    """Track a video source and recognise its action from one backbone pass per frame
    (:func:`svm.apis.inference_track_recognizer`); draw each track as a box with its id and the current top-k
    in the corner; write (``out``, at ``fps``: default the source's, else 25) or show the video (q stops).

    Progress as :func:`write_tracked_video`. Returns ``num_frames``, ``num_tracks`` (distinct ids) and ``topk``
    (the top-k after the last frame).

    Raises:
        ValueError: no frame could be read from the source.
    """
    source = open_video_source(source)
    _check_outputs(out)
    ids, last = set(), None

    def drawn_frames():
        nonlocal last
        for frame in inference_track_recognizer(model, source, score_thr=score_thr, topk=topk, max_frames=max_frames):
            ids.update(frame.tracks.ids.tolist())
            last = frame.topk
            yield draw_tracks_and_topk(frame.image, frame.tracks.bboxes, frame.tracks.ids, frame.topk)

    num_frames = _write_drawn_frames(drawn_frames(), source, out, fps, show, max_frames, 'svm tracks and action')
    return dict(num_frames=num_frames, num_tracks=len(ids), topk=last)
