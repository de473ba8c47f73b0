"""VideoFrameConcatDataset: one index over the frames of video and still-image datasets."""
from mmengine.registry import init_default_scope

from svm.datasets.mot import VideoFrameConcatDataset

init_default_scope('mmdet')


def test_video_frame_concat_indexes_frames(tiny_mot_clip_sources):
    ds = VideoFrameConcatDataset(tiny_mot_clip_sources([dict(type='ClipFrameSample', num_frames=2, strides=(1, ))]))
    assert len(ds) == 14 + 4 and ds.source_sizes() == [14, 4]
    assert ds.frame_index(0) == (0, 0, 0) and ds.frame_index(8) == (0, 1, 1) and ds.frame_index(15) == (1, 1, 0)
    clip = ds[8]  # video TINY-02, frame index 1: the clip starts there
    assert [p.split('train/')[-1] for p in clip['img_path']] == [
        'TINY-02/img1/000002.jpg', 'TINY-02/img1/000003.jpg']
    still = ds[15]
    assert still['img_path'][0] == still['img_path'][1]
