"""PyAVInitWithFrameCount opens .webm files (no frame count in the container) for PyAVDecode."""
import av
import numpy as np
import pytest


@pytest.mark.parametrize('name', ['val_00.mp4', 'val_02.webm'])
def test_counts_frames_and_decodes_from_the_start(toy_videos, name):
    from mmaction.datasets.transforms import PyAVDecode, SampleFrames

    from svm.datasets.recognition import PyAVInitWithFrameCount
    filename = str(toy_videos['root'] / name)
    results = PyAVInitWithFrameCount().transform(dict(filename=filename))
    assert results['total_frames'] == 16
    results = SampleFrames(clip_len=4, frame_interval=4, num_clips=1, test_mode=True).transform(
        dict(results, start_index=0))
    imgs = PyAVDecode().transform(results)['imgs']
    with av.open(filename) as container:
        all_frames = [frame.to_rgb().to_ndarray() for frame in container.decode(video=0)]
    assert len(all_frames) == 16
    for img, index in zip(imgs, results['frame_inds']):
        np.testing.assert_array_equal(img, all_frames[index])
