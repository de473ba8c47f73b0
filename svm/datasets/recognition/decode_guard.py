"""Video decoding that names the file it fails on, and can skip corrupt videos in long training runs."""
import logging
from typing import List, Optional

from mmcv.transforms import BaseTransform, Compose
from mmengine.logging import print_log

from svm.registry import MMACTION_TRANSFORMS


class VideoDecodeError(RuntimeError):
    """A video file exists but cannot be decoded."""


@MMACTION_TRANSFORMS.register_module()
class VideoDecodeGuard(BaseTransform):
    """Runs a pipeline's decoding steps and names the video when one of them fails.

    mmaction2's decoders report a corrupt file without its path ("Error reading 5000 bytes"), which
    is of no help in a data set of 240k videos. Wrap the decoding steps:
    ``dict(type='VideoDecodeGuard', transforms=[dict(type='DecordInit'), dict(type='SampleFrames', ...),
    dict(type='DecordDecode')])``.

    Args:
        transforms: the decoding steps (init, frame sampling, decode).
        skip_corrupt: for training: warn and return None for a video that is missing or cannot be
            decoded, so that mmengine's dataset draws another sample instead of ending the run. Test
            datasets do not draw again, so there the error stands.
    """

    def __init__(self, transforms: List[dict], skip_corrupt: bool = False) -> None:
        self.transforms = Compose(transforms)
        self.skip_corrupt = skip_corrupt

    def transform(self, results: dict) -> Optional[dict]:
        filename = results.get('filename', '<no filename>')
        try:
            return self.transforms(results)
        except Exception as err:
            if isinstance(err, FileNotFoundError):
                error = FileNotFoundError(f'video file not found: {filename}')
            else:
                error = VideoDecodeError(f'cannot decode video {filename}: {type(err).__name__}: {err}')
            if self.skip_corrupt:
                print_log(f'{error}; skipped (skip_corrupt=True)', logger='current', level=logging.WARNING)
                return None
            raise error from err

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(transforms={self.transforms}, skip_corrupt={self.skip_corrupt})'

