"""High-level tracking: build a tracker from a config, then track a video file, a frame folder, a webcam or
a stream, one frame at a time.

    from svm.apis import init_tracker, track_video
    tracker = init_tracker('configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-15e_synthetic-mot.py', 'epoch_15.pth')
    for index, image, tracks in track_video(tracker, 'video.mp4'):   # or a folder, 0 (webcam), 'rtsp://...'
        print(index, tracks.ids, tracks.bboxes)

A tracker with an action head (:class:`svm.models.mot.StreamingByteTrackRecognizer`) also scores the video's
action online, from the same backbone pass: :func:`svm.apis.inference_track_recognizer`.

Each frame goes through the config's test pipeline (as ``tools/test.py`` reads it, with the image given
instead of loaded), the streaming backbone (one step: its memory holds at most ``memory_len`` frames) and
the tracker. The tracker's per-track history is cut to what it reads (ByteTrack and OC-SORT), so nothing
grows with the length of the video: every frame costs the same. Each call of :func:`track_video` starts a
new video: the backbone's memory and the tracker are reset.

mmdet's own ``init_track_model`` / ``inference_mot`` do not set the registry scope: call
``mmengine.registry.init_default_scope('mmdet')`` before them (``init_tracker`` sets it from the config).
"""
import copy
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple, Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.registry import DefaultScope, init_default_scope

from svm.models.builder import build_model_from_cfg
from svm.utils.checkpoint import check_checkpoint_fits, load_checkpoint_file
from .video_sources import SourceLike, VideoSource, check_max_frames, open_video_source

_video_counter = itertools.count()


@dataclass(frozen=True)
class Tracks:
    """The tracks of one frame: ``bboxes`` (n, 4) float32 x1, y1, x2, y2 in pixels of the input frame,
    ``scores`` (n,) float32, ``ids`` (n,) int64 track ids, ``labels`` (n,) int64 class indices."""
    bboxes: np.ndarray
    scores: np.ndarray
    ids: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


class TrackedFrame(NamedTuple):
    """One frame of :func:`track_video`: its 0-based index, the BGR image as read, and its tracks."""
    index: int
    image: np.ndarray
    tracks: Tracks


def init_tracker(config: Union[str, Path, Config],
                 checkpoint: Optional[str] = None,
                 device: Union[str, torch.device] = 'cpu',
                 cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the MOT model of an mmdet config for streaming: eval mode, on ``device``.

    Sets the config's ``default_scope`` (``'mmdet'`` for svm's MOT configs) as the registry scope, which
    mmdet's ``init_track_model`` does not do, and imports its ``custom_imports``. The weights of
    ``checkpoint`` are read with svm's safe loader and must fit the model exactly: a missing, unexpected
    or mis-shaped key raises a ``KeyError`` naming it. Without a checkpoint the model keeps its random
    initialisation. The model gets the config as ``model.cfg`` and the checkpoint's ``dataset_meta``
    (``{'classes': None}`` without one).
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a file name or a Config, got {type(config).__name__}')
    else:
        config = copy.deepcopy(config)
    if cfg_options:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'mmdet'))  # the test pipeline is built in it too
    model = build_model_from_cfg(config)
    if not hasattr(model, 'tracker'):
        raise TypeError(f'{config.filename or "config"}: model {type(model).__name__} is not a tracker '
                        '(no .tracker): use a MOT config')
    if checkpoint is not None:
        _load_strictly(model, checkpoint)
    if not hasattr(model, 'dataset_meta'):
        model.dataset_meta = dict(classes=None)  # as mmdet's init_track_model: the visualiser reads it
    model.cfg = config
    model.to(device)
    model.eval()
    return model


