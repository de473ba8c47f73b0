"""Many videos through one model: MultiStreamTracker / track_videos and MultiStreamRecognizer give each video
what it gets alone, with streams that start, end and restart at different steps."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from svm.apis import (MultiStreamRecognizer, MultiStreamTracker, OnlineRecognizer, init_tracker, track_video,
                      track_videos)
from helpers import TINY_MOT_CONFIG, build_tiny_recognizer, write_tiny_mot

# as tests/apis/test_tracking.py: a random detector's ~10 best boxes per frame, all tracked
OPTIONS = {'model.detector.test_cfg.score_thr': 0.97, 'model.tracker.obj_score_thrs.high': 0.0,
           'model.tracker.obj_score_thrs.low': 0.0, 'model.tracker.init_track_thr': 0.0,
           'model.tracker.num_frames_retain': 2}


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    """Three tiny MOT sequences of different lengths, as lists of BGR frames."""
    root = str(tmp_path_factory.mktemp('multi_stream'))
    write_tiny_mot(root, num_seqs=3, num_frames=9)
    videos = []
    for i, length in enumerate((9, 6, 8)):
        img_dir = osp.join(root, 'train', f'TINY-{i + 1:02d}', 'img1')
        videos.append([cv2.imread(osp.join(img_dir, f'{t + 1:06d}.jpg')) for t in range(length)])
    return videos


@pytest.fixture(scope='module')
def model():
    saved = dict(DefaultScope._instance_dict)
    torch.manual_seed(0)
    yield init_tracker(TINY_MOT_CONFIG, cfg_options=OPTIONS)
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


def alone(model, video):
    return [frame.tracks for frame in track_video(model, video)]


def assert_same_tracks(got, expected):
    """The same tracks, frame by frame: ids exactly, boxes and scores to the rounding of a batched pass (the
    detector's convolutions sum in another order for a batch: boxes move by ~1e-3 px, scores by ~1e-7)."""
    assert len(got) == len(expected)
    for frame, (a, b) in enumerate(zip(got, expected)):
        assert a.ids.tolist() == b.ids.tolist(), frame
        np.testing.assert_allclose(a.bboxes, b.bboxes, atol=1e-2, rtol=0, err_msg=str(frame))
        np.testing.assert_allclose(a.scores, b.scores, atol=1e-5, rtol=0, err_msg=str(frame))


def test_track_videos_equals_each_video_alone(model, videos):
    steps = list(track_videos(model, videos))
    assert [sorted(step) for step in steps] == [[0, 1, 2]] * 6 + [[0, 2]] * 2 + [[0]]  # video 1 ends first
    assert sum(len(frame.tracks) for step in steps for frame in step.values()) > 0
    for i, video in enumerate(videos):
        assert [step[i].index for step in steps if i in step] == list(range(len(video)))
        assert_same_tracks([step[i].tracks for step in steps if i in step], alone(model, video))


def test_streams_start_restart_and_end_at_different_steps(model, videos):
    """Stream 'a' runs video 0 throughout; 'b' runs video 1 until step 3, then restarts with video 2; 'c'
    opens at step 2 with video 1 and closes after 4 frames."""
    tracker = MultiStreamTracker(model)
    got = {'a': [], 'b0': [], 'b1': [], 'c': []}
    tracker.open('a')
    tracker.open('b')
    for t in range(9):
        if t == 2:
            tracker.open('c')
        if t == 3:
            tracker.restart('b')
        if t == 6:
            tracker.close('c')
        frames = {'a': videos[0][t], 'b': videos[1][t] if t < 3 else videos[2][t - 3]}
        if 'c' in tracker.streams:
            frames['c'] = videos[1][t - 2]
        tracks = tracker.step(frames)
        got['a'].append(tracks['a'])
        got['b0' if t < 3 else 'b1'].append(tracks['b'])
        if 'c' in tracks:
            got['c'].append(tracks['c'])
    assert_same_tracks(got['a'], alone(model, videos[0]))
    assert_same_tracks(got['b0'], alone(model, videos[1][:3]))
    assert_same_tracks(got['b1'], alone(model, videos[2][:6]))
    assert_same_tracks(got['c'], alone(model, videos[1][:4]))
    with pytest.raises(ValueError, match=r"one frame of every open stream, \['a', 'b'\]; got frames of \['a'\]"):
        tracker.step({'a': videos[0][0]})
    with pytest.raises(KeyError, match="stream 'c' is not open"):
        tracker.restart('c')
    with pytest.raises(KeyError, match="stream 'a' is already open"):
        tracker.open('a')


def random_frames(num_frames, seed):
    return np.random.default_rng(seed).integers(0, 256, (num_frames, 40, 56, 3), dtype=np.uint8)


def test_multi_stream_recognizer_equals_each_stream_alone():
    model = build_tiny_recognizer('stream', num_frames=4)
    pipeline = [dict(type='Resize', scale=(-1, 32)), dict(type='CenterCrop', crop_size=32)]
    online = OnlineRecognizer(model, pipeline, topk=3)
    videos = [random_frames(7, seed) for seed in range(3)]
    expected = []
    for video in videos:
        single = online.new_stream()
        expected.append([single.step(frame) for frame in video])
    multi = MultiStreamRecognizer(online)
    got = {0: [], 1: [], 2: []}
    for i in range(2):
        multi.open(i)
    for t in range(7):
        if t == 3:  # stream 2 joins late, with a memory of its own
            multi.open(2)
        frames = {0: videos[0][t], 1: videos[1][t], **({2: videos[2][t - 3]} if t >= 3 else {})}
        for i, top in multi.step(frames).items():
            got[i].append(top)
    for i, n in ((0, 7), (1, 7), (2, 4)):
        assert [label for label, _ in got[i][-1]] == [label for label, _ in expected[i][n - 1]]
        for top, want in zip(got[i], expected[i][:n]):
            assert [label for label, _ in top] == [label for label, _ in want]
            np.testing.assert_allclose([s for _, s in top], [s for _, s in want], atol=1e-5)
