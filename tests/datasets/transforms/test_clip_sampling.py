"""ClipFrameSample: the frames of a training clip (strides, bounds, short videos warned about once)."""
import logging

import numpy as np
import pytest

from svm.datasets.transforms import ClipFrameSample


def video_infos(length):
    return dict(video_id=1, video_length=length, images=[dict(frame_id=i, img_path=f'{i}.jpg')
                                                         for i in range(length)])


def test_clip_frame_sample_strides_and_bounds():
    sampler = ClipFrameSample(num_frames=3, strides=(1, 2, 3, 4))
    seen = set()
    for key in range(10):
        for _ in range(20):
            out = sampler(dict(video_infos(10), key_frame_id=key))
            ids = out['frame_id']
            steps = set(np.diff(ids).tolist())
            assert len(steps) == 1 and steps <= {1, 2, 3, 4} and 0 <= ids[0] and ids[-1] <= 9
            assert ids[0] == min(key, 9 - 2 * steps.pop())  # starts at the key frame unless too late
            seen.add(ids[1] - ids[0])
    assert seen == {1, 2, 3, 4}
    # A still image (one-frame video) becomes a clip of copies, each its own object.
    out = sampler(dict(video_infos(1), key_frame_id=0))
    assert out['img_path'] == ['0.jpg'] * 3 and out['video_length'] == [3] * 3


class RecordedWarnings(logging.Handler):
    """Collects the WARNING messages of mmengine's current logger (where svm's print_log goes)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def logged_warnings():
    from mmengine.logging import MMLogger
    logger, handler = MMLogger.get_current_instance(), RecordedWarnings()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def named_video_infos(name, length):
    return dict(video_id=name, video_length=length,
                images=[dict(frame_id=i, img_path=f'{name}/img1/{i:06d}.jpg') for i in range(length)])


def test_clip_longer_than_its_video_is_warned_about_once_per_video(logged_warnings):
    sampler = ClipFrameSample(num_frames=3, strides=(2, ))  # spans 5 frames
    for _ in range(10):
        for key in range(4):
            out = sampler(dict(named_video_infos('SHORT-A', 4), key_frame_id=key))
            assert out['frame_id'] == [0, 2, 3]  # frame 4 is past the end: the last frame stands in
        sampler(dict(named_video_infos('SHORT-B', 2), key_frame_id=0))
        sampler(dict(named_video_infos('LONG', 5), key_frame_id=0))  # fits exactly
        sampler(dict(named_video_infos('STILL', 1), key_frame_id=0))  # a still image: copies by design
    assert logged_warnings == [
        f'video {name}/img1 (video_id={name}) has {length} frames, fewer than the 5 that a clip of 3 frames at '
        f'stride 2 spans: the clip frames past its end are replaced by its last frame (said once per video; '
        f'strides=(2,))'
        for name, length in (('SHORT-A', 4), ('SHORT-B', 2))]


def test_clip_sampling_draws_are_unchanged_by_the_warning():
    """The stride is still drawn after the key frame: seeded runs sample the same clips as before."""
    import random
    sampler = ClipFrameSample(num_frames=3, strides=(1, 2, 3))
    random.seed(0)
    clips = [sampler(video_infos(20))['frame_id'] for _ in range(5)]
    random.seed(0)
    expected = []
    for _ in range(5):
        key = random.randrange(20)
        expected.append(sampler.clip_frame_ids(20, key, random.choice((1, 2, 3))))
    assert clips == expected
