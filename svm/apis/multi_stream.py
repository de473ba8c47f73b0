"""Many videos through one model at once: one backbone pass per time step for all streams.

One S-ViT model serves N streams (camera feeds, the videos of a test set) with an explicit streaming state
(:meth:`SViT.init_state`) of N streams: each stream keeps its own key/value memory, frame count, tracker or
decoder window, and streams start, end and restart independently. Each stream gets exactly what it gets
alone (:func:`svm.apis.track_video`, :class:`svm.apis.OnlineRecognizer`), at the cost of one batched pass.

    from svm.apis import init_tracker, track_videos
    model = init_tracker('configs/mot/svm/<config>.py', 'model.pth')
    for step in track_videos(model, ['cam0.mp4', 'cam1.mp4']):
        for stream, frame in step.items():  # the streams that had a frame at this step
            print(stream, frame.index, frame.tracks.ids)

All frames of a step must have the same size after the model's pipeline (they are one batch).
"""
import copy
import itertools
from typing import Dict, Hashable, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dataset import Compose, default_collate
from mmengine.registry import DefaultScope

from .online_recognition import OnlineRecognizer
from .tracking import (TrackedFrame, Tracks, _frame_tracks, _frames_of, check_frame, frame_pipeline,
                       tracker_history_len, trim_tracker_history)
from .video_sources import SourceLike, VideoSource, check_max_frames


class _Streams:
    """The open streams of a batch: their keys in batch order and the backbone's streaming state."""

    def __init__(self, backbone: torch.nn.Module) -> None:
        self.backbone = backbone
        self.state = backbone.init_state()
        self.keys: List[Hashable] = []

    def open(self, key: Hashable) -> None:
        if key in self.keys:
            raise KeyError(f'stream {key!r} is already open (restart() starts a new video in it)')
        self.keys.append(key)
        self.state.add_streams(1)

    def restart(self, key: Hashable) -> None:
        self.state.reset([self.index(key)])

    def close(self, key: Hashable) -> None:
        index = self.index(key)
        self.state.keep([i for i in range(len(self.keys)) if i != index])
        del self.keys[index]

    def index(self, key: Hashable) -> int:
        if key not in self.keys:
            raise KeyError(f'stream {key!r} is not open (open streams: {self.keys})')
        return self.keys.index(key)

    def check_step(self, keys: Iterable[Hashable], caller: str) -> None:
        keys = list(keys)
        if len(keys) != len(self.keys) or set(keys) != set(self.keys):
            raise ValueError(f'{caller}: a step takes one frame of every open stream, {self.keys}; got frames of '
                             f'{list(keys)} (close() a stream that has ended)')


def _check_one_size(inputs: Sequence[torch.Tensor], keys: Sequence[Hashable], caller: str) -> None:
    shapes = {tuple(x.shape) for x in inputs}
    if len(shapes) > 1:
        sizes = ', '.join(f'{k!r}: {tuple(x.shape)}' for k, x in zip(keys, inputs))
        raise ValueError(f'{caller}: the frames of one step are one batch and must have one size after the '
                         f'pipeline, got {sizes}')


class MultiStreamTracker:
    """Track N videos at once with one MOT model from :func:`svm.apis.init_tracker`.

    Per stream: the backbone's memory (a stream of one :class:`StreamingState`) and the tracker (a copy of
    the model's ByteTrack or OC-SORT tracker). Per step, one detector pass over the frames of all open streams.

    Args:
        model: a model from :func:`svm.apis.init_tracker` (an svm MOT model with ``model.cfg``).
        score_thr: return only the tracks scoring at least this.
    """

    def __init__(self, model: torch.nn.Module, score_thr: float = 0.0) -> None:
        if not hasattr(model, 'cfg') or not hasattr(getattr(model.detector, 'backbone', None), 'init_state'):
            raise TypeError('MultiStreamTracker needs a model from svm.apis.init_tracker whose backbone streams '
                            '(an S-ViT)')
        self.model = model.eval()
        self.score_thr = score_thr
        self.scope = model.cfg.get('default_scope', 'mmdet')
        with DefaultScope.overwrite_default_scope(self.scope):
            self.pipeline = Compose(frame_pipeline(model.cfg))
        self._streams = _Streams(model.detector.backbone)
        self._trackers: Dict[Hashable, torch.nn.Module] = {}
        self._frame_index: Dict[Hashable, int] = {}
        self._history_len = tracker_history_len(model.tracker)
        self._video_ids = itertools.count()
        self._video_id: Dict[Hashable, int] = {}

    @property
    def streams(self) -> Tuple[Hashable, ...]:
        """The open streams, in batch order."""
        return tuple(self._streams.keys)

    def open(self, stream: Hashable) -> None:
        """Open a stream at the start of a video."""
        self._streams.open(stream)
        self._trackers[stream] = copy.deepcopy(self.model.tracker)
        self._new_video(stream)

    def restart(self, stream: Hashable) -> None:
        """Start a new video in an open stream: its memory and tracks are forgotten, the others keep theirs."""
        self._streams.restart(stream)
        self._new_video(stream)

    def close(self, stream: Hashable) -> None:
        """End a stream."""
        self._streams.close(stream)
        del self._trackers[stream], self._frame_index[stream], self._video_id[stream]

    def _new_video(self, stream: Hashable) -> None:
        self._trackers[stream].reset()
        self._frame_index[stream] = 0
        self._video_id[stream] = next(self._video_ids)

    @torch.no_grad()
    def step(self, frames: Mapping[Hashable, np.ndarray]) -> Dict[Hashable, Tracks]:
        """Track the next frame of every open stream (BGR uint8 images, as OpenCV reads them); returns each
        stream's tracks."""
        self._streams.check_step(frames, 'MultiStreamTracker.step')
        keys = self._streams.keys
        data = []
        for key in keys:
            image, index = frames[key], self._frame_index[key]
            check_frame(image, index, 'MultiStreamTracker.step')
            sample = dict(img=[image], frame_id=[index], ori_shape=[image.shape[:2]], img_id=[index + 1],
                          video_id=[self._video_id[key]])
            with DefaultScope.overwrite_default_scope(self.scope):
                data.append(self.pipeline(sample))
        _check_one_size([d['inputs'] for d in data], keys, 'MultiStreamTracker.step')
        batch = self.model.data_preprocessor(default_collate(data), False)
        inputs, samples = batch['inputs'], batch['data_samples']  # (N, 1, C, H, W), N one-frame TrackDataSamples
        frame_samples = [sample[0] for sample in samples]
        with self.model.backbone.streaming_with(self._streams.state):
            detections = self.model.detector.predict(inputs[:, 0].contiguous(), frame_samples)
        tracks = {}
        for key, frame_sample, detection in zip(keys, frame_samples, detections):
            tracker = self._trackers[key]
            frame_sample.pred_track_instances = tracker.track(data_sample=detection)
            trim_tracker_history(tracker, self._history_len)
            tracks[key] = _frame_tracks(frame_sample, self.score_thr)
            self._frame_index[key] += 1
        return tracks


