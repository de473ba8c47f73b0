"""Frames of a video file, a folder of frames, a webcam or a stream URL, read one at a time.

:func:`open_video_source` takes what a user types on a command line and returns a :class:`VideoSource`,
an iterable of BGR ``uint8`` frames (OpenCV's layout) with ``num_frames`` (``len()``) when the length is
known and ``fps`` when the source says it:

============================================  ==========  ==================================================
source                                        kind        read with
============================================  ==========  ==================================================
an int, or a string of digits (``0``, ``'1'``)  webcam      ``cv2.VideoCapture(index)``
``rtsp://``, ``rtmp://``, ``http(s)://``,       url         ``cv2.VideoCapture(url)``, the string unchanged
``udp://``, ``tcp://``, ``srt://``, ``file://``
a folder                                      folder      its images (.jpg .jpeg .png .bmp .tif .tiff
                                                          .webp) in natural order (``2.jpg`` before
                                                          ``10.jpg``), one ``cv2.imread`` per frame
any other path                                file        ``cv2.VideoCapture(path)``
============================================  ==========  ==================================================

A file or folder named only by digits is read as a path when written as one (``./0``). Frames are decoded
only as they are iterated, so memory does not grow with the video. A folder in the MOTChallenge layout
(``SEQ/img1`` beside ``SEQ/seqinfo.ini``) takes its frame rate from ``frameRate``. Webcams and live streams
have no length (``num_frames`` None, ``len()`` raises ``TypeError``); iterating one ends when it stops
delivering frames (or never: stop it yourself). Errors name the source; the password of a URL
(``rtsp://user:password@host``) is left out of messages.
"""
import configparser
import os
import os.path as osp
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Iterator, List, Optional, TextIO, Union

import cv2
import numpy as np

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
URL_SCHEMES = ('rtsp', 'rtsps', 'rtmp', 'rtmps', 'http', 'https', 'udp', 'tcp', 'srt', 'file')
_URL = re.compile(r'^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://')

SourceLike = Union[str, int, Path]


def _natural_key(name: str) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', name)]


def redact_url(url: str) -> str:
    """``url`` without the password of its user info (``rtsp://user:***@host/...``)."""
    return re.sub(r'^([A-Za-z][A-Za-z0-9+.-]*://[^/@:]*):[^/@]*@', r'\1:***@', url)


