"""Tracking and online action recognition from one streaming S-ViT pass per frame.

The paper's thesis is that one streaming encoder serves frame-based tasks (tracking) and sequence-based
tasks (action recognition) at once. :class:`StreamingByteTrackRecognizer` is the streaming ByteTrack model
with a second head: each frame goes through the backbone once; its feature maps feed the detector and the
tracker as in :class:`StreamingByteTrack`, and the normed tokens of the last backbone output (the same tensor
that an :class:`SViTRecognizer` with ``out_type='tokens'`` hands its head) join a window of the last N
frames, which a temporal decoder head turns into the video's running action scores.

Training is in two stages, each with the ordinary tools (configs/track_recognition/svm/): the tracker alone, then the
action head as an SViTRecognizer on the tracker's frozen backbone (``freeze_backbone=True``, initialised
from the tracker's checkpoint); :func:`assemble_track_recognizer_state` joins the two checkpoints. A frozen
backbone keeps the tracker exactly as trained and makes the second stage cheap (no backward pass through
the encoder); the price is an encoder that was never trained for the actions.
"""
import os.path as osp
from collections import deque
from typing import Dict, Mapping, Optional, Tuple

import torch
from mmdet.structures import DetDataSample, TrackSampleList
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import save_checkpoint
from torch import Tensor

from svm.registry import MMACTION_MODELS, MMDET_MODELS
from svm.utils.checkpoint import add_checksum, enable_safe_checkpoint_io, load_checkpoint_file
from svm.utils.output_files import check_not_an_input
from svm.utils.setup_env import register_all_modules
from .streaming_mot import StreamingByteTrack