def track_videos(model: torch.nn.Module,
                 sources: Sequence[Union[SourceLike, VideoSource, Iterable[np.ndarray]]],
                 score_thr: float = 0.0,
                 max_frames: Optional[int] = None) -> Iterator[Dict[int, TrackedFrame]]:
    """Track several videos at once (see :class:`MultiStreamTracker`): at each step, one frame of every video
    that has not ended; yields ``{video index: TrackedFrame}`` per step. Each video gets the tracks
    :func:`svm.apis.track_video` gives it alone.

    Args:
        model: a model from :func:`svm.apis.init_tracker`.
        sources: the videos, each as :func:`svm.apis.track_video` takes it.
        score_thr: yield only the tracks scoring at least this.
        max_frames: stop each video after this many frames.
    """
    check_max_frames(max_frames, 'track_videos')
    tracker = MultiStreamTracker(model, score_thr)
    videos = {i: iter(_frames_of(source, 'track_videos')) for i, source in enumerate(sources)}
    for i in videos:
        tracker.open(i)
    for index in itertools.count():
        frames = {}
        for i, video in list(videos.items()):
            image = next(video, None) if max_frames is None or index < max_frames else None
            if image is None:
                tracker.close(i)
                del videos[i]
            else:
                frames[i] = image
        if not frames:
            return
        tracks = tracker.step(frames)
        yield {i: TrackedFrame(index, frames[i], tracks[i]) for i in frames}


class MultiStreamRecognizer:
    """Online action recognition of N videos at once with one recogniser: per step one encoder pass over the
    frames of all open streams, and per stream its own memory and decoder window. Each stream's scores equal
    those an :class:`OnlineRecognizer` of the same settings gives it alone.

    Args:
        online: the settings (model, frame pipeline, top-k, window, class names) of an :class:`OnlineRecognizer`;
            its own stream is left alone.
    """

    def __init__(self, online: OnlineRecognizer) -> None:
        self.online = online
        self._streams = _Streams(online.model.backbone)
        self._windows: Dict[Hashable, OnlineRecognizer] = {}

    @property
    def streams(self) -> Tuple[Hashable, ...]:
        """The open streams, in batch order."""
        return tuple(self._streams.keys)

    def open(self, stream: Hashable) -> None:
        """Open a stream at the start of a video."""
        self._streams.open(stream)
        self._windows[stream] = self.online.new_stream()

    def restart(self, stream: Hashable) -> None:
        """Start a new video in an open stream."""
        self._streams.restart(stream)
        self._windows[stream].reset()

    def close(self, stream: Hashable) -> None:
        """End a stream."""
        self._streams.close(stream)
        del self._windows[stream]

    @torch.no_grad()
    def step(self, frames: Mapping[Hashable, np.ndarray]) -> Dict[Hashable, List[Tuple[Union[int, str], float]]]:
        """Feed the next RGB frame (H, W, 3) uint8 of every open stream; returns each stream's current top-k as
        (class index or name, score) pairs."""
        self._streams.check_step(frames, 'MultiStreamRecognizer.step')
        keys = self._streams.keys
        inputs = [self.online.preprocess(frames[key]) for key in keys]
        _check_one_size(inputs, keys, 'MultiStreamRecognizer.step')
        tokens, _ = self.online.model.backbone(torch.cat(inputs), state=self._streams.state)
        return {key: self._windows[key].add_tokens(tokens[-1][i:i + 1]) for i, key in enumerate(keys)}
