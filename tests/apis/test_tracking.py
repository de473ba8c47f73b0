"""svm.apis.init_tracker / track_video on the tiny MOT config with a random tiny tracker, on a video file
and a frame folder written by the tests; and mmdet's tracking API called without a default scope."""
import os.path as osp
import re
import warnings

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from svm.apis import TrackedFrame, Tracks, init_tracker, track_video
from svm.apis import tracking
from helpers import H, TINY_MOT_CONFIG, W, write_tiny_mot
from svm.utils.checkpoint import UnsafeCheckpointError

NUM_FRAMES = 12
# A random detector scores its many boxes anywhere in [0, 1]: keep the ~10 best per frame and let the
# tracker take them all; a short retention makes the tracker's history bound small.
OPTIONS = {'model.detector.test_cfg.score_thr': 0.97, 'model.tracker.obj_score_thrs.high': 0.0,
           'model.tracker.obj_score_thrs.low': 0.0, 'model.tracker.init_track_thr': 0.0,
           'model.tracker.num_frames_retain': 2}


@pytest.fixture(scope='module')
def frames_dir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('tracking_api'))
    write_tiny_mot(root, num_seqs=1, num_frames=NUM_FRAMES)
    return osp.join(root, 'train', 'TINY-01', 'img1')


@pytest.fixture(scope='module')
def video_file(frames_dir):
    path = osp.join(osp.dirname(osp.dirname(frames_dir)), 'tiny.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10, (W, H))
    for i in range(NUM_FRAMES):
        writer.write(cv2.imread(osp.join(frames_dir, f'{i + 1:06d}.jpg')))
    writer.release()
    return path


@pytest.fixture(scope='module')
def tracker():
    saved = dict(DefaultScope._instance_dict)  # init_tracker sets the global scope: keep it in this module
    torch.manual_seed(0)
    yield init_tracker(TINY_MOT_CONFIG, cfg_options=OPTIONS)
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


def as_lists(frames):
    return [(f.index, f.tracks.ids.tolist(), f.tracks.bboxes.round(3).tolist(), f.tracks.scores.round(5).tolist())
            for f in frames]


def test_init_tracker_sets_the_scope_mmdet_api_needs(frames_dir):
    """mmdet's init_track_model fails without a default scope; init_tracker sets the config's,
    after which mmdet's inference_mot works too; the documented line makes mmdet's API work on its own."""
    from mmdet.apis import inference_mot, init_track_model
    from mmengine.registry import init_default_scope
    DefaultScope._instance_dict.clear()  # a fresh process (the autouse fixture restores the scopes)
    with pytest.raises(KeyError, match='ClipTrackDataPreprocessor is not in the mmengine::model registry'):
        init_track_model(TINY_MOT_CONFIG, device='cpu')
    model = init_tracker(TINY_MOT_CONFIG)
    assert DefaultScope.get_current_instance().scope_name == 'mmdet'
    assert not model.training and model.cfg.default_scope == 'mmdet'
    frame = cv2.imread(osp.join(frames_dir, '000001.jpg'))
    assert hasattr(inference_mot(model, frame, frame_id=0, video_len=1)[0], 'pred_track_instances')

    DefaultScope._instance_dict.clear()
    init_default_scope('mmdet')  # the one line docs/mot.md gives for mmdet's own functions
    assert type(init_track_model(TINY_MOT_CONFIG, device='cpu')).__name__ == 'StreamingByteTrack'


def test_init_tracker_loads_weights_strictly_and_safely(tracker, tmp_path):
    state = tracker.state_dict()
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=state, meta=dict(dataset_meta=dict(classes=('pedestrian', )))), good)
    model = init_tracker(TINY_MOT_CONFIG, str(good), cfg_options=OPTIONS)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    assert model.dataset_meta == dict(classes=('pedestrian', ))

    missing = tmp_path / 'missing_key.pth'
    torch.save(dict(state_dict={k: v for k, v in state.items() if 'bbox_head' not in k}), missing)
    with pytest.raises(KeyError, match='missing from the checkpoint: detector.bbox_head'):
        init_tracker(TINY_MOT_CONFIG, str(missing))
    extra = tmp_path / 'extra_key.pth'
    torch.save(dict(state_dict={**state, 'detector.unknown.weight': torch.zeros(1)}), extra)
    with pytest.raises(KeyError, match='not in the model: detector.unknown.weight'):
        init_tracker(TINY_MOT_CONFIG, str(extra))
    unsafe = tmp_path / 'unsafe.pth'
    torch.save(dict(state_dict=state, meta=dict(note=Tracks)), unsafe)  # a class: needs full unpickling
    with pytest.raises(UnsafeCheckpointError, match='refusing to load'):
        init_tracker(TINY_MOT_CONFIG, str(unsafe))