class VideoSource:
    """BGR frames of one video source, decoded one at a time; see :func:`open_video_source`.

    Attributes:
        kind: ``'file'``, ``'folder'``, ``'webcam'`` or ``'url'``.
        name: the source as given (a URL without its password), for messages.
        num_frames: the number of frames when known (files, folders, URLs of files), else None.
        fps: the frame rate the source reports, or None.

    Iterating yields ``np.ndarray`` frames of shape (H, W, 3), dtype uint8, BGR. Each iteration starts from
    the first frame (files, folders) or the current moment (webcams, streams). Use it as a context manager,
    or call :meth:`close`, to release an open capture early.
    """

    def __init__(self, kind: str, target: Union[str, int], name: str, num_frames: Optional[int],
                 fps: Optional[float], frame_files: Optional[List[str]] = None,
                 capture: Optional[cv2.VideoCapture] = None) -> None:
        self.kind = kind
        self.target = target  # what OpenCV opens: the path, URL or webcam index
        self.name = name
        self.num_frames = num_frames
        self.fps = fps
        self._frame_files = frame_files
        self._capture = capture  # opened by open_video_source to check the source; used by the first pass

    @property
    def live(self) -> bool:
        """A webcam or a stream of unknown length: frames come as they are captured."""
        return self.num_frames is None

    def __len__(self) -> int:
        if self.num_frames is None:
            raise TypeError(f'{self.name}: a {self.kind} source has no known length')
        return self.num_frames

    def __bool__(self) -> bool:  # not len(): a live source has none
        return True

    def __repr__(self) -> str:
        return f'VideoSource(kind={self.kind!r}, name={self.name!r}, num_frames={self.num_frames}, fps={self.fps})'

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._frame_files is not None:
            return self._read_folder()
        return self._read_capture()

    def _read_folder(self) -> Iterator[np.ndarray]:
        for path in self._frame_files:
            frame = cv2.imread(path, cv2.IMREAD_COLOR)
            if frame is None:
                raise ValueError(f'{path}: cannot be read as an image (frame of {self.name})')
            yield frame

    def _read_capture(self) -> Iterator[np.ndarray]:
        capture, self._capture = self._capture, None
        if capture is None:
            capture = _open_capture(self.target, self.name, self.kind)
        read = 0
        try:
            while True:
                ok, frame = capture.read()
                if not ok or frame is None:
                    if self.kind == 'file' and self.num_frames and read < self.num_frames:
                        # a damaged or cut video: say so rather than end as if it were complete
                        warnings.warn(f'{self.name}: only {read} of the {self.num_frames} frames its header '
                                      f'announces could be decoded; the video ends at frame {read}',
                                      stacklevel=2)
                    return
                read += 1
                if frame.ndim == 2:  # a grey camera
                    frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
                yield frame
        finally:
            capture.release()

    def close(self) -> None:
        """Release the capture opened to check the source, if no iteration has taken it over."""
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def __enter__(self) -> 'VideoSource':
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def _open_capture(target: Union[str, int], name: str, kind: str) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(target)
    if not capture.isOpened():
        capture.release()
        if kind == 'webcam':
            raise ValueError(f'webcam {target}: OpenCV cannot open it (no camera with this index, or it is busy)')
        if kind == 'url':
            raise ValueError(f'{name}: OpenCV cannot open this stream (unreachable, refused, or a format its '
                             'FFmpeg backend does not read)')
        raise ValueError(f'{name}: OpenCV cannot open this video')
    return capture


def _folder_fps(folder: str) -> Optional[float]:
    """``frameRate`` of a MOTChallenge ``seqinfo.ini`` beside the frame folder (``SEQ/img1``), if any."""
    info = osp.join(osp.dirname(osp.abspath(folder)), 'seqinfo.ini')
    if not osp.isfile(info):
        return None
    parser = configparser.ConfigParser()
    try:
        parser.read(info)
        fps = float(parser['Sequence']['frameRate'])
    except (configparser.Error, KeyError, ValueError):
        return None
    return fps if fps > 0 else None


def source_kind(source: SourceLike) -> str:
    """``'webcam'``, ``'url'``, ``'folder'`` or ``'file'``: how :func:`open_video_source` reads ``source``
    (without touching it)."""
    if isinstance(source, bool) or not isinstance(source, (str, int, Path)):
        raise TypeError(f'a video source is a path, a URL or a webcam index, got {type(source).__name__}')
    if isinstance(source, int) or (isinstance(source, str) and source.isdigit()):
        return 'webcam'
    if isinstance(source, str):
        match = _URL.match(source)
        if match:
            if match.group('scheme').lower() not in URL_SCHEMES:
                raise ValueError(f'{redact_url(source)}: unsupported URL scheme {match.group("scheme")!r} '
                                 f'(supported: {", ".join(URL_SCHEMES)})')
            return 'url'
    return 'folder' if osp.isdir(source) else 'file'


