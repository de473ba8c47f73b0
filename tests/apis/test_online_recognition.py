"""OnlineRecognizer: frame-by-frame streaming gives the offline (parallel-mode) prediction."""
import numpy as np
import pytest
import torch

from svm.apis import OnlineRecognizer, frame_pipeline_from_test_pipeline
from svm.datasets.recognition import split_recognition_pipeline
from helpers import REPO_ROOT, build_tiny_recognizer

T = 4
FRAME_PIPELINE = [dict(type='Resize', scale=(-1, 32)), dict(type='CenterCrop', crop_size=32)]


def random_frames(num_frames, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (num_frames, 40, 56, 3), dtype=np.uint8)


def offline_scores(model, online, frames):
    """The recogniser's test step on one clip of the frames (one view), preprocessed like the stream."""
    from mmaction.structures import ActionDataSample
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        crop = Compose(FRAME_PIPELINE)
    imgs = [crop(dict(imgs=[f], img_shape=f.shape[:2]))['imgs'][0] for f in frames]
    clip = torch.from_numpy(np.stack(imgs)).permute(3, 0, 1, 2)[None]  # (1 view, C, T, H, W)
    with torch.no_grad():
        result = model.test_step(dict(inputs=[clip], data_samples=[ActionDataSample()]))[0]
    return result.pred_score


@pytest.mark.parametrize('attn_mode', ['stream', 'space'])
def test_final_online_prediction_equals_offline(attn_mode):
    model = build_tiny_recognizer(attn_mode, num_frames=T)
    online = OnlineRecognizer(model, FRAME_PIPELINE, topk=3)
    frames = random_frames(T)
    for frame in frames:
        top = online.step(frame)
    expected = offline_scores(model, online, frames)
    torch.testing.assert_close(online.scores(), expected, atol=1e-5, rtol=0)
    assert [label for label, _ in top] == expected.topk(3).indices.tolist()
    np.testing.assert_allclose([score for _, score in top], expected.topk(3).values.numpy(), atol=1e-5)


def test_streaming_encoder_uses_past_frames():
    """Sanity check of the test above: the streaming encoder's last frame depends on earlier frames."""
    model = build_tiny_recognizer('stream', num_frames=T)
    online = OnlineRecognizer(model, FRAME_PIPELINE)
    frames = random_frames(T)
    for frame in frames:
        online.step(frame)
    last_tokens = online.frame_tokens[-1].clone()
    online.reset()
    online.step(frames[-1])
    assert not torch.allclose(online.frame_tokens[-1], last_tokens, atol=1e-4)


def test_window_slides_at_constant_size():
    # A frame encoder makes every frame's tokens independent of the past, so after the window has slid
    # the online scores must be those of the last T frames alone.
    model = build_tiny_recognizer('space', num_frames=T)
    online = OnlineRecognizer(model, FRAME_PIPELINE)
    frames = random_frames(3 * T + 1, seed=1)
    for frame in frames:
        online.step(frame)
        assert len(online.frame_tokens) == min(online.num_frames_seen, T)
    torch.testing.assert_close(online.scores(), offline_scores(model, online, frames[-T:]), atol=1e-5, rtol=0)
    online.reset()
    assert online.num_frames_seen == 0 and not online.frame_tokens


def test_state_stays_bounded():
    """What a stream keeps is bounded: the decoder's window and every block's k/v memory."""
    model = build_tiny_recognizer('stream', num_frames=T)  # memory_len = T
    online = OnlineRecognizer(model, FRAME_PIPELINE)
    for seen, frame in enumerate(random_frames(3 * T + 1, seed=2), 1):
        online.step(frame)
        assert len(online.frame_tokens) == min(seen, T)
        assert online.state.lengths == (min(seen, T), )


def test_refusals():
    with pytest.raises(ValueError, match='cannot stream'):
        OnlineRecognizer(build_tiny_recognizer('clip'), FRAME_PIPELINE)
    with pytest.raises(ValueError, match='window=5'):
        OnlineRecognizer(build_tiny_recognizer(num_frames=T), FRAME_PIPELINE, window=T + 1)
    online = OnlineRecognizer(build_tiny_recognizer(), FRAME_PIPELINE)
    with pytest.raises(RuntimeError, match='no frame'):
        online.scores()
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        online.step(np.zeros((3, 32, 32), np.uint8))


def test_frame_pipeline_from_test_pipeline():
    test_pipeline = [dict(type='DecordInit'), dict(type='SampleFrames', clip_len=8, num_clips=4, test_mode=True),
                     dict(type='DecordDecode'), dict(type='Resize', scale=(-1, 224)),
                     dict(type='ThreeCrop', crop_size=224), dict(type='FormatShape', input_format='NCTHW'),
                     dict(type='PackActionInputs')]
    expected = [dict(type='Resize', scale=(-1, 224)), dict(type='CenterCrop', crop_size=224)]
    assert frame_pipeline_from_test_pipeline(test_pipeline) == expected
    test_pipeline[0]['type'], test_pipeline[2]['type'] = 'PyAVInitWithFrameCount', 'PyAVDecode'
    assert frame_pipeline_from_test_pipeline(test_pipeline) == expected
    # the configs' form: the decoding steps inside a VideoDecodeGuard, which goes as a whole
    guarded = [dict(type='VideoDecodeGuard', transforms=test_pipeline[:3]), *test_pipeline[3:]]
    assert frame_pipeline_from_test_pipeline(guarded) == expected


def test_split_recognition_pipeline():
    guard = dict(type='VideoDecodeGuard', transforms=[
        dict(type='DecordInit'), dict(type='SampleFrames', clip_len=8, num_clips=4), dict(type='DecordDecode')])
    frame_steps = [dict(type='Resize', scale=(-1, 224)), dict(type='ThreeCrop', crop_size=224)]
    pack_steps = [dict(type='FormatShape', input_format='NCTHW'), dict(type='PackActionInputs')]
    parts = split_recognition_pipeline([guard, *frame_steps, *pack_steps])
    assert parts.video_steps == [guard] and parts.frame_steps == frame_steps and parts.pack_steps == pack_steps
    with pytest.raises(ValueError, match='DecordDecode .video step. comes after a frame step'):
        split_recognition_pipeline([dict(type='DecordInit'), *frame_steps, dict(type='DecordDecode')])
    with pytest.raises(ValueError, match='Resize .frame step. comes after a pack step'):
        split_recognition_pipeline([guard, *pack_steps, *frame_steps])


@pytest.mark.parametrize('config', sorted(p.name for p in (REPO_ROOT / 'configs/recognition/svm').glob('*.py')))
def test_every_recognition_test_pipeline_splits(config):
    """The configs' test pipelines: one guard of video steps, then frame steps, then packing."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO_ROOT / 'configs/recognition/svm' / config))
    parts = split_recognition_pipeline(cfg.test_dataloader.dataset.pipeline)
    assert [s['type'] for s in parts.video_steps] == ['VideoDecodeGuard']
    assert [s['type'] for s in parts.pack_steps] == ['FormatShape', 'PackActionInputs']


def test_from_config_with_class_names():
    config = REPO_ROOT / 'configs/recognition/svm/svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py'
    online = OnlineRecognizer.from_config(str(config), topk=2, class_names=['left-to-right', 'right-to-left'])
    assert online.window == 8
    for frame in random_frames(10):
        top = online.step(frame)
    assert {name for name, _ in top} == {'left-to-right', 'right-to-left'}
    assert sum(score for _, score in top) == pytest.approx(1.0, abs=1e-5)
