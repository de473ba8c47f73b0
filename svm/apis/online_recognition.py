"""Online action recognition: frames in one at a time, the current top-k out after each.

The S-ViT encoder runs in streaming mode (one frame per call, its memory of past keys/values bounded by
its ``memory_len``); the temporal decoder reads the tokens of the last ``window`` frames (by default the
training clip length). Both are bounded, so every frame costs the same however long the video runs.
On the first ``window`` frames of a video, with ``memory_len >= window``, the scores equal those of the
offline recogniser (parallel mode) on the same frames.
"""
import copy
from collections import deque
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmaction.apis import init_recognizer
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from svm.datasets.recognition.pipelines import CROPS_PER_TRANSFORM, split_recognition_pipeline
from svm.utils.checkpoint import enable_safe_checkpoint_io
from .video_sources import SourceLike, VideoSource, check_max_frames, open_video_source


def frame_pipeline_from_test_pipeline(test_pipeline: Sequence[dict]) -> List[dict]:
    """The per-frame spatial transforms of an mmaction2 test pipeline (resize, crop, ...), with multi-crop
    testing replaced by a centre crop of the same size: its frame steps (see
    :func:`svm.datasets.recognition.split_recognition_pipeline`; a stream has no video file to read and no
    clip to pack)."""
    frame_pipeline = []
    for transform in split_recognition_pipeline(test_pipeline).frame_steps:
        if CROPS_PER_TRANSFORM.get(transform['type'], 1) > 1:  # multi-crop views: the one centre crop
            transform = dict(type='CenterCrop', crop_size=transform['crop_size'])
        frame_pipeline.append(dict(transform))
    return frame_pipeline


