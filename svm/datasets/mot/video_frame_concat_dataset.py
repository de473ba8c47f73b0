"""Video datasets concatenated and indexed by frame."""
from typing import List, Tuple

import numpy as np
from mmdet.datasets import BaseVideoDataset, ConcatDataset

from svm.registry import MMDET_DATASETS


@MMDET_DATASETS.register_module()
class VideoFrameConcatDataset(ConcatDataset):
    """Concatenation of :class:`BaseVideoDataset` s in which index ``i`` is one frame.

    mmdet's video datasets are indexed by video and take ``(video, frame)`` tuples for a frame, which
    its ``ConcatDataset`` cannot route. Here the index space is every frame of every video of every
    dataset (``cumulative_sizes`` counts frames), so frame-level samplers and
    :class:`MultiImageMixDataset`'s ``get_indexes`` work unchanged; ``dataset[i]`` runs the owning
    dataset's pipeline with that frame as key frame (e.g. the first frame of a training clip).
    A dataset of still images (a COCO json without ``video_id``) counts one frame per image.

    Args:
        datasets: video datasets (or their configs).
        lazy_init: defer loading the annotations.
        ignore_keys: metainfo keys allowed to differ between the datasets.
    """

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        for i, dataset in enumerate(self.datasets):
            if not isinstance(dataset, BaseVideoDataset):
                raise TypeError(f'VideoFrameConcatDataset: dataset {i} is a {type(dataset).__name__}, '
                                'expected a BaseVideoDataset (e.g. MOTChallengeDataset)')
            dataset.full_init()
        # Per dataset: cumulative number of frames at the end of each video.
        self.video_ends = [
            np.cumsum([d.get_len_per_video(v) for v in range(len(d))], dtype=np.int64) for d in self.datasets
        ]
        self.cumulative_sizes = np.cumsum([int(e[-1]) if len(e) else 0 for e in self.video_ends]).tolist()
        self._fully_initialized = True

    def frame_index(self, idx: int) -> Tuple[int, int, int]:
        """Global frame index -> (dataset index, video index, frame index in the video)."""
        dataset_idx, local = self._get_ori_dataset_idx(idx)
        ends = self.video_ends[dataset_idx]
        video_idx = int(np.searchsorted(ends, local, side='right'))
        frame_idx = local - (int(ends[video_idx - 1]) if video_idx else 0)
        return dataset_idx, video_idx, frame_idx

    def source_sizes(self) -> List[int]:
        """Number of frames of each dataset."""
        return np.diff([0] + list(self.cumulative_sizes)).tolist()

    def get_data_info(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        dataset_idx, video_idx, frame_idx = self.frame_index(idx)
        return self.datasets[dataset_idx].get_data_info(video_idx)['images'][frame_idx]

    def __getitem__(self, idx: int):
        if not self._fully_initialized:
            self.full_init()
        dataset_idx, video_idx, frame_idx = self.frame_index(idx)
        return self.datasets[dataset_idx][(video_idx, frame_idx)]
