"""Streaming MOT models: memory reset per video, clip training, and other mmdet detectors/trackers on S-ViT."""
import copy

import pytest
import torch
from mmdet.registry import DATA_SAMPLERS, DATASETS, MODELS
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope

from helpers import H, REPO_ROOT, W, build_seeded_tracker, tiny_mot_config, tiny_mot_train_batch

init_default_scope('mmdet')
MOT_CONFIGS = REPO_ROOT / 'configs' / 'mot' / 'svm'
OCSORT_CONFIG = 'ocsort_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py'
FRCNN_CONFIG = 'bytetrack_svit-b16_faster-rcnn_fpn_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py'


def frame(video_id: int, frame_id: int, seed: int):
    """One preprocessed frame (1, 1, 3, H, W) and its TrackDataSample."""
    g = torch.Generator().manual_seed(seed)
    sample = DetDataSample(metainfo=dict(
        video_id=video_id, frame_id=frame_id, img_shape=(H, W), ori_shape=(H, W), scale_factor=(1.0, 1.0),
        batch_input_shape=(H, W), pad_shape=(H, W), img_id=seed, img_path=f'v{video_id}/img1/{frame_id}.jpg'))
    return torch.randn(1, 1, 3, H, W, generator=g), TrackDataSample(video_data_samples=[sample])


def stream(model, frames):
    """Track frames one by one (as TrackImgSampler feeds them); return the first backbone map of each."""
    feats = []
    hook = model.detector.backbone.register_forward_hook(lambda m, i, o: feats.append(o[0].clone()))
    with torch.no_grad():
        for img, sample in frames:
            out = model.predict(img, [sample])
            assert 'pred_track_instances' in out[0][0]
    hook.remove()
    return feats


def test_memory_resets_per_video():
    # alpha 1: the memory visibly matters
    model = build_seeded_tracker(tiny_mot_config().model, alpha_init=1.0).eval()
    fresh = copy.deepcopy(model)
    video_a = [frame(1, t, seed=t) for t in range(3)]
    video_b = [frame(2, t, seed=10 + t) for t in range(3)]
    after_a = stream(model, video_a + video_b)[3:]
    alone = stream(fresh, video_b)
    for x, y in zip(after_a, alone):
        torch.testing.assert_close(x, y)
    # the memory is used within a video: frame 1 of B differs from frame 1 of B seen alone
    assert not torch.allclose(stream(copy.deepcopy(fresh), video_b[1:2])[0], alone[1], atol=1e-4)
    # control: without the reset, video A leaks into video B
    leaky = copy.deepcopy(fresh)
    leaky.detector.backbone.reset_memory = lambda: None
    assert not torch.allclose(stream(leaky, video_a + video_b)[3], alone[0], atol=1e-4)
    # a new video id resets even when its first frame is not frame 0 (e.g. a subset of a video)
    late_b = [frame(2, t + 5, seed=10 + t) for t in range(3)]
    for x, y in zip(stream(copy.deepcopy(fresh), video_a + late_b)[3:], alone):
        torch.testing.assert_close(x, y)


def test_whole_video_input_streams_like_frame_by_frame():
    model = build_seeded_tracker(tiny_mot_config().model, alpha_init=1.0).eval()
    frames = [frame(3, t, seed=20 + t) for t in range(3)]
    by_frame = stream(copy.deepcopy(model), frames)
    video = (torch.cat([img for img, _ in frames], 1),
             TrackDataSample(video_data_samples=[s[0] for _, s in frames]))
    for x, y in zip(stream(model, [video]), by_frame):
        torch.testing.assert_close(x, y)


