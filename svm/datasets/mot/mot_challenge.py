"""MOTChallenge files, read and written in one place: ``seqinfo.ini``, ground truth, public detections and
tracker results.

A sequence in the MOTChallenge layout (MOT17, MOT20, MOTSynth's annotations, the synthetic benchmark)::

    <seq>/seqinfo.ini      [Sequence] name, imDir, frameRate, seqLength, imWidth, imHeight, imExt
    <seq>/img1/000001.jpg  frames, numbered from 1
    <seq>/gt/gt.txt        frame,id,left,top,width,height,conf,class,visibility
    <seq>/det/det.txt      frame,-1,left,top,width,height,score,-1,-1,-1

and the results of a tracker, one ``<seq>.txt`` per sequence, as TrackEval and the MOTChallenge server
read them: ``frame,id,left,top,width,height,score,-1,-1,-1``. Frames and pixel coordinates are 1-based.

Rows are numpy arrays: ground truth (N, 9) in :data:`GT_FIELDS` order, detections and results (N, 7) in
:data:`RESULT_FIELDS` order, all float64. The readers check every row and name a bad one as
``<file>:<line>`` with the field, its text and what was expected; blank lines are skipped. Given a
``problems`` list, the ground-truth and detection readers append the message of every bad row to it and skip
the row instead, so that a converter can report all of them at once.
"""
import configparser
import contextlib
import math
import os.path as osp
from dataclasses import dataclass
from typing import Iterator, List, Mapping, Optional, Sequence

import numpy as np

GT_FIELDS = ('frame', 'id', 'x', 'y', 'w', 'h', 'conf', 'class', 'visibility')
# det.txt and result files: the first 7 of their 10 columns (the last 3, world coordinates, are -1)
RESULT_FIELDS = ('frame', 'id', 'x', 'y', 'w', 'h', 'score')
SEQINFO_KEYS = ('name', 'imDir', 'frameRate', 'seqLength', 'imWidth', 'imHeight', 'imExt')


@dataclass(frozen=True)
class SeqInfo:
    """The ``[Sequence]`` section of a ``seqinfo.ini``.

    Args:
        name: the sequence name (``name``).
        length: number of frames (``seqLength``).
        width: image width in pixels (``imWidth``).
        height: image height in pixels (``imHeight``).
        frame_rate: frames per second (``frameRate``; of a fractional one, its integer part).
        im_dir: folder of the frames inside the sequence folder (``imDir``).
        im_ext: extension of the frame files (``imExt``).
    """
    name: str
    length: int
    width: int
    height: int
    frame_rate: int = 25
    im_dir: str = 'img1'
    im_ext: str = '.jpg'

    def image_name(self, frame: int) -> str:
        """The path of 1-based ``frame`` relative to the sequence folder, e.g. ``img1/000001.jpg``."""
        return osp.join(self.im_dir, f'{frame:06d}{self.im_ext}')


def read_seqinfo(seq_dir: str) -> SeqInfo:
    """Read ``<seq_dir>/seqinfo.ini``; a missing file, section or key, or a number that is not a positive
    whole number is an error naming the file."""
    path = osp.join(seq_dir, 'seqinfo.ini')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: every MOTChallenge sequence needs a seqinfo.ini')
    parser = configparser.ConfigParser()
    parser.read(path)
    if 'Sequence' not in parser:
        raise ValueError(f'{path} has no [Sequence] section')
    section = parser['Sequence']
    try:
        return SeqInfo(
            name=section['name'], frame_rate=_seqinfo_number(path, section, 'frameRate'),
            length=_seqinfo_number(path, section, 'seqLength'), width=_seqinfo_number(path, section, 'imWidth'),
            height=_seqinfo_number(path, section, 'imHeight'), im_dir=section.get('imDir', 'img1'),
            im_ext=section.get('imExt', '.jpg'))
    except KeyError as e:
        raise KeyError(f'{path} lacks the key {e} (expected name, frameRate, seqLength, '
                       'imWidth, imHeight)') from None


def _seqinfo_number(path: str, section: configparser.SectionProxy, key: str) -> int:
    """A positive whole number of the [Sequence] section (of ``frameRate``, which may be fractional, its
    integer part); text, NaN, inf or a number below 1 is an error naming the file."""
    text = section[key]
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 1 or (key != 'frameRate' and not value.is_integer()):
        raise ValueError(f'{path}: {key}={text}, expected a positive whole number')
    return int(value)