def test_track_video_on_a_frame_folder_yields_tracks_per_frame_at_bounded_state(tracker, frames_dir):
    memory_len = tracker.cfg.model.detector.backbone.memory_len
    history_bound = tracking.tracker_history_len(tracker.tracker)
    assert memory_len < NUM_FRAMES and history_bound < NUM_FRAMES
    frames = []
    for frame in track_video(tracker, frames_dir):
        assert isinstance(frame, TrackedFrame) and frame.index == len(frames)
        assert frame.image.shape == (H, W, 3) and frame.image.dtype == np.uint8
        tracks = frame.tracks
        n = len(tracks)
        assert tracks.bboxes.shape == (n, 4) and tracks.bboxes.dtype == np.float32
        assert tracks.scores.shape == tracks.ids.shape == tracks.labels.shape == (n, )
        assert tracks.ids.dtype == tracks.labels.dtype == np.int64 and len(set(tracks.ids.tolist())) == n
        assert (tracks.labels == 0).all()  # one class
        # constant cost per frame: the backbone's memory and the tracker's history stop growing
        assert tracker.detector.backbone.stream_state.lengths == (min(frame.index + 1, memory_len), )
        assert max((len(v) for t in tracker.tracker.tracks.values() for v in t.values() if isinstance(v, list)),
                   default=0) <= history_bound
        frames.append(frame)
    assert len(frames) == NUM_FRAMES
    assert sum(len(f.tracks) for f in frames) > 0
    assert len({i for f in frames for i in f.tracks.ids.tolist()}) > 1


def test_track_video_on_a_video_file_resets_between_calls(tracker, video_file):
    first = list(track_video(tracker, video_file))
    second = list(track_video(tracker, video_file))
    assert len(first) == len(second) == NUM_FRAMES
    assert as_lists(first) == as_lists(second)  # same memory and tracker start: same tracks and ids
    # a list of frames (any iterable) and max_frames
    images = [f.image for f in first]
    assert as_lists(track_video(tracker, images, max_frames=5)) == as_lists(first[:5])


def test_track_video_matches_mmdet_inference_mot(tracker, frames_dir):
    """At the config's own size (resize and pad are no-ops) the frames go through the model as mmdet's
    frame-by-frame demo API sends them: the same tracks."""
    from mmdet.apis import inference_mot
    from mmengine.registry import init_default_scope
    ours = list(track_video(tracker, frames_dir))
    init_default_scope('mmdet')
    tracking.reset_tracker(tracker)
    for frame in ours:
        pred = inference_mot(tracker, frame.image, frame_id=frame.index,
                             video_len=NUM_FRAMES)[0].pred_track_instances
        assert pred.instances_id.tolist() == frame.tracks.ids.tolist()
        np.testing.assert_allclose(pred.bboxes.numpy(), frame.tracks.bboxes, rtol=0, atol=1e-4)


def test_interleaved_calls_on_one_model_are_refused(tracker, frames_dir):
    older, newer = track_video(tracker, frames_dir), track_video(tracker, frames_dir)
    next(older)
    next(newer)
    with pytest.raises(RuntimeError, match='another track_video call'):
        next(older)
    with pytest.raises(TypeError, match='single image'):
        track_video(tracker, np.zeros((H, W, 3), np.uint8))


def _detections(frame_id, boxes):
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    sample = DetDataSample(metainfo=dict(frame_id=frame_id))
    bboxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    sample.pred_instances = InstanceData(bboxes=bboxes, scores=torch.full((len(bboxes), ), 0.9),
                                         labels=torch.zeros(len(bboxes), dtype=torch.long))
    return sample