def test_distributed_testing_gives_each_process_whole_videos_from_frame_0(tiny_mot, monkeypatch):
    cfg = tiny_mot_config(tiny_mot['root'])
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    for rank in (0, 1):
        monkeypatch.setattr('mmdet.datasets.samplers.track_img_sampler.get_dist_info', lambda r=rank: (r, 2))
        indices = list(DATA_SAMPLERS.build(dict(type='TrackImgSampler', seed=0), default_args=dict(dataset=dataset)))
        assert indices == [(rank, f) for f in range(5)]  # video `rank`, every frame, in order
        assert dataset[indices[0]]['data_samples'][0].frame_id == 0  # so the model resets there


def train_and_track(model, batch, steps=1, lr=2e-3):
    """Losses of ``steps`` optimisation steps on one batch, then tracking of 3 frames."""
    model.train()
    optim = torch.optim.AdamW(model.parameters(), lr=lr)
    totals = []
    for step in range(steps):
        MessageHub.get_current_instance().update_info('iter', step)  # BatchSyncRandomResize reads it
        data = model.data_preprocessor(copy.deepcopy(batch), training=True)
        assert data['inputs'].dim() == 5 and data['inputs'].shape[:2] == (2, 2)
        losses = model.loss(data['inputs'], data['data_samples'])
        total = sum(v.sum() if torch.is_tensor(v) else sum(x.sum() for x in v)
                    for k, v in losses.items() if 'loss' in k)
        optim.zero_grad()
        total.backward()
        grads = [p.grad for n, p in model.named_parameters() if n.startswith('detector.backbone.')]
        assert any(g is not None and g.abs().sum() > 0 for g in grads), 'no gradient reached S-ViT'
        optim.step()
        totals.append(total.item())
    model.eval()
    with torch.no_grad():
        tracks = [model.predict(img, [s])[0][0].pred_track_instances for img, s in
                  [frame(5, t, seed=30 + t) for t in range(3)]]
    assert all({'bboxes', 'scores', 'instances_id'} <= set(t.keys()) for t in tracks)
    return totals


def test_clip_training_loss_falls(tiny_mot):
    cfg = tiny_mot_config()
    batch = tiny_mot_train_batch(tiny_mot['root'])
    cfg.model.data_preprocessor.batch_augments = None  # one input size: a clean descent on one batch
    totals = train_and_track(build_seeded_tracker(cfg.model), batch, steps=8, lr=1e-2)
    assert totals[-1] < 0.85 * totals[0], totals


def test_streamed_clip_training_loss_falls(tiny_mot):
    """clip_forward='stream': the frames of a clip go through the memory one at a time and their losses are
    averaged; on one batch the loss falls as in parallel mode."""
    cfg = tiny_mot_config()
    cfg.model.clip_forward = 'stream'
    cfg.model.data_preprocessor.batch_augments = None
    totals = train_and_track(build_seeded_tracker(cfg.model), tiny_mot_train_batch(tiny_mot['root']), steps=8,
                             lr=1e-2)
    assert totals[-1] < 0.85 * totals[0], totals


@pytest.mark.parametrize('config_name', [None, OCSORT_CONFIG])
def test_both_models_check_their_arguments(config_name):
    """ByteTrack and OC-SORT share one constructor: it takes clip_forward, refuses an unknown one and a
    detector whose backbone cannot reset a memory, and builds the config's tracker."""
    cfg = tiny_mot_config().model
    if config_name is not None:
        paper = Config.fromfile(MOT_CONFIGS / config_name).model
        cfg.type, cfg.tracker = paper.type, paper.tracker
    model = MODELS.build(dict(cfg, clip_forward='stream'))
    assert (type(model).__name__, model.clip_forward) == (cfg.type, 'stream')
    assert type(model.tracker).__name__ == cfg.tracker.type
    with pytest.raises(ValueError, match="clip_forward must be one of .* got 'serial'"):
        MODELS.build(dict(cfg, clip_forward='serial'))
    resnet = copy.deepcopy(cfg)
    resnet.detector.backbone = dict(type='ResNet', depth=18, out_indices=(1, 2, 3))
    with pytest.raises(TypeError, match='backbone has reset_memory.*got ResNet'):
        MODELS.build(resnet)
    with pytest.raises(TypeError, match='tracker'):
        MODELS.build({k: v for k, v in cfg.items() if k != 'tracker'})