def write_seqinfo(seq_dir: str, info: SeqInfo) -> str:
    """Write ``<seq_dir>/seqinfo.ini`` with MOT17's keys (:data:`SEQINFO_KEYS`, camelCase, ``key=value``);
    returns its path."""
    ini = configparser.ConfigParser()
    ini.optionxform = str  # keep the camelCase keys
    values = (info.name, info.im_dir, info.frame_rate, info.length, info.width, info.height, info.im_ext)
    ini['Sequence'] = {key: str(value) for key, value in zip(SEQINFO_KEYS, values)}
    path = osp.join(seq_dir, 'seqinfo.ini')
    with open(path, 'w') as f:
        ini.write(f, space_around_delimiters=False)
    return path


def parse_row(line: str, names: Sequence[str], where: str) -> List[float]:
    """The first ``len(names)`` comma-separated fields of a row as finite floats.

    A short row, a field that is not a number, or one that is NaN or infinite (``float`` accepts ``nan``,
    ``inf``, ``Infinity``, which json would then write as NaN/Infinity) is an error naming ``where``
    (``<file>:<line>``), the field and what was expected.
    """
    fields = line.strip().split(',')
    if len(fields) < len(names):
        raise ValueError(f'{where}: expected at least {len(names)} comma-separated fields '
                         f'({",".join(names)}), got {line.strip()!r}')
    try:
        values = [float(v) for v in fields[:len(names)]]
    except ValueError:
        raise ValueError(f'{where}: expected numbers in {",".join(names)}, got {line.strip()!r}') from None
    for name, text, value in zip(names, fields, values):
        if not math.isfinite(value):
            raise ValueError(f'{where}: {name} is {text.strip()}, expected a finite number '
                             f'(in {line.strip()!r})')
    return values


def _check_frame(value: float, where: str, num_frames: Optional[int]) -> None:
    """A row's 1-based frame number must be an integer in 1..``num_frames`` (when given)."""
    if not value.is_integer():
        raise ValueError(f'{where}: frame {value:g} is not an integer, expected a whole frame number')
    if value < 1 or (num_frames is not None and value > num_frames):
        raise ValueError(f'{where}: frame {int(value)} is outside the sequence '
                         f'(1..{num_frames if num_frames is not None else "seqLength"})')


@contextlib.contextmanager
def _row_check(problems: Optional[List[str]]) -> Iterator[None]:
    """The checks of one row: a ValueError propagates, or, given ``problems``, its message is appended there
    (and the rest of the row skipped)."""
    try:
        yield
    except ValueError as err:
        if problems is None:
            raise
        problems.append(str(err))


def _numbered_lines(path: str):
    """``(where, line)`` of every non-blank line of a text file, ``where`` being ``<path>:<line number>``."""
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if line.strip():
                yield f'{path}:{line_no}', line


def read_gt(path: str, num_frames: Optional[int] = None, problems: Optional[List[str]] = None) -> np.ndarray:
    """Read a ground-truth file ``frame,id,x,y,w,h,conf,class,visibility[,...]``. (N, 9), in file order.

    Each row is checked: finite numbers, an integer frame in 1..``num_frames`` (when given), a positive
    integer id seen once per frame, a box of positive size; a bad row raises a ValueError, or is named in
    ``problems`` (when given) and left out. ``conf`` 0 marks a box to ignore (TrackEval skips it as
    zero-marked; training ignores it). An empty file gives (0, 9).
    """
    rows, seen = [], set()
    for where, line in _numbered_lines(path):
        with _row_check(problems):
            values = parse_row(line, GT_FIELDS, where)
            _check_frame(values[0], where, num_frames)
            if not values[1].is_integer() or values[1] < 1:
                raise ValueError(f'{where}: object id {values[1]:g} must be a positive integer')
            key = (int(values[0]), int(values[1]))
            if key in seen:
                raise ValueError(f'{where}: object id {key[1]} appears twice in frame {key[0]}')
            seen.add(key)
            if values[4] <= 0 or values[5] <= 0:
                raise ValueError(f'{where}: box width and height must be positive, got {values[4]}x{values[5]}')
            rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(-1, len(GT_FIELDS))


