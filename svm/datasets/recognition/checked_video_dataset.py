"""mmaction2's VideoDataset with its annotation list checked line by line."""
import os.path as osp
from typing import List

from mmaction.datasets import VideoDataset
from mmengine.fileio import exists, list_from_file

from svm.registry import MMACTION_DATASETS


@MMACTION_DATASETS.register_module()
class CheckedVideoDataset(VideoDataset):
    """:class:`mmaction.datasets.VideoDataset` whose list lines are checked as they are read.

    mmaction2 reads ``<video path> <label>`` lines with a bare unpacking and ``int()``, so a line with a
    wrong number of columns or a label that is no integer ends the run with "too many values to unpack"
    or "invalid literal for int()" and no file name, and a label beyond the classifier surfaces hours
    later as an index error inside the loss. Here each such line is refused as ``<file>:<line>: ...``
    before anything runs. A line of one column is an unlabelled video, as in mmaction2.

    Args:
        num_classes: if given, labels must lie in ``[0, num_classes)``.
        **kwargs: :class:`mmaction.datasets.VideoDataset`'s arguments.
    """

    def load_data_list(self) -> List[dict]:
        if self.multi_class:  # labels are a list; mmaction2's own reading applies
            return super().load_data_list()
        if not exists(self.ann_file):
            raise FileNotFoundError(f'annotation list {self.ann_file} does not exist')
        data_list = []
        for line_no, line in enumerate(list_from_file(self.ann_file), 1):
            if not line.strip():
                continue
            columns = line.strip().split(self.delimiter)
            where = f'{self.ann_file}:{line_no}'
            if len(columns) > 2:
                raise ValueError(f'{where}: expected "<video path>{self.delimiter}<label>", got {len(columns)} '
                                 f'columns in {line.strip()!r}')
            label = -1
            if len(columns) == 2:
                try:
                    label = int(columns[1])
                except ValueError:
                    raise ValueError(f'{where}: label {columns[1]!r} is not an integer class index') from None
                if label < 0:
                    raise ValueError(f'{where}: label {label} is negative')
                if self.num_classes is not None and label >= self.num_classes:
                    raise ValueError(f'{where}: label {label} is not below num_classes={self.num_classes}')
            filename = columns[0]
            if self.data_prefix['video'] is not None:
                filename = osp.join(self.data_prefix['video'], filename)
            data_list.append(dict(filename=filename, label=label))
        return data_list
