"""MOT models whose detector runs on a streaming S-ViT backbone."""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmdet.models.mot import ByteTrack, OCSORT
from mmdet.structures import DetDataSample, TrackSampleList
from torch import Tensor

from svm.registry import MMDET_MODELS

CLIP_FORWARDS = ('parallel', 'stream')


def _mean_losses(per_frame: List[Dict[str, Union[Tensor, List[Tensor]]]]) -> dict:
    """Average loss dicts of the frames of a clip, key by key (lists element-wise)."""
    out = {}
    for key, value in per_frame[0].items():
        values = [losses[key] for losses in per_frame]
        if isinstance(value, (list, tuple)):
            out[key] = [torch.stack(v).mean(0) for v in zip(*values)]
        else:
            out[key] = torch.stack(values).mean(0)
    return out


class StreamingMOTMixin:
    """Streaming behaviour shared by the MOT models: clips for training, frame streams for testing.

    Training: a sample is a clip, ``inputs`` (N, T, C, H, W). With ``clip_forward='parallel'`` the
    detector gets the 5-D clip, which the S-ViT backbone encodes in its parallel form (causal
    memory over the clip, from an empty memory) and returns frame-major features (row b*T + t);
    every frame carries its detection loss. With ``'stream'`` the frames go through one at a time
    in streaming mode and the per-frame losses are averaged. The memory is emptied before and
    after every batch, so clips never see each other.

    Frame steps (svm.engine.FrameSteppedTrainLoop, the release's sequence runner: one optimizer
    step per frame): a sample is frame t of a clip, ``inputs`` (N, 1, C, H, W), its frame sample
    marked with ``clip_frame_index`` = t and ``clip_num_frames`` = T.

    - ``'parallel'``, what the release's config effectively trains: each frame step is a one-frame
      clip from an empty memory, so frame t > 0 attends only to itself. The release trains with
      reentrant gradient checkpointing (``enable_checkpoint=True``): frame 0's backward recomputation
      appends frame 0 to the memory a second time, the memory reaches its training length of 2, and
      training mode clears a full memory, so frame 1 attends only to itself (its frame 1 equals
      svm's frame 1 without memory to 3e-5 relative). The released model was trained without
      cross-frame attention.
    - ``'stream'``, the release without checkpointing: frame 0 empties the memory and streams, so its
      keys/values enter the memory; frame t > 0 streams on the memory the earlier frame steps of the
      clip filled (keys/values computed before their optimizer steps, as in the release). The last
      frame (or an error) empties the memory again, so it reaches neither the next clip nor
      validation. Frames of a clip must keep their size (BatchSyncRandomResize ``interval`` a
      multiple of T).

    Testing: frames of one video come one by one (TrackImgSampler) or as a whole video; the memory
    (and the tracker) is reset when a new video starts: at frame 0 or when the video id changes,
    so a run or a process handling many videos (distributed testing splits by video) never
    carries memory from one video into the next.
    """

    def __init__(self, *, detector: dict, tracker: dict, clip_forward: str = 'parallel', **kwargs) -> None:
        """Build the mmdet MOT model that follows in the MRO, then check its backbone streams.

        Args:
            detector: detector config whose backbone has ``reset_memory()`` (a streaming SViT).
            tracker: tracker config.
            clip_forward: 'parallel' (default) or 'stream', how a training clip goes through the backbone.
            **kwargs: the other arguments of that MOT model (data_preprocessor, init_cfg).
        """
        if clip_forward not in CLIP_FORWARDS:
            raise ValueError(f'clip_forward must be one of {CLIP_FORWARDS}, got {clip_forward!r}')
        super().__init__(detector=detector, tracker=tracker, **kwargs)
        backbone = getattr(self.detector, 'backbone', None)
        if not hasattr(backbone, 'reset_memory'):
            raise TypeError(f'{type(self).__name__} needs a detector whose backbone has reset_memory() '
                            f'(a streaming backbone such as SViT), got {type(backbone).__name__}')
        self.clip_forward = clip_forward
        self._video_id = None
        # frame steps of a streamed clip: (index of the next frame, input shape of the clip's frames)
        self._clip_step: Optional[Tuple[int, torch.Size]] = None

    @property
    def backbone(self):
        return self.detector.backbone

    def loss(self, inputs: Tensor, data_samples: TrackSampleList, **kwargs) -> dict:
        """Detection losses of every frame of every clip.

        Args:
            inputs: (N, T, C, H, W) clips, or (N, 1, C, H, W) frame steps (see the class docstring).
            data_samples: N TrackDataSamples of T frames with ``gt_instances``.
        """
        if inputs.dim() != 5:
            raise ValueError(f'{type(self).__name__}.loss expects clips (N, T, C, H, W), '
                             f'got shape {tuple(inputs.shape)}')
        num_frames = inputs.size(1)
        frame_index = data_samples[0][0].metainfo.get('clip_frame_index')
        if self.clip_forward == 'stream' and frame_index is not None:
            return self._stream_frame_step(inputs, data_samples, frame_index, **kwargs)
        # 'parallel' frame steps are one-frame clips: the path below, from an empty memory
        self.backbone.reset_memory()
        self._video_id = None
        try:
            if self.clip_forward == 'parallel':
                frame_samples = [s[t] for s in data_samples for t in range(num_frames)]
                return self.detector.loss(inputs, frame_samples, **kwargs)
            per_frame = [
                self.detector.loss(inputs[:, t].contiguous(), [s[t] for s in data_samples], **kwargs)
                for t in range(num_frames)
            ]
            return _mean_losses(per_frame)
        finally:
            self.backbone.reset_memory()

    def _stream_frame_step(self, inputs: Tensor, data_samples: TrackSampleList, frame_index: int,
                           **kwargs) -> dict:
        """Detection losses of frame ``frame_index`` of N clips, streamed on the memory of the clip's
        earlier frame steps.

        Args:
            inputs: (N, 1, C, H, W), frame ``frame_index`` of every clip.
            data_samples: N one-frame TrackDataSamples, ``clip_num_frames`` in the frame's metainfo.
        """
        if inputs.size(1) != 1 or len(data_samples[0]) != 1:
            raise ValueError(f'a frame step takes one frame per clip, got inputs of shape {tuple(inputs.shape)}')
        frame_samples = [s[0] for s in data_samples]
        next_frame, clip_shape = self._clip_step or (0, inputs.shape)
        clip_done = True
        try:
            if frame_index == 0:
                self.backbone.reset_memory()
                self._video_id = None
            elif frame_index != next_frame:
                raise RuntimeError(f'streamed frame steps must come in order from frame 0 of a clip: got '
                                   f'frame {frame_index}, expected frame {next_frame}')
            elif inputs.shape != clip_shape:
                raise ValueError(f'the frames of a streamed clip must keep their shape: got {tuple(inputs.shape)} '
                                 f'after {tuple(clip_shape)} (with BatchSyncRandomResize, give an interval '
                                 f'that is a multiple of the clip length)')
            losses = self.detector.loss(inputs[:, 0].contiguous(), frame_samples, **kwargs)
            clip_done = frame_index + 1 >= frame_samples[0].metainfo['clip_num_frames']
        finally:
            if clip_done:  # the last frame, or an error: no memory reaches the next clip or validation
                self.backbone.reset_memory()
                self._clip_step = None
            else:
                self._clip_step = (frame_index + 1, inputs.shape)
        return losses

    def start_video(self, frame_sample: DetDataSample) -> bool:
        """Reset memory and tracker if ``frame_sample`` opens a new video; return whether it did."""
        video_id = frame_sample.metainfo.get('video_id')
        new_video = frame_sample.metainfo.get('frame_id', -1) == 0 or video_id != self._video_id
        if new_video:
            self.backbone.reset_memory()
            self.tracker.reset()
        self._video_id = video_id
        return new_video

    def predict(self, inputs: Tensor, data_samples: TrackSampleList, **kwargs) -> TrackSampleList:
        """Track the frames of one video in order, streaming them through the backbone.

        Args:
            inputs: (1, T, C, H, W), T frames of one video (T = 1 with TrackImgSampler).
            data_samples: one TrackDataSample of T frames.

        Returns:
            The TrackDataSample with ``pred_track_instances`` on every frame.
        """
        if inputs.dim() != 5 or inputs.size(0) != 1 or len(data_samples) != 1:
            raise ValueError(f'{type(self).__name__}.predict takes one video at a time: inputs '
                             f'(1, T, C, H, W) and one TrackDataSample, got inputs of shape '
                             f'{tuple(inputs.shape)} and {len(data_samples)} samples')
        track_sample = data_samples[0]
        for t in range(len(track_sample)):
            self.start_video(track_sample[t])
            self.predict_frame(inputs[:, t].contiguous(), track_sample[t], **kwargs)
        return [track_sample]

    def predict_frame(self, frame: Tensor, frame_sample: DetDataSample, **kwargs) -> None:
        """One streaming step: detect in ``frame`` (1, C, H, W) and track; sets ``frame_sample.pred_track_instances``."""
        det_results = self.detector.predict(frame, [frame_sample])
        frame_sample.pred_track_instances = self.tracker.track(data_sample=det_results[0], **kwargs)


@MMDET_MODELS.register_module()
class StreamingByteTrack(StreamingMOTMixin, ByteTrack):
    """ByteTrack on a streaming backbone (the S-ViT MOT model).

    Args:
        detector: detector config whose backbone is a streaming SViT (e.g. YOLOX).
        tracker: tracker config (ByteTracker).
        clip_forward: 'parallel' (default) or 'stream', how a training clip goes through the backbone.
        data_preprocessor: usually ClipTrackDataPreprocessor.
        init_cfg: initialisation config.
    """


@MMDET_MODELS.register_module()
class StreamingOCSORT(StreamingMOTMixin, OCSORT):
    """OC-SORT on a streaming backbone; arguments as :class:`StreamingByteTrack` (tracker: OCSORTTracker)."""
