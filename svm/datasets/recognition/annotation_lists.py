"""mmaction2's annotation lists for :class:`mmaction.datasets.VideoDataset`, written by the dataset
converters in tools/dataset_converters/.

A video list has one ``<relative video path> <label index>`` line per video; a label map has one class
name per line, line i naming class i (mmaction2's ``label_map_*.txt``).
"""
import os
import os.path as osp
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

VIDEO_EXTENSIONS = ('.mp4', '.webm', '.mkv', '.avi', '.mov', '.m4v')


class VideoEntry(NamedTuple):
    """One annotated video: file name stem (without extension) and class index."""
    stem: str
    label: int


def read_label_map(path: str) -> List[str]:
    """Class names of a label map file, in class-index order."""
    with open(path, encoding='utf-8') as f:
        names = [line.strip() for line in f if line.strip()]
    if len(set(names)) != len(names):
        raise ValueError(f'label map {path} names a class twice')
    return names


def write_label_map(path: str, class_names: Sequence[str]) -> None:
    mkdir_or_exist(osp.dirname(osp.abspath(path)))
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(f'{name}\n' for name in class_names)


def index_videos(video_dir: str) -> Dict[str, str]:
    """Map every video file's stem under ``video_dir`` (searched recursively) to its path relative to it."""
    if not osp.isdir(video_dir):
        raise FileNotFoundError(f'video directory not found: {video_dir}')
    index = {}
    for root, _, files in os.walk(video_dir):
        for name in files:
            stem, ext = osp.splitext(name)
            if ext.lower() in VIDEO_EXTENSIONS:
                index[stem] = osp.relpath(osp.join(root, name), video_dir)
    return index


def resolve_videos(entries: Iterable[VideoEntry], video_dir: Optional[str],
                   ext: str) -> Tuple[List[Tuple[str, int]], List[str]]:
    """Video paths of the entries: found under ``video_dir`` (any video extension, any sub-folder), or
    ``<stem><ext>`` when no directory is given. Returns (path, label) pairs and the stems not found."""
    index = index_videos(video_dir) if video_dir is not None else None
    found, missing = [], []
    for entry in entries:
        if index is None:
            found.append((entry.stem + ext, entry.label))
        elif entry.stem in index:
            found.append((index[entry.stem], entry.label))
        else:
            missing.append(entry.stem)
    if missing:
        print_log(f'{len(missing)} annotated videos are not in {video_dir} and are left out, e.g. '
                  f'{", ".join(missing[:5])}', logger='current')
    return found, missing


def write_video_list(path: str, videos: Sequence[Tuple[str, int]]) -> None:
    """Write ``<path> <label>`` lines (mmaction2's VideoDataset format)."""
    bad = [video for video, _ in videos if any(c.isspace() for c in video)]
    if bad:
        raise ValueError(f'{path}: video paths must not contain whitespace (VideoDataset splits its lines on '
                         f'it), got {", ".join(map(repr, bad[:3]))}; rename such folders or files, e.g. with '
                         'underscores for spaces')
    mkdir_or_exist(osp.dirname(osp.abspath(path)))
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(f'{video} {label}\n' for video, label in videos)
    print_log(f'wrote {len(videos)} videos to {path}', logger='current')