def tiny_detector_in(config_name: str) -> Config:
    """A paper config with the tiny S-ViT (the model keeps the config's detector and tracker types)."""
    cfg = Config.fromfile(MOT_CONFIGS / config_name)
    tiny = tiny_mot_config().model
    cfg.model.data_preprocessor = tiny.data_preprocessor
    cfg.model.detector.backbone = tiny.detector.backbone
    return cfg


def test_ocsort_on_svit(tiny_mot):
    cfg = tiny_detector_in(OCSORT_CONFIG)
    cfg.model.detector = tiny_mot_config().model.detector
    assert cfg.model.type == 'StreamingOCSORT' and cfg.model.tracker.type == 'OCSORTTracker'
    train_and_track(build_seeded_tracker(cfg.model), tiny_mot_train_batch(tiny_mot['root']))


def test_faster_rcnn_on_svit(tiny_mot):
    cfg = tiny_detector_in(FRCNN_CONFIG)
    det = cfg.model.detector
    assert det.type == 'FasterRCNN'
    det.neck = [dict(type='SimplePyramid', in_channels=32, out_channels=[16, 32, 64]),
                dict(type='FPN', in_channels=[16, 32, 64], out_channels=16, num_outs=5)]
    det.rpn_head.update(in_channels=16, feat_channels=16)
    det.rpn_head.anchor_generator.update(scales=[4], strides=[4, 8, 16, 32, 64])
    det.roi_head.bbox_roi_extractor.update(out_channels=16, featmap_strides=[4, 8, 16, 32])
    det.roi_head.bbox_head.update(in_channels=16, fc_out_channels=32)
    det.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=50)
    det.test_cfg.rpn.update(nms_pre=200, max_per_img=50)
    train_and_track(build_seeded_tracker(cfg.model), tiny_mot_train_batch(tiny_mot['root']))


def test_frame_based_baseline_tracks():
    """The `space` baseline (no temporal attention, no memory) runs in the same streaming model."""
    model = build_seeded_tracker(tiny_mot_config().model, attn_mode='space').eval()
    frames = [frame(4, t, seed=40 + t) for t in range(2)]
    feats = stream(model, frames)
    alone = stream(copy.deepcopy(model), frames[1:])
    torch.testing.assert_close(feats[1], alone[0])  # each frame on its own


def test_clip_frames_meet_their_own_labels(tiny_mot):
    """In parallel clip training, feature row b*T + t meets the labels of clip b, frame t: with the
    frame-based backbone the 5-D clip loss equals the loss of the same frames given one by one."""
    cfg = tiny_mot_config()
    cfg.model.data_preprocessor.batch_augments = None
    batch = tiny_mot_train_batch(tiny_mot['root'])
    model = build_seeded_tracker(cfg.model, attn_mode='space').train()
    data = model.data_preprocessor(batch, training=True)
    inputs, samples = data['inputs'], data['data_samples']
    assert not torch.equal(inputs[:, 0], inputs[:, 1])  # the frames of a clip differ
    torch.manual_seed(0)
    clip_losses = model.loss(inputs, samples)
    frames = [s[t] for s in samples for t in range(inputs.size(1))]
    torch.manual_seed(0)
    flat_losses = model.detector.loss(inputs.flatten(0, 1), frames)
    for key in clip_losses:
        torch.testing.assert_close(clip_losses[key], flat_losses[key])
    # control: the same frames with their labels swapped between the two frames of each clip
    swapped = [s[1 - t] for s in samples for t in range(inputs.size(1))]
    torch.manual_seed(0)
    wrong = model.detector.loss(inputs.flatten(0, 1), swapped)
    assert not torch.allclose(wrong['loss_bbox'], clip_losses['loss_bbox'])