class OnlineRecognizer:
    """Streaming front end of an :class:`SViTRecognizer` whose backbone streams (``attn_mode`` 'stream'
    or 'space'; the bidirectional 'clip' encoder cannot). The stream's state is its own (the encoder's
    memory in a :class:`~svm.models.layers.StreamingState`, the decoder's window of tokens), so several
    recognisers, and offline use, can share one model; :class:`svm.apis.MultiStreamRecognizer` runs many
    streams in one encoder pass per step.

    Args:
        model: the recogniser, in eval mode.
        frame_pipeline: mmaction2 transforms applied to each RGB frame (e.g. Resize, CenterCrop), see
            :func:`frame_pipeline_from_test_pipeline`.
        topk: how many classes :meth:`step` returns.
        window: frames whose tokens the decoder reads (default: the head's ``num_frames``).
        class_names: optional names, returned with the class indices.
    """

    def __init__(self,
                 model: torch.nn.Module,
                 frame_pipeline: Sequence[dict],
                 topk: int = 5,
                 window: Optional[int] = None,
                 class_names: Optional[Sequence[str]] = None) -> None:
        attn_mode = getattr(model.backbone, 'attn_mode', None)
        if attn_mode == 'clip':
            raise ValueError("OnlineRecognizer: the 'clip' encoder attends to future frames and cannot stream; "
                             "use a model with backbone attn_mode 'stream' or 'space'")
        self.model = model.eval()
        self.window = window or model.cls_head.num_frames
        if model.cls_head.temporal_pos_embed_type == 'learned' and self.window > model.cls_head.num_frames:
            raise ValueError(f'OnlineRecognizer: window={self.window} is longer than the learned temporal position '
                             f'embedding of the head (num_frames={model.cls_head.num_frames})')
        self.topk = min(topk, model.cls_head.num_classes)
        self.class_names = class_names
        with DefaultScope.overwrite_default_scope('mmaction'):
            self.frame_transform = Compose(list(frame_pipeline))
        self.state = model.backbone.init_state()
        self._frame_tokens = deque(maxlen=self.window)
        self.num_frames_seen = 0

    @classmethod
    def from_config(cls,
                    config: Union[str, Path, Config],
                    checkpoint: Optional[str] = None,
                    device: Union[str, torch.device] = 'cpu',
                    **kwargs) -> 'OnlineRecognizer':
        """Build the recogniser of an mmaction2 config (and checkpoint); frames are processed like its
        test pipeline (one centre crop). The checkpoint is read by svm's safe loader."""
        enable_safe_checkpoint_io()  # mmaction2's init_recognizer loads through mmengine
        model = init_recognizer(config, checkpoint, device=device)
        return cls(model, frame_pipeline_from_test_pipeline(model.cfg.test_pipeline), **kwargs)

    @property
    def frame_tokens(self) -> Tuple[torch.Tensor, ...]:
        """The encoder tokens the decoder reads, one (1, P + h*w, C) tensor per frame of the window (P = 1 with a
        class token, else 0), oldest first (at most ``window``)."""
        return tuple(self._frame_tokens)

    def reset(self) -> None:
        """Start a new video: empty the encoder's memory and the decoder's window."""
        self.state.reset()
        self._frame_tokens.clear()
        self.num_frames_seen = 0

    def new_stream(self) -> 'OnlineRecognizer':
        """Another recogniser of the same model and settings, at the start of a video."""
        online = copy.copy(self)
        online.state = self.model.backbone.init_state()
        online._frame_tokens = deque(maxlen=self.window)
        online.num_frames_seen = 0
        return online

    def preprocess(self, frame: np.ndarray) -> torch.Tensor:
        """RGB frame (H, W, 3) uint8 -> normalised model input (1, 3, H', W')."""
        if not (isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3):
            raise ValueError('OnlineRecognizer expects an RGB frame as a numpy array of shape (H, W, 3), got '
                             f'{type(frame).__name__} of shape {getattr(frame, "shape", None)}')
        results = self.frame_transform(
            dict(imgs=[frame], img_shape=frame.shape[:2], ori_shape=frame.shape[:2], modality='RGB'))
        image = torch.from_numpy(np.ascontiguousarray(results['imgs'][0])).permute(2, 0, 1)  # (3, H', W')
        # The data preprocessor normalises exactly as in offline testing: one view, a clip of one frame.
        data = self.model.data_preprocessor(dict(inputs=[image[None, :, None]], data_samples=None))
        return data['inputs'][0, :, :, 0]  # (1, 3, H', W')

    @torch.no_grad()
    def step(self, frame: np.ndarray) -> List[Tuple[Union[int, str], float]]:
        """Feed the next frame; returns the current top-k as (class index or name, score) pairs."""
        tokens, self.state = self.model.backbone(self.preprocess(frame), state=self.state)  # one streaming step
        return self.add_tokens(tokens[-1])

    @torch.no_grad()
    def add_tokens(self, tokens: torch.Tensor) -> List[Tuple[Union[int, str], float]]:
        """Put the encoder's tokens of the next frame, (1, P + h*w, C), into the window; returns the current top-k
        as :meth:`step` does (for frames encoded elsewhere, e.g. in a batch of streams)."""
        self._frame_tokens.append(tokens)
        self.num_frames_seen += 1
        scores, labels = self.scores().topk(self.topk)
        labels = [self.class_names[i] for i in labels.tolist()] if self.class_names else labels.tolist()
        return list(zip(labels, scores.tolist()))

    @torch.no_grad()
    def scores(self) -> torch.Tensor:
        """Scores (num_classes,) of the frames seen so far (the last ``window``), averaged as in testing
        (softmax probabilities for ``average_clips='prob'``)."""
        if not self._frame_tokens:
            raise RuntimeError('OnlineRecognizer.scores: no frame seen since the last reset')
        head = self.model.cls_head
        clip_tokens = torch.stack(tuple(self._frame_tokens), dim=1)  # (1, t, P + h*w, C)
        return head.average_clip(head(clip_tokens), num_segs=1).reshape(-1)


class RecognizedFrame(NamedTuple):
    """One frame of :func:`recognize_video`: its 0-based index, the RGB image (H, W, 3) uint8 as read, and the
    top-k after it as (class index or name, score) pairs."""
    index: int
    image: np.ndarray
    topk: List[Tuple[Union[int, str], float]]


def recognize_video(online: OnlineRecognizer,
                    source: Union[SourceLike, VideoSource],
                    max_frames: Optional[int] = None) -> Iterator[RecognizedFrame]:
    """Stream a video file, a folder of frames, a webcam or a stream URL (see
    :func:`svm.apis.open_video_source`) through ``online`` one frame at a time, from a reset stream; yields a
    :class:`RecognizedFrame` per frame, up to ``max_frames``."""
    check_max_frames(max_frames, 'recognize_video')
    frames = open_video_source(source)
    online.reset()
    for index, frame_bgr in enumerate(frames):
        if max_frames is not None and index >= max_frames:
            break
        frame = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        yield RecognizedFrame(index, frame, online.step(frame))