def write_gt(path: str, rows: np.ndarray) -> None:
    """Write ground-truth rows (N, 9): frame, id and class as integers, the other fields with 10
    significant digits (numbers of at most 10 digits, as in MOT17's files, read back unchanged)."""
    with open(path, 'w') as f:
        f.write(gt_text(rows))


def gt_text(rows: np.ndarray) -> str:
    """The text of a ground-truth file of rows (N, 9), as :func:`write_gt` writes it."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, len(GT_FIELDS))
    return ''.join(f'{int(r[0])},{int(r[1])},{r[2]:.10g},{r[3]:.10g},{r[4]:.10g},{r[5]:.10g},{r[6]:.10g},'
                   f'{int(r[7])},{r[8]:.10g}\n' for r in rows)


def read_detections(path: str, num_frames: Optional[int] = None,
                    problems: Optional[List[str]] = None) -> np.ndarray:
    """Read public detections (``det/det.txt``: ``frame,-1,x,y,w,h,score,...``). (N, 7), in file order.

    Each row is checked: finite numbers and an integer frame in 1..``num_frames`` (when given); a bad row
    raises a ValueError, or is named in ``problems`` (when given) and left out.
    """
    rows = []
    for where, line in _numbered_lines(path):
        with _row_check(problems):
            values = parse_row(line, RESULT_FIELDS, where)
            _check_frame(values[0], where, num_frames)
            rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(-1, len(RESULT_FIELDS))


def read_results(path: str, num_frames: Optional[int] = None) -> np.ndarray:
    """Read a tracker's result file (``frame,id,x,y,w,h,score,...``). (N, 7), in file order.

    Each row is checked: finite numbers, an integer frame in 1..``num_frames`` (when given) and a
    non-negative integer track id seen once per frame (TrackEval fails on the others with an IndexError or a
    message that names no row).
    """
    rows, seen = [], {}
    for where, line in _numbered_lines(path):
        values = parse_row(line, RESULT_FIELDS, where)
        _check_frame(values[0], where, num_frames)
        if not values[1].is_integer():
            raise ValueError(f'{where}: track id {values[1]:g} is not an integer')
        if values[1] < 0:
            raise ValueError(f'{where}: track id {values[1]:g} is negative, expected an id >= 0')
        key = (int(values[0]), int(values[1]))
        if key in seen:
            raise ValueError(f'{where}: track id {key[1]} appears twice in frame {key[0]} (first at {seen[key]})')
        seen[key] = where
        rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(-1, len(RESULT_FIELDS))


def write_results(path: str, rows: np.ndarray) -> None:
    """Write result rows (N, 7) ``frame,id,x,y,w,h,score`` as ``frame,id,x,y,w,h,score,-1,-1,-1``.

    Frame and id as integers, box and score with 3 decimals (a thousandth of a pixel), the format of
    mmdet's MOTChallengeMetric and the MOTChallenge submissions; det.txt has the same format.
    """
    with open(path, 'w') as f:
        for r in np.asarray(rows, dtype=np.float64).reshape(-1, len(RESULT_FIELDS)):
            f.write(f'{int(r[0])},{int(r[1])},{r[2]:.3f},{r[3]:.3f},{r[4]:.3f},{r[5]:.3f},{r[6]:.3f},-1,-1,-1\n')


def max_frame(path: str) -> int:
    """The largest frame number (first field) of a ground-truth, detection or result file; 0 without rows."""
    largest = 0
    for where, line in _numbered_lines(path):
        largest = max(largest, int(parse_row(line, RESULT_FIELDS[:1], where)[0]))
    return largest


def renumber_frames(rows: np.ndarray, frames: Mapping[int, int]) -> np.ndarray:
    """The rows (N, C) whose frame (column 0) is a key of ``frames``, with their frame replaced by its
    value, in their order; e.g. ``{8: 1, 9: 2, ...}`` gives the rows of a second half numbered from 1,
    as tracking numbers the frames of the result files. (M, C)."""
    rows = np.asarray(rows, dtype=np.float64)
    numbers = rows[:, 0].astype(np.int64)
    keep = np.array([n in frames for n in numbers], dtype=bool).reshape(-1)
    out = rows[keep].copy()
    out[:, 0] = [frames[n] for n in numbers[keep]]
    return out