def open_video_source(source: Union[SourceLike, VideoSource]) -> VideoSource:
    """Open a video file, a folder of frames, a webcam (an int or a digit string) or a stream URL.

    Returns a :class:`VideoSource` (a ``VideoSource`` is returned as it is). The source is checked now: a
    missing path raises ``FileNotFoundError``, a folder without images ``FileNotFoundError``, a video, webcam
    or URL that OpenCV cannot open ``ValueError``, each naming the source.
    """
    if isinstance(source, VideoSource):
        return source
    kind = source_kind(source)
    if kind == 'webcam':
        index = int(source)
        capture = _open_capture(index, f'webcam {index}', kind)
        fps = capture.get(cv2.CAP_PROP_FPS)
        return VideoSource(kind, index, f'webcam {index}', None, fps if fps > 0 else None, capture=capture)
    if kind == 'url':
        name = redact_url(source)
        capture = _open_capture(source, name, kind)
        count, fps = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), capture.get(cv2.CAP_PROP_FPS)
        return VideoSource(kind, source, name, count if count > 0 else None, fps if fps > 0 else None,
                           capture=capture)
    path = osp.expanduser(str(source))
    if kind == 'folder':
        names = sorted((n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTS)), key=_natural_key)
        if not names:
            raise FileNotFoundError(f'{path}: no images ({", ".join(IMAGE_EXTS)}) in this folder')
        return VideoSource(kind, path, path, len(names), _folder_fps(path),
                           frame_files=[osp.join(path, n) for n in names])
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such video file or frame folder')
    capture = _open_capture(path, path, kind)
    count, fps = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), capture.get(cv2.CAP_PROP_FPS)
    return VideoSource(kind, path, path, count if count > 0 else None, fps if fps > 0 else None, capture=capture)


def check_max_frames(max_frames: Optional[int], caller: str) -> None:
    """Refuse a ``max_frames`` that is not None or a non-negative int (-1 would stop at once, silently)."""
    if max_frames is not None and (isinstance(max_frames, bool) or not isinstance(max_frames, (int, np.integer))
                                   or max_frames < 0):
        raise ValueError(f'{caller}: max_frames must be None (the whole video) or a number of frames >= 0, '
                         f'got {max_frames!r}')


class FrameProgress:
    """Progress of a run over a video source, printed as lines at most every ``interval`` seconds.

    Length known: ``frame 12/120 (10%), 8.3 frames/s, 13 s left``; live sources (``total`` None):
    ``frame 120, 8.3 frames/s``, the running rate over the last ``interval``. With a known length the first
    and the last frame always get a line; :meth:`close` prints the totals. ``echo=False`` only measures
    (:attr:`fps`, :meth:`status`), for a caller that prints lines of its own.
    """

    def __init__(self, total: Optional[int] = None, interval: float = 1.0, prefix: str = '',
                 file: Optional[TextIO] = None, echo: bool = True) -> None:
        self.total = total
        self.interval = interval
        self.prefix = prefix
        self.file = file
        self.echo = echo
        self.count = 0
        self._start = self._mark = time.perf_counter()
        self._mark_count = 0
        self._rate = 0.0

    @property
    def fps(self) -> float:
        """The running rate (frames per second)."""
        return self._rate

    def status(self) -> str:
        """The progress line for the frames counted so far."""
        if self.total:
            left = (self.total - self.count) / self._rate if self._rate > 0 else None
            return (f'{self.prefix}frame {self.count}/{self.total} ({100 * self.count // self.total}%), '
                    f'{self._rate:.1f} frames/s' + (f', {left:.0f} s left' if left is not None else ''))
        return f'{self.prefix}frame {self.count}, {self._rate:.1f} frames/s'

    def update(self, n: int = 1) -> Optional[str]:
        """Count ``n`` more frames; returns the progress line if one was due (printed when ``echo``)."""
        self.count += n
        now = time.perf_counter()
        if now > self._mark:
            self._rate = (self.count - self._mark_count) / (now - self._mark)
        stretch_done = now - self._mark >= self.interval
        if stretch_done:
            self._mark, self._mark_count = now, self.count
        if not (stretch_done or self.count == n or (self.total and self.count == self.total)):
            return None
        line = self.status()
        if self.echo:
            print(line, file=self.file or sys.stdout, flush=True)
        return line

    def close(self) -> str:
        """The totals, frames and mean rate (printed when ``echo``)."""
        seconds = time.perf_counter() - self._start
        line = f'{self.prefix}{self.count} frames in {seconds:.1f} s ({self.count / max(seconds, 1e-9):.1f} frames/s)'
        if self.echo:
            print(line, file=self.file or sys.stdout, flush=True)
        return line
