"""Track recognition: tracking and online action recognition from one backbone pass per frame (a track
recognizer, :class:`svm.models.mot.StreamingByteTrackRecognizer`), and the two separate models it replaces.

    from svm.apis import inference_track_recognizer, init_tracker
    model = init_tracker('configs/track_recognition/svm/bytetrack-action-head_svit-tiny_yolox_synthetic-mot-flow.py',
                         'track_recognizer.pth')
    for frame in inference_track_recognizer(model, 'video.mp4', topk=2):   # or a folder, 0 (webcam), 'rtsp://...'
        print(frame.index, frame.tracks.ids, frame.topk)
"""
import copy
from typing import Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.registry import DefaultScope

from svm.datasets.recognition.pipelines import pipeline_steps
from .online_recognition import OnlineRecognizer
from .tracking import Tracks, _frame_tracks, _frames_of, _stream, frame_pipeline, init_tracker
from .video_sources import SourceLike, VideoSource, check_max_frames

TopK = List[Tuple[Union[int, str], float]]


class TrackedActionFrame(NamedTuple):
    """One frame of :func:`inference_track_recognizer`: its 0-based index, the BGR image as read, its tracks, the
    action scores (num_classes,) over the window of frames it ends, and their top-k as (class index or name,
    score) pairs."""
    index: int
    image: np.ndarray
    tracks: Tracks
    action_scores: np.ndarray
    topk: TopK


def _check_track_recognizer(model: torch.nn.Module, caller: str) -> None:
    if not hasattr(model, 'cfg') or not hasattr(model, 'action_head'):
        raise TypeError(f'{caller} needs a tracker with an action head (StreamingByteTrackRecognizer) from '
                        f'svm.apis.init_tracker, got {type(model).__name__}')


def inference_track_recognizer(model: torch.nn.Module,
                               source: Union[SourceLike, VideoSource, Iterable[np.ndarray]],
                               score_thr: float = 0.0,
                               topk: int = 1,
                               max_frames: Optional[int] = None) -> Iterator[TrackedActionFrame]:
    """Track a video and recognise its action online, from one backbone pass per frame.

    Args:
        model: a :class:`svm.models.mot.StreamingByteTrackRecognizer` from :func:`svm.apis.init_tracker`.
        source, score_thr, max_frames: as :func:`svm.apis.track_video`.
        topk: how many classes each frame's top-k holds, named by the config's ``action_classes`` if it has them.

    Yields a :class:`TrackedActionFrame` per frame. As :func:`svm.apis.track_video`, each call starts a new
    video (the memory, the tracker and the action window are reset).
    """
    _check_track_recognizer(model, 'inference_track_recognizer')
    check_max_frames(max_frames, 'inference_track_recognizer')
    frames = _frames_of(source, 'inference_track_recognizer')
    return _track_recognition_frames(model, frames, score_thr, min(topk, model.action_head.num_classes), max_frames)


def _track_recognition_frames(model, frames, score_thr: float, k: int,
                         max_frames: Optional[int]) -> Iterator[TrackedActionFrame]:
    class_names = model.cfg.get('action_classes')
    for index, image, frame_sample in _stream(model, frames, max_frames):
        scores = frame_sample.pred_action_scores
        top_scores, top_labels = scores.topk(k)
        labels = [class_names[i] for i in top_labels.tolist()] if class_names else top_labels.tolist()
        yield TrackedActionFrame(index, image, _frame_tracks(frame_sample, score_thr), scores.cpu().numpy(),
                                 list(zip(labels, top_scores.tolist())))


def recognizer_frame_pipeline(cfg) -> List[dict]:
    """The per-frame transforms of an online recogniser that sees frames as a MOT config's test pipeline
    resizes them: its ``Resize`` steps as mmaction2's (same scale and aspect rule). Padding is left out: with
    frame sizes that are multiples of the size divisor (as in configs/track_recognition/svm/) it changes nothing."""
    return [dict(type='Resize', scale=step['scale'], keep_ratio=step.get('keep_ratio', False))
            for step in pipeline_steps(frame_pipeline(cfg)) if step['type'] == 'Resize']


def separate_models(model: torch.nn.Module) -> Tuple[torch.nn.Module, OnlineRecognizer]:
    """The two models that a track recognizer replaces, with its weights, each with a backbone (and memory) of its own:

    - the tracker alone: a ``StreamingByteTrack`` of the same config without the action head;
    - the recogniser alone: an ``SViTRecognizer`` whose backbone is the tracker's in token mode and whose head
      is the action head, streamed by an :class:`OnlineRecognizer` over the last ``action_window`` frames,
      frames resized as the tracker resizes them (:func:`recognizer_frame_pipeline`) and normalised with the
      tracker's statistics.

    Given the same frames, their tracks and scores equal the track recognizer's (tests/apis); each frame costs
    them two backbone passes. Both are in eval mode on the track recognizer's device.
    """
    _check_track_recognizer(model, 'separate_models')
    from mmaction.registry import MODELS as MMACTION_MODELS
    cfg = copy.deepcopy(model.cfg)
    joint = cfg.model
    cfg.model = dict(joint, type='StreamingByteTrack')
    for key in ('action_head', 'action_window'):
        cfg.model.pop(key, None)
    state = model.state_dict()
    device = next(model.parameters()).device
    tracker = init_tracker(cfg, device=device)
    tracker.load_state_dict({k: v for k, v in state.items() if not k.startswith('action_head.')}, strict=True)

    backbone = dict(joint.detector.backbone, out_type='tokens', pretrained=None)
    backbone.pop('init_cfg', None)
    preprocessor = joint.data_preprocessor
    recognizer_cfg = dict(
        type='SViTRecognizer', backbone=backbone, cls_head=joint.action_head,
        data_preprocessor=dict(type='ActionDataPreprocessor', mean=preprocessor.mean, std=preprocessor.std,
                               format_shape='NCTHW'))  # frames come RGB: no channel swap
    with DefaultScope.overwrite_default_scope('mmaction'):
        recognizer = MMACTION_MODELS.build(recognizer_cfg)
    recognizer.load_state_dict(
        {**{k[len('detector.'):]: v for k, v in state.items() if k.startswith('detector.backbone.')},
         **{'cls_head.' + k[len('action_head.'):]: v for k, v in state.items() if k.startswith('action_head.')}},
        strict=True)
    recognizer.to(device)
    online = OnlineRecognizer(recognizer.eval(), recognizer_frame_pipeline(model.cfg), window=model.action_window,
                              class_names=model.cfg.get('action_classes'))
    return tracker, online
