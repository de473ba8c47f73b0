"""The official annotation files of Kinetics-400 and Something-Something V2 as mmaction2 video lists
(tools/dataset_converters/k400_to_mmaction.py, ssv2_to_mmaction.py).

Kinetics-400: the CSV files of the CVDF / DeepMind release (``train.csv``, ``validate.csv``, ``test.csv``) have
the columns ``label,youtube_id,time_start,time_end,split[,is_cc]``; the released clips are named
``<youtube_id>_<time_start:06d>_<time_end:06d>.mp4``.

Something-Something V2: ``something-something-v2-labels.json`` maps each of the 174 class templates (without
brackets) to its index as a string; ``something-something-v2-{train,validation}.json`` list the videos as
``{"id": "78687", "template": "Holding [something] next to [something]", ...}``. A video's class is its
template with the brackets removed; its file is ``<id>.webm``. The test split has no templates.

Each line of a list is ``<video path relative to the video folder> <class index>``
(:func:`svm.datasets.recognition.write_video_list`).
"""
import csv
import json
import os.path as osp
from typing import Dict, List, Optional

from svm.utils.progress import track_iter_progress

from .annotation_lists import VideoEntry, read_label_map, resolve_videos, write_label_map, write_video_list

# --- Kinetics-400 -------------------------------------------------------------------------------------------
REQUIRED_COLUMNS = ('label', 'youtube_id', 'time_start', 'time_end')


def clip_name(youtube_id: str, time_start: str, time_end: str) -> str:
    """File stem of a released Kinetics clip, e.g. ``abc_000010_000020``."""
    return f'{youtube_id}_{int(float(time_start)):06d}_{int(float(time_end)):06d}'


def read_k400_csv(path: str) -> List[dict]:
    """Rows of an official Kinetics CSV, after checking its columns."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Kinetics CSV not found: {path}')
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f'{path}: missing column(s) {missing}; expected the official Kinetics CSV header '
                             f'{",".join(REQUIRED_COLUMNS)},split (the label-less test.csv of the first release '
                             'cannot be converted)')
        return list(reader)


def convert_k400_csv(csv_path: str, out_path: str, label_map: str, video_dir: Optional[str] = None,
                     ext: str = '.mp4') -> int:
    """Write the video list of one official Kinetics CSV (class indices from the ``label_map`` file, written
    from the CSV's classes in alphabetical order when it does not exist); returns the number of videos
    listed (with ``video_dir``: those found there)."""
    rows = read_k400_csv(csv_path)
    if osp.isfile(label_map):
        class_names = read_label_map(label_map)
    else:
        class_names = sorted({row['label'] for row in rows})
        write_label_map(label_map, class_names)
    class_index = {name: i for i, name in enumerate(class_names)}

    entries = []
    for line_no, row in enumerate(track_iter_progress(rows), 2):
        if row['label'] not in class_index:
            raise ValueError(f'{csv_path}:{line_no}: class {row["label"]!r} is not in the label map {label_map}')
        try:
            stem = clip_name(row['youtube_id'], row['time_start'], row['time_end'])
        except ValueError:
            raise ValueError(f'{csv_path}:{line_no}: time_start/time_end must be numbers, got '
                             f'{row["time_start"]!r}, {row["time_end"]!r}') from None
        entries.append(VideoEntry(stem, class_index[row['label']]))
    videos, _ = resolve_videos(entries, video_dir, ext)
    write_video_list(out_path, videos)
    return len(videos)


# --- Something-Something V2 ---------------------------------------------------------------------------------
def _load_json(path: str, kind: str):
    if not osp.isfile(path):
        raise FileNotFoundError(f'Something-Something V2 {kind} file not found: {path}')
    with open(path, encoding='utf-8') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path}: not a json file ({e})') from None


def load_ssv2_labels(path: str) -> Dict[str, int]:
    """Class template (no brackets) -> class index, checked to be 0..n-1."""
    labels = _load_json(path, 'labels')
    if not isinstance(labels, dict):
        raise ValueError(f'{path}: expected a json object mapping class templates to indices')
    try:
        labels = {name: int(index) for name, index in labels.items()}
    except ValueError:
        raise ValueError(f'{path}: class indices must be integers') from None
    if sorted(labels.values()) != list(range(len(labels))):
        raise ValueError(f'{path}: class indices must be 0..{len(labels) - 1}, each once')
    return labels


def convert_ssv2_split(split_json: str, out_path: str, labels_json: str, video_dir: Optional[str] = None,
                       ext: str = '.webm', label_map_out: Optional[str] = None) -> int:
    """Write the video list of one official split (class indices from ``labels_json``, and with
    ``label_map_out`` the class names in index order); returns the number of videos listed (with
    ``video_dir``: those found there)."""
    labels = load_ssv2_labels(labels_json)
    videos = _load_json(split_json, 'split')
    if not isinstance(videos, list):
        raise ValueError(f'{split_json}: expected a json list of videos')
    entries: List[VideoEntry] = []
    for i, video in enumerate(track_iter_progress(videos)):
        if 'id' not in video or 'template' not in video:
            raise ValueError(f'{split_json}: video #{i} ({video.get("id", "no id")}) has no "id" or "template" '
                             '(the test split carries no labels and cannot be converted)')
        template = video['template'].replace('[', '').replace(']', '')
        if template not in labels:
            raise ValueError(f'{split_json}: video {video["id"]} has template {template!r}, which is not a class '
                             f'of {labels_json}')
        entries.append(VideoEntry(str(video['id']), labels[template]))
    found, _ = resolve_videos(entries, video_dir, ext)
    write_video_list(out_path, found)
    if label_map_out:
        write_label_map(label_map_out, sorted(labels, key=labels.get))
    return len(found)