def _load_strictly(model: torch.nn.Module, filename: str) -> None:
    ckpt = load_checkpoint_file(str(filename), map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise TypeError(f'{filename} holds a {type(ckpt).__name__}, not a state dict')
    state = {key[len('module.'):] if key.startswith('module.') else key: value for key, value in state.items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError:
        check_checkpoint_fits(model, str(filename))  # raises a KeyError that names the keys
        raise
    meta = ckpt.get('meta') or {}
    if isinstance(meta, dict) and isinstance(meta.get('dataset_meta'), dict):
        dataset_meta = dict(meta['dataset_meta'])
        if 'CLASSES' in dataset_meta:
            dataset_meta['classes'] = dataset_meta.pop('CLASSES')
        model.dataset_meta = dataset_meta


def frame_pipeline(cfg: Config) -> list:
    """The test pipeline of a MOT config for a frame given as an array: the dataset's test pipeline with
    ``LoadImageFromFile`` replaced by ``LoadImageFromNDArray`` and the annotation loading left out.

    Unlike mmdet's ``inference_mot``, which keeps only ``Resize``, the other steps (``Pad`` with the
    training fill, ...) stay, so a frame is processed exactly as ``tools/test.py`` processes it.
    """
    pipeline = cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline') or cfg.get('test_pipeline')
    if not pipeline:
        raise ValueError('the config has no test pipeline (test_dataloader.dataset.pipeline or test_pipeline)')

    def convert(transforms):
        out = []
        for transform in transforms:
            transform = dict(transform)
            kind = transform.get('type', '')
            kind = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
            if kind == 'LoadImageFromFile':
                transform = dict(type='LoadImageFromNDArray', to_float32=transform.get('to_float32', False))
            elif 'Annotations' in kind:
                continue
            elif isinstance(transform.get('transforms'), (list, tuple)):
                transform['transforms'] = convert(transform['transforms'])
            out.append(transform)
        return out

    return convert(pipeline)


def tracker_history_len(tracker) -> Optional[int]:
    """How many past frames of each track mmdet's ByteTracker / OCSORTTracker read (None: another tracker,
    whose history is left as it is). ``num_frames_retain`` covers a track's run of missed frames (it is
    dropped after that many), ``num_tentatives`` its confirmation and ``vel_delta_t`` OC-SORT's velocity."""
    from mmdet.models.trackers import ByteTracker, OCSORTTracker
    if not isinstance(tracker, (ByteTracker, OCSORTTracker)):
        return None
    return max(tracker.num_frames_retain, getattr(tracker, 'num_tentatives', 1),
               getattr(tracker, 'vel_delta_t', 0) + 1) + 1


def trim_tracker_history(tracker, keep: Optional[int]) -> None:
    """Keep the last ``keep`` entries of every per-frame list of every track (mmdet's trackers append to
    them for every frame a track lives, which grows without bound on a long video). What ByteTracker and
    OC-SORT compute is unchanged when ``keep >= tracker_history_len(tracker)``."""
    if keep is None:
        return
    momentums = tracker.momentums or {}
    items = [k for k in getattr(tracker, 'memo_items', ()) if k not in momentums] + ['obs']
    for track in tracker.tracks.values():
        for key in items:
            history = track.get(key)
            if isinstance(history, list) and len(history) > keep:
                del history[:len(history) - keep]


def _frame_tracks(frame_sample, score_thr: float) -> Tracks:
    pred = frame_sample.pred_track_instances
    keep = pred.scores >= score_thr
    return Tracks(bboxes=pred.bboxes[keep].detach().cpu().numpy().astype(np.float32).reshape(-1, 4),
                  scores=pred.scores[keep].detach().cpu().numpy().astype(np.float32),
                  ids=pred.instances_id[keep].detach().cpu().numpy().astype(np.int64),
                  labels=pred.labels[keep].detach().cpu().numpy().astype(np.int64))


def reset_tracker(tracker: torch.nn.Module) -> None:
    """Start a new video: empty the streaming backbone's memory and the tracker."""
    backbone = getattr(getattr(tracker, 'detector', None), 'backbone', None)
    if hasattr(backbone, 'reset_memory'):
        backbone.reset_memory()
    tracker.tracker.reset()
    if hasattr(tracker, '_video_id'):
        tracker._video_id = None


def _frames_of(source: Union[SourceLike, VideoSource, Iterable[np.ndarray]], caller: str) -> Iterable[np.ndarray]:
    if isinstance(source, (str, int, Path, VideoSource)):
        return open_video_source(source)
    if isinstance(source, np.ndarray) and source.ndim == 3:
        raise TypeError(f'{caller} takes a video (a path, URL, webcam index or an iterable of frames), '
                        'got a single image: pass [image]')
    return source


def track_video(tracker: torch.nn.Module,
                source: Union[SourceLike, VideoSource, Iterable[np.ndarray]],
                score_thr: float = 0.0,
                max_frames: Optional[int] = None) -> Iterator[TrackedFrame]:
    """Track a video frame by frame; yields a :class:`TrackedFrame` ``(index, image, tracks)`` per frame.

    Args:
        tracker: a model from :func:`init_tracker` (an mmdet MOT model with ``model.cfg``).
        source: a video file, a folder of frames, a webcam index (``0`` or ``'0'``), a stream URL
            (``rtsp://``, ``http(s)://``, ...; see :func:`svm.apis.open_video_source`), an opened
            :class:`VideoSource`, or any iterable of BGR uint8 frames (H, W, 3).
        score_thr: yield only the tracks scoring at least this (the tracker's own thresholds apply first).
        max_frames: stop after this many frames (e.g. for a webcam).

    The backbone's memory and the tracker are reset when the iteration starts, so each call tracks a new
    video and gives the same tracks for the same frames. The model is the stream's state: two calls on
    one model cannot be iterated in turn (the older one raises ``RuntimeError``); to track several videos
    with one model, use :func:`svm.apis.track_videos`.
    """
    if not hasattr(tracker, 'cfg'):
        raise TypeError('track_video needs a model from svm.apis.init_tracker (with the config as model.cfg)')
    check_max_frames(max_frames, 'track_video')
    frames = _frames_of(source, 'track_video')
    return (TrackedFrame(index, image, _frame_tracks(frame_sample, score_thr))
            for index, image, frame_sample in _stream(tracker, frames, max_frames))


def check_frame(image, index: int, caller: str) -> None:
    """Refuse, naming ``caller`` and the frame, what is not a BGR uint8 image (H, W, 3)."""
    if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3):
        raise ValueError(f'{caller}: frame {index} is not a BGR image (H, W, 3), got '
                         f'{type(image).__name__} of shape {getattr(image, "shape", None)}')
    if image.dtype != np.uint8:
        # float frames in [0, 1] would be read as nearly black 0-255 images, without an error
        values = f'values {image.min():.3g} to {image.max():.3g}' if image.size else 'no values'
        raise ValueError(f'{caller}: frame {index} has dtype {image.dtype} ({values}); frames are BGR '
                         'uint8 images with values 0-255 as OpenCV reads them (convert [0, 1] floats with '
                         '(frame * 255).round().astype(np.uint8))')


def _stream(tracker, frames, max_frames: Optional[int]) -> Iterator[tuple]:
    """Run the model's test step on each frame in turn; yields ``(index, image, frame_sample)``, the frame
    sample carrying the model's predictions for that frame."""
    scope = tracker.cfg.get('default_scope', 'mmdet')
    with DefaultScope.overwrite_default_scope(scope):
        pipeline = Compose(frame_pipeline(tracker.cfg))
    history_len = tracker_history_len(tracker.tracker)
    video_id = next(_video_counter)
    tracker._svm_track_video = video_id  # the call that owns the stream
    reset_tracker(tracker)
    for index, image in enumerate(frames):
        if max_frames is not None and index >= max_frames:
            break
        if getattr(tracker, '_svm_track_video', None) != video_id:
            raise RuntimeError('track_video: another track_video call started on this model; the model holds '
                               "one video's memory at a time (svm.apis.track_videos tracks several at once)")
        check_frame(image, index, 'track_video')
        data = dict(img=[image], frame_id=[index], ori_shape=[image.shape[:2]], img_id=[index + 1],
                    video_id=[video_id])
        with DefaultScope.overwrite_default_scope(scope):
            data = pipeline(data)
        with torch.no_grad():
            result = tracker.test_step(default_collate([data]))[0]
        trim_tracker_history(tracker.tracker, history_len)
        yield index, image, result.video_data_samples[0]