@MMDET_MODELS.register_module()
class StreamingByteTrackRecognizer(StreamingByteTrack):
    """ByteTrack and an online action head sharing one streaming S-ViT pass per frame.

    Per frame (``predict``), the frame sample gets ``pred_track_instances`` (as :class:`StreamingByteTrack`)
    and ``pred_action_scores`` (num_classes,): the head's scores over the tokens of the last
    ``action_window`` frames of the video (fewer at its start), averaged as the head averages test views
    (softmax probabilities for ``average_clips='prob'``). A new video empties the window with the memory.

    Args:
        detector: detector config whose backbone is a streaming SViT.
        tracker: tracker config (ByteTracker).
        action_head: mmaction2 head config that reads (N, T, P + h*w, C) frame tokens, e.g.
            ``TemporalDecoderHead``; built in the mmaction scope.
        action_window: frames whose tokens the head reads (default: the head's ``num_frames``).
        clip_forward, data_preprocessor, init_cfg: as :class:`StreamingByteTrack`.
    """

    def __init__(self,
                 *,
                 detector: dict,
                 tracker: dict,
                 action_head: dict,
                 action_window: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(detector=detector, tracker=tracker, **kwargs)
        register_all_modules('recognition')  # the head is a recognition module, whatever the config imported
        with DefaultScope.overwrite_default_scope('mmaction'):  # its losses are mmaction2's
            self.action_head = MMACTION_MODELS.build(action_head)
        head, backbone = self.action_head, self.backbone
        self.action_window = action_window or head.num_frames
        if self.action_window < 1:
            raise ValueError(f'action_window must be >= 1, got {self.action_window}')
        if getattr(head, 'temporal_pos_embed_type', None) == 'learned' and self.action_window > head.num_frames:
            raise ValueError(f'action_window={self.action_window} is longer than the learned temporal position '
                             f'embedding of the action head (num_frames={head.num_frames})')
        if head.num_prefix_tokens != int(backbone.with_cls_token):
            raise ValueError(f'the action head expects frame tokens {"with" if head.num_prefix_tokens else "without"} '
                             f'a class token, but the backbone has with_cls_token={backbone.with_cls_token}')
        if head.in_channels != backbone.embed_dims:
            raise ValueError(f'the action head reads {head.in_channels} channels, the backbone gives '
                             f'{backbone.embed_dims}')
        # The detector calls the backbone itself; a hook on the norm of the backbone's last output reads the
        # tokens of that same pass (before they become a feature map), so any mmdet detector works unchanged.
        backbone.out_norms[-1].register_forward_hook(self._tap_tokens)
        self._tapping = False
        self._tapped: Optional[Tensor] = None
        self._window: deque = deque(maxlen=self.action_window)

    def _tap_tokens(self, module: torch.nn.Module, args: tuple, output: Tensor) -> None:
        if self._tapping:
            self._tapped = output

    def loss(self, inputs: Tensor, data_samples: TrackSampleList, **kwargs) -> dict:
        raise NotImplementedError(
            'StreamingByteTrackRecognizer is assembled from two trained models, not trained as one: train the '
            'tracker config, then the action head config (an SViTRecognizer with freeze_backbone=True) from '
            'its checkpoint, and join them with tools/model_converters/assemble_track_recognizer.py '
            '(configs/track_recognition/svm/, docs/track_recognition.md)')

    def start_video(self, frame_sample: DetDataSample) -> bool:
        """Reset memory, tracker and action window if ``frame_sample`` opens a new video."""
        new_video = super().start_video(frame_sample)
        if new_video:
            self._window.clear()
        return new_video

    def predict_frame(self, frame: Tensor, frame_sample: DetDataSample, **kwargs) -> None:
        """Track ``frame`` (1, C, H, W) and score the actions of the window it ends, from one backbone pass;
        sets ``pred_track_instances`` and ``pred_action_scores`` (num_classes,) on ``frame_sample``."""
        self._tapped, self._tapping = None, True
        try:
            super().predict_frame(frame, frame_sample, **kwargs)
        finally:
            self._tapping = False
        if self._tapped is None:
            raise RuntimeError('the detector did not run the backbone whose tokens the action head reads')
        self._window.append(self._tapped)
        self._tapped = None
        frame_sample.pred_action_scores = self.action_scores()

    @torch.no_grad()
    def action_scores(self) -> Tensor:
        """Scores (num_classes,) of the frames in the window, oldest first, as the head averages a test view."""
        if not self._window:
            raise RuntimeError('action_scores: no frame seen since the video started')
        tokens = torch.stack(tuple(self._window), dim=1)  # (1, t, P + h*w, C)
        return self.action_head.average_clip(self.action_head(tokens), num_segs=1).reshape(-1)


def assemble_track_recognizer_state(tracker_state: Mapping[str, Tensor],
                                    recognizer_state: Mapping[str, Tensor]) -> Dict[str, Tensor]:
    """The state dict of a :class:`StreamingByteTrackRecognizer` from its two trained parts.

    Args:
        tracker_state: a StreamingByteTrack's state dict (``detector.backbone.*``, ``detector.neck.*``, ...).
        recognizer_state: an SViTRecognizer's state dict (``backbone.*``, ``cls_head.*``) whose head was trained
            on the tracker's frozen backbone.

    Returns:
        The tracker's entries and the recogniser's head as ``action_head.*``.

    Raises:
        KeyError: a backbone entry of the recogniser that the tracker lacks, or no ``cls_head.*`` entry.
        ValueError: a backbone tensor that differs from the tracker's: the head was trained on another backbone
            (one that was not frozen, or initialised from another checkpoint), so one pass cannot serve both.
    """
    head = {key[len('cls_head.'):]: value for key, value in recognizer_state.items() if key.startswith('cls_head.')}
    if not head:
        raise KeyError('the recogniser checkpoint has no cls_head.* entries: is it an SViTRecognizer\'s?')
    for key, value in recognizer_state.items():
        if not key.startswith('backbone.'):
            continue
        tracker_key = 'detector.' + key
        if tracker_key not in tracker_state:
            raise KeyError(f'the recogniser\'s {key} has no counterpart {tracker_key} in the tracker: the two '
                           'backbones differ in architecture')
        theirs = tracker_state[tracker_key]
        if theirs.shape != value.shape or not torch.equal(theirs, value):
            diff = (f'shape {tuple(value.shape)} vs {tuple(theirs.shape)}' if theirs.shape != value.shape else
                    f'largest difference {(theirs.float() - value.float()).abs().max().item():.3g}')
            raise ValueError(f'the recogniser\'s {key} differs from the tracker\'s {tracker_key} ({diff}): its '
                             'head was trained on another backbone; train it with freeze_backbone=True from this '
                             'tracker\'s checkpoint')
    state = dict(tracker_state)
    state.update({'action_head.' + key: value for key, value in head.items()})
    return state


def _read_checkpoint(filename: str) -> Tuple[Dict[str, Tensor], dict]:
    """The state dict and the meta of a checkpoint file, read with svm's safe loader."""
    checkpoint = load_checkpoint_file(filename, map_location='cpu')
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise TypeError(f'{filename} holds no state dict of tensors')
    meta = checkpoint.get('meta') if 'state_dict' in checkpoint else None
    return state, meta if isinstance(meta, dict) else {}


def assemble_track_recognizer_checkpoint(tracker_file: str, recognizer_file: str, out_file: str,
                                         overwrite: bool = False) -> Dict[str, int]:
    """Write the checkpoint of a :class:`StreamingByteTrackRecognizer` from the tracker's and the action-head
    recogniser's checkpoints (:func:`assemble_track_recognizer_state`; errors name the file).

    The output holds ``state_dict`` and ``meta`` (the tracker's ``dataset_meta``, the two source files and the
    tensors' checksum that svm's loader verifies), written atomically like every checkpoint svm saves.
    Returns how many entries came from each part (``tracker``, ``action_head``). ``out_file`` may be one of the
    inputs only with ``overwrite`` (else ``FileExistsError``, before anything is read).
    """
    check_not_an_input(out_file, [tracker_file, recognizer_file], overwrite)
    (tracker_state, tracker_meta), (recognizer_state, _) = map(_read_checkpoint, (tracker_file, recognizer_file))
    try:
        state = assemble_track_recognizer_state(tracker_state, recognizer_state)
    except (KeyError, ValueError) as err:
        raise type(err)(f'{recognizer_file} does not fit {tracker_file}: {err.args[0]}') from None
    meta = dict(parts=dict(tracker=osp.abspath(tracker_file), action_head=osp.abspath(recognizer_file)))
    if isinstance(tracker_meta.get('dataset_meta'), dict):
        meta['dataset_meta'] = tracker_meta['dataset_meta']
    checkpoint = dict(meta=meta, state_dict=state)
    add_checksum(checkpoint)
    enable_safe_checkpoint_io()
    save_checkpoint(checkpoint, out_file)  # through svm's atomic local file backend
    return dict(tracker=len(tracker_state), action_head=len(state) - len(tracker_state))