@pytest.mark.parametrize('tracker_cfg', [
    dict(type='ByteTracker', motion=dict(type='KalmanFilter'), obj_score_thrs=dict(high=0.6, low=0.1),
         init_track_thr=0.7, weight_iou_with_det_scores=True, match_iou_thrs=dict(high=0.1, low=0.5, tentative=0.3),
         num_frames_retain=5),
    dict(type='OCSORTTracker', motion=dict(type='KalmanFilter'), obj_score_thr=0.3, init_track_thr=0.7,
         weight_iou_with_det_scores=True, match_iou_thr=0.3, num_tentatives=3, vel_consist_weight=0.2,
         vel_delta_t=3, num_frames_retain=5)])
def test_tracker_history_trimming_is_exact_for_bytetrack_and_ocsort(tracker_cfg):
    """Long-lived tracks, one that vanishes for 4 frames (OC-SORT's recovery reads its past), one that
    appears later: trimmed and untrimmed trackers give the same ids and boxes over 40 frames."""
    from mmdet.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmdet'):
        full, trimmed = MODELS.build(tracker_cfg), MODELS.build(tracker_cfg)
    keep = tracking.tracker_history_len(trimmed)
    for frame_id in range(40):
        boxes = [[10 + 3 * frame_id, 10, 30 + 3 * frame_id, 50]]
        if not 15 <= frame_id < 19:
            boxes.append([200 - 2 * frame_id, 60, 230 - 2 * frame_id, 110])
        if frame_id >= 10:
            boxes.append([100, 150 + frame_id, 130, 200 + frame_id])
        out_full = full.track(data_sample=_detections(frame_id, boxes))
        out_trimmed = trimmed.track(data_sample=_detections(frame_id, boxes))
        tracking.trim_tracker_history(trimmed, keep)
        assert out_full.instances_id.tolist() == out_trimmed.instances_id.tolist(), frame_id
        torch.testing.assert_close(out_full.bboxes, out_trimmed.bboxes)
    longest = max(len(t['frame_ids']) for t in full.tracks.values())
    assert longest > keep >= max(len(t['frame_ids']) for t in trimmed.tracks.values())


def test_a_partly_decodable_video_warns_with_the_frames_read_and_announced(tracker, tmp_path):
    path = str(tmp_path / 'whole.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 10, (W, H))
    for i in range(24):
        writer.write(np.random.RandomState(i).randint(0, 255, (H, W, 3), np.uint8))
    writer.release()
    data = open(path, 'rb').read()
    cut = tmp_path / 'cut.avi'
    cut.write_bytes(data[:len(data) // 6])  # its header still announces 24 frames
    with pytest.warns(UserWarning, match=r'cut.avi: only (\d+) of the 24 frames its header announces could be '
                                         r'decoded; the video ends at frame \1') as warned:
        frames = list(track_video(tracker, str(cut)))
    decoded = [re.search(r'only (\d+) of', str(w.message)) for w in warned]
    assert len(frames) == int(next(m for m in decoded if m).group(1)) < 24
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert len(list(track_video(tracker, path))) == 24  # a whole video: no warning
        assert len(list(track_video(tracker, str(cut), max_frames=1))) == 1  # stopped early on purpose: none


def test_track_video_refuses_frames_that_are_not_uint8_images(tracker):
    image = np.zeros((H, W, 3), np.uint8)
    with pytest.raises(ValueError, match=r'frame 1 has dtype float64 \(values 0 to 1\); frames are BGR uint8'):
        list(track_video(tracker, [image, np.linspace(0, 1, H * W * 3).reshape(H, W, 3), image]))


@pytest.mark.parametrize('max_frames', [-1, 1.5, True])
def test_track_video_refuses_a_max_frames_that_is_not_a_count(tracker, max_frames):
    with pytest.raises(ValueError, match=rf'track_video: max_frames must be None .* got {max_frames!r}'):
        track_video(tracker, [np.zeros((H, W, 3), np.uint8)], max_frames=max_frames)
