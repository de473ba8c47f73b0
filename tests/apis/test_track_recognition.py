"""Track recognition (svm/apis/track_recognition.py), one backbone pass for two tasks: a track recognizer's
tracks equal the tracker alone and its action scores equal the online recogniser alone, given the same weights."""
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS as MMACTION_MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

from svm.apis import OnlineRecognizer, inference_track_recognizer, init_tracker, separate_models, track_video
from svm.datasets.synthetic.mot import SyntheticMOTSequence, preset_config
from helpers import REPO_ROOT

TRACKER_CONFIG = REPO_ROOT / 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb4-8e_synthetic-mot-flow.py'
RECOGNIZER_CONFIG = REPO_ROOT / (
    'configs/track_recognition/svm/action-head_svit-tiny-frozen_1xb8-8x1x1-10e_synthetic-mot-flow.py')
TRACK_RECOGNITION_CONFIG = REPO_ROOT / (
    'configs/track_recognition/svm/bytetrack-action-head_svit-tiny_yolox_synthetic-mot-flow.py')
NUM_FRAMES = 12  # longer than the action window (8) and the memory (4): both slide
# The untrained detector's scores spread over (0, 1), mostly low: keep its top boxes (tens per frame) for the
# tracker, so that the comparison has tracks to compare and stays fast.
TOP_BOXES = {'model.detector.test_cfg.score_thr': 0.95, 'model.tracker.obj_score_thrs.high': 0.97,
             'model.tracker.obj_score_thrs.low': 0.95, 'model.tracker.init_track_thr': 0.97}


def flow_frames(num_frames: int = NUM_FRAMES) -> list:
    """BGR frames (192, 320, 3) of a synthetic crowd-flow sequence."""
    cfg = preset_config('flow', num_frames=num_frames, flow='right')
    return [image[..., ::-1].copy() for _, image, _ in SyntheticMOTSequence(5, cfg)]


@pytest.fixture(scope='module')
def models():
    """The track recognizer with random weights (T2D gates far from 0 so that the memory matters), the tracker and
    the recogniser alone built from their own configs with its weights, and svm.apis.separate_models' pair."""
    torch.manual_seed(0)
    track_recognizer = init_tracker(TRACK_RECOGNITION_CONFIG, cfg_options=TOP_BOXES)
    with torch.no_grad():
        for name, param in track_recognizer.named_parameters():
            if name.endswith('t2d_alpha'):
                param.normal_(0., 1.)
    state = track_recognizer.state_dict()
    tracker = init_tracker(TRACKER_CONFIG, cfg_options=TOP_BOXES)
    tracker.load_state_dict({k: v for k, v in state.items() if not k.startswith('action_head.')}, strict=True)
    recognizer_cfg = Config.fromfile(RECOGNIZER_CONFIG)
    with DefaultScope.overwrite_default_scope('mmaction'):
        recognizer = MMACTION_MODELS.build(recognizer_cfg.model)
    recognizer.load_state_dict(
        {**{k[len('detector.'):]: v for k, v in state.items() if k.startswith('detector.backbone.')},
         **{'cls_head.' + k[len('action_head.'):]: v for k, v in state.items() if k.startswith('action_head.')}},
        strict=True)
    frame_pipeline = [dict(type='Resize', scale=(160, 96), keep_ratio=False)]  # the recogniser's test resize
    online = OnlineRecognizer(recognizer.eval(), frame_pipeline, topk=2)
    return dict(track_recognizer=track_recognizer, tracker=tracker, online=online,
                separate=separate_models(track_recognizer))


def run_alone(tracker, online, frames):
    """The tracks of the tracker alone and the scores of the online recogniser alone, frame by frame."""
    tracks = [frame.tracks for frame in track_video(tracker, frames)]
    online.reset()
    scores = []
    for frame in frames:
        online.step(np.ascontiguousarray(frame[..., ::-1]))  # the recogniser reads RGB
        scores.append(online.scores().numpy())
    return tracks, scores


@pytest.mark.parametrize('built_from', ['their configs', 'separate_models'])
def test_tracks_and_action_scores_equal_the_two_models_alone(models, built_from):
    track_recognizer = models['track_recognizer']
    tracker, online = (models['tracker'], models['online']) if built_from == 'their configs' else models['separate']
    frames = flow_frames()
    passes = []
    hook = track_recognizer.backbone.register_forward_hook(lambda module, args, out: passes.append(1))
    try:
        together = list(inference_track_recognizer(track_recognizer, frames, topk=2))
    finally:
        hook.remove()
    assert len(passes) == NUM_FRAMES  # one backbone pass per frame serves both heads
    tracks_alone, scores_alone = run_alone(tracker, online, frames)

    assert sum(map(len, tracks_alone)) > NUM_FRAMES  # the comparison has tracks to compare
    for mine, theirs in zip(together, tracks_alone):
        np.testing.assert_array_equal(mine.tracks.ids, theirs.ids)
        np.testing.assert_array_equal(mine.tracks.bboxes, theirs.bboxes)
        np.testing.assert_array_equal(mine.tracks.scores, theirs.scores)
    for mine, theirs in zip(together, scores_alone):
        np.testing.assert_allclose(mine.action_scores, theirs, atol=1e-5, rtol=0)
    # the scores move as the window fills and slides, and the top-k carries the config's class names
    assert np.abs(together[0].action_scores - together[-1].action_scores).max() > 1e-4
    assert {label for label, _ in together[-1].topk} == {'walk-left', 'walk-right'}


def test_each_call_starts_a_new_video(models):
    track_recognizer = models['track_recognizer']
    frames = flow_frames()
    first = [frame.action_scores for frame in inference_track_recognizer(track_recognizer, frames)]
    list(inference_track_recognizer(track_recognizer, frames[::-1]))  # another video in between
    again = [frame.action_scores for frame in inference_track_recognizer(track_recognizer, frames)]
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
    # the window holds at most action_window frames: after it has slid, frame 0 no longer counts
    later = [frame.action_scores for frame in inference_track_recognizer(track_recognizer, [frames[0]] * 3 + frames)]
    assert not np.allclose(later[3], first[0], atol=1e-4)


def test_a_tracker_without_action_head_is_refused(models):
    with pytest.raises(TypeError, match='action head'):
        inference_track_recognizer(models['tracker'], flow_frames(2))
