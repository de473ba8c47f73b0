"""Per-frame optimisation of training clips: the S-ViT release's sequence runner on mmengine.

The release (``mmtrack/core/runner/seq_runner.py``, ``SeqEpochBasedRunner``) splits every batch of
T-frame clips into T frame batches and makes each one a training iteration of its own: hooks around
it, one optimizer step, and an iteration count (learning-rate schedule, EMA, logging) of
``max_epochs * len(loader) * T``. :class:`FrameSteppedTrainLoop` does the same with mmengine's loop and
hooks; what the backbone's memory holds across the frame steps of a clip is the model's business
(``clip_forward`` of :class:`svm.models.mot.StreamingMOTMixin`), told by each frame's
``clip_frame_index`` metainfo.
"""
from typing import Iterator, List, Optional

from mmdet.structures import TrackDataSample
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader

from svm.registry import MMDET_LOOPS


def split_clip_batch(data_batch: dict, num_frames: int) -> List[dict]:
    """Split a batch of clips into one batch per frame position.

    Args:
        data_batch: pseudo_collate output of PackTrackInputs: ``inputs``, N tensors (T, C, H, W), and
            ``data_samples``, N TrackDataSamples of T frames.
        num_frames: T, the clip length expected; clips of another length are refused.

    Returns:
        T batches in the same format; batch t holds frame t of every clip: ``inputs`` N tensors
        (1, C, H, W) and ``data_samples`` N one-frame TrackDataSamples with their clip's metainfo. Each
        frame sample is a shallow copy (its instances are shared) whose metainfo adds
        ``clip_frame_index`` = t and ``clip_num_frames`` = T.
    """
    inputs, clips = data_batch['inputs'], data_batch['data_samples']
    for x, clip in zip(inputs, clips):
        if x.size(0) != num_frames or len(clip) != num_frames:
            raise ValueError(f'FrameSteppedTrainLoop was given num_frames={num_frames}, but the data gives '
                             f'a clip of {x.size(0)} frames ({len(clip)} data samples): set num_frames to '
                             f'the clip length of the training pipeline')
    frame_batches = []
    for t in range(num_frames):
        samples = []
        for clip in clips:
            frame = clip[t].new(metainfo=dict(clip[t].metainfo, clip_frame_index=t, clip_num_frames=num_frames))
            samples.append(TrackDataSample(metainfo=clip.metainfo, video_data_samples=[frame]))
        frame_batches.append(dict(inputs=[x[t:t + 1] for x in inputs], data_samples=samples))
    return frame_batches


class FrameBatchLoader:
    """A DataLoader of clip batches seen as a loader of frame batches.

    Iterating yields the T frame batches of each clip batch in order (:func:`split_clip_batch`), and
    ``len()`` is T times the loader's, so everything that sizes an epoch by
    ``len(runner.train_dataloader)`` counts frame iterations: the Runner's conversion of epoch-based
    param schedulers (``convert_to_iter_based``), the log's ``[i/len]`` and the hooks' end-of-epoch
    test, all matching the loop's per-frame ``batch_idx``. Every other attribute, read or set, is the
    wrapped loader's: hooks use ``dataset``, ``sampler`` and ``batch_sampler`` (DistSamplerSeedHook,
    YOLOXModeSwitchHook), and YOLOXModeSwitchHook restarts persistent workers by setting attributes.

    Args:
        loader: the DataLoader of clip batches (pseudo_collate output of PackTrackInputs).
        num_frames: T, the clip length.
    """

    def __init__(self, loader: DataLoader, num_frames: int) -> None:
        object.__setattr__(self, 'loader', loader)
        object.__setattr__(self, 'num_frames', num_frames)

    def __len__(self) -> int:
        return len(self.loader) * self.num_frames

    def __iter__(self) -> Iterator[dict]:
        for data_batch in self.loader:
            yield from split_clip_batch(data_batch, self.num_frames)

    def __getattr__(self, name: str):
        # object.__getattribute__: no recursion while 'loader' is not set yet (e.g. copy.copy)
        return getattr(object.__getattribute__(self, 'loader'), name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self.loader, name, value)


@MMDET_LOOPS.register_module()
class FrameSteppedTrainLoop(EpochBasedTrainLoop):
    """Epoch-based training in which every frame of a training clip is one iteration.

    Each batch of N clips of T frames becomes T iterations; iteration t runs ``train_step`` on frame t
    of every clip (:func:`split_clip_batch`), between its own ``before_train_iter`` /
    ``after_train_iter`` hooks, and advances ``runner.iter``. Hence one optimizer step per frame,
    ``max_iters = max_epochs * len(loader) * T``, and param schedulers given in epochs with
    ``convert_to_iter_based=True`` convert with an epoch of ``len(loader) * T`` iterations (the loop's
    ``dataloader`` is a :class:`FrameBatchLoader`, which the Runner measures). The message hub's
    ``'iter'`` advances per frame too, so mmdet's BatchSyncRandomResize with ``interval=T`` picks one
    input size per clip, as the release does.

    Args:
        runner: the Runner.
        dataloader: a DataLoader or its config, of clip batches.
        max_epochs: training epochs (passes over the clips).
        num_frames: T, the clip length the data gives.
        val_begin, val_interval, dynamic_intervals: as in mmengine's EpochBasedTrainLoop.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 max_epochs: int,
                 num_frames: int,
                 val_begin: int = 1,
                 val_interval: int = 1,
                 dynamic_intervals: Optional[List[tuple]] = None) -> None:
        if not isinstance(num_frames, int) or num_frames < 1:
            raise ValueError(f'num_frames must be a positive int, got {num_frames!r}')
        super().__init__(runner, dataloader, max_epochs, val_begin=val_begin, val_interval=val_interval,
                         dynamic_intervals=dynamic_intervals)
        self.num_frames = num_frames
        self.dataloader = FrameBatchLoader(self.dataloader, num_frames)
        self._max_iters = self._max_epochs * len(self.dataloader)
