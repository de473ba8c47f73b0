"""FrameSteppedTrainLoop, the S-ViT release's sequence runner: every frame of a training clip is one
iteration (hooks, optimizer step, schedule); and what the backbone's memory holds across the frame
steps of a clip with clip_forward 'parallel' and 'stream'."""
import copy

import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.runner import Runner
from mmengine.structures import InstanceData

from svm.engine.runner import split_clip_batch
from helpers import build_seeded_tracker, tiny_mot_config, tiny_mot_train_batch


def hand_made_batch(num_clips: int = 2, num_frames: int = 3) -> dict:
    """pseudo_collate output of PackTrackInputs: frame t of clip b is filled with 10 * b + t."""
    inputs, samples = [], []
    for b in range(num_clips):
        inputs.append(torch.stack([torch.full((3, 4, 4), 10 * b + t, dtype=torch.uint8) for t in range(num_frames)]))
        frames = [DetDataSample(metainfo=dict(img_id=10 * b + t, frame_id=t),
                                gt_instances=InstanceData(bboxes=torch.full((1, 4), 10. * b + t),
                                                          labels=torch.zeros(1, dtype=torch.long)))
                  for t in range(num_frames)]
        samples.append(TrackDataSample(metainfo=dict(clip_id=b), video_data_samples=frames))
    return dict(inputs=inputs, data_samples=samples)


def test_split_clip_batch_gives_frame_t_of_every_clip():
    batch = hand_made_batch()
    frame_batches = split_clip_batch(batch, num_frames=3)
    assert len(frame_batches) == 3
    for t, frame_batch in enumerate(frame_batches):
        assert len(frame_batch['inputs']) == len(frame_batch['data_samples']) == 2
        for b, (x, sample) in enumerate(zip(frame_batch['inputs'], frame_batch['data_samples'])):
            assert x.shape == (1, 3, 4, 4) and torch.all(x == 10 * b + t)
            assert isinstance(sample, TrackDataSample) and len(sample) == 1 and sample.clip_id == b
            frame = sample[0]
            assert frame.img_id == 10 * b + t and frame.frame_id == t
            assert frame.clip_frame_index == t and frame.clip_num_frames == 3
            assert torch.all(frame.gt_instances.bboxes == 10 * b + t)
    assert 'clip_frame_index' not in batch['data_samples'][0][1]  # the clip batch is left as it was

    with pytest.raises(ValueError, match=r'num_frames=2.*clip of 3 frames'):
        split_clip_batch(batch, num_frames=2)


def memory_sizes(model) -> list:
    """Frames held by each block's memory of the S-ViT's own stream."""
    state = model.detector.backbone.stream_state
    return [max(memory.lengths, default=0) for memory in state.memories]


class Recorder(Hook):
    """Records, per training iteration, what the hooks see and the learning rate in use."""

    def __init__(self):
        self.batch_idx, self.hub_iter, self.frame_index, self.lr = [], [], [], []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.batch_idx.append(batch_idx)
        self.hub_iter.append(MessageHub.get_current_instance().get_info('iter'))
        self.frame_index.append({s[0].clip_frame_index for s in data_batch['data_samples']})
        assert all(x.size(0) == 1 for x in data_batch['inputs'])
        self.lr.append(runner.optim_wrapper.get_lr()['lr'][0])


@pytest.mark.parametrize('clip_forward', ['parallel', 'stream'])
def test_tiny_training_steps_every_frame(tiny_mot, tmp_path, clip_forward):
    cfg = tiny_mot_config(tiny_mot['root'])
    cfg.model.clip_forward = clip_forward
    cfg.randomness = dict(seed=0)
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg = dict(type='FrameSteppedTrainLoop', max_epochs=1, num_frames=2)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    # one input size per clip, as in the release: a new size every T frame iterations
    cfg.model.data_preprocessor.batch_augments[0].interval = 2
    # a warm-up over the one epoch, given in epochs
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
                                convert_to_iter_based=True)]
    runner = Runner.from_cfg(cfg)
    recorder = Recorder()
    runner.register_hook(recorder)
    input_hw = []
    runner.model.detector.backbone.register_forward_pre_hook(lambda m, args: input_hw.append(args[0].shape[-2:]))
    runner.train()

    num_batches = len(runner.train_loop.dataloader.loader)
    num_iters = 2 * num_batches
    assert num_batches == 7  # 14 half-train frames of 2 videos, 2 clips a batch
    assert runner.iter == runner.max_iters == num_iters and runner.epoch == 1
    assert recorder.batch_idx == recorder.hub_iter == list(range(num_iters))
    assert recorder.frame_index == [{0}, {1}] * num_batches
    # one AdamW step per frame iteration
    state = runner.optim_wrapper.optimizer.state[runner.model.detector.backbone.conv1.weight]
    assert int(state['step']) == num_iters
    # the epoch-long warm-up lasts 2 * len(loader) frame iterations: the lr rises at every one of them
    base_lr = cfg.optim_wrapper.optimizer.lr
    assert runner.param_schedulers[0].end == num_iters
    assert recorder.lr[0] == pytest.approx(0.1 * base_lr) and recorder.lr[-1] == pytest.approx(base_lr)
    assert all(a < b for a, b in zip(recorder.lr, recorder.lr[1:]))
    # BatchSyncRandomResize reads the per-frame 'iter': both frames of a clip share their size
    assert len(input_hw) == num_iters and len(set(input_hw)) > 1
    assert all(input_hw[i] == input_hw[i + 1] for i in range(0, num_iters, 2))
    assert memory_sizes(runner.model) == [0, 0, 0]  # no memory left for validation


def reversed_clips(batch: dict) -> dict:
    """The clips of ``batch`` with their frames in reverse order (another clip batch)."""
    return dict(inputs=[x.flip(0) for x in batch['inputs']],
                data_samples=[TrackDataSample(metainfo=s.metainfo, video_data_samples=s.video_data_samples[::-1])
                              for s in batch['data_samples']])


def frame_step_features(model, clip_batches):
    """The model's loss on the frame batches of each clip batch, in order, as the loop calls it.

    Returns, per frame step, the backbone's input and its first output map.
    """
    seen = []
    hook = model.detector.backbone.register_forward_hook(
        lambda m, args, out: seen.append((args[0].detach(), out[0].detach())))
    for batch in clip_batches:
        for frame_batch in split_clip_batch(copy.deepcopy(batch), num_frames=2):
            data = model.data_preprocessor(frame_batch, training=True)
            losses = model.loss(data['inputs'], data['data_samples'])
            assert losses['loss_cls'].requires_grad
    hook.remove()
    return seen


@torch.no_grad()
def streamed(backbone, *frames):
    """The first output map of the last of ``frames`` (N, C, H, W), streamed from an empty memory."""
    backbone.reset_memory()
    for x in frames:
        out = backbone(x)[0]
    backbone.reset_memory()
    return out


@pytest.fixture(scope='module')
def clip_batch(tiny_mot):
    return tiny_mot_train_batch(tiny_mot['root'])


def memory_model(clip_forward: str):
    cfg = tiny_mot_config()
    cfg.model.clip_forward = clip_forward
    cfg.model.data_preprocessor.batch_augments = None  # the same size for the references
    return build_seeded_tracker(cfg.model, alpha_init=1.0).train()  # alpha 1: the memory visibly matters


def test_parallel_frame_steps_attend_to_their_own_frame(clip_batch):
    model = memory_model('parallel')
    (x0, _), (x1, out1) = frame_step_features(model, [clip_batch])
    assert x1.shape[1] == 1  # a one-frame clip
    backbone = model.detector.backbone
    torch.testing.assert_close(out1, streamed(backbone, x1[:, 0]), rtol=1e-4, atol=1e-5)  # frame 1 alone
    with torch.no_grad():
        in_clip = backbone(torch.cat([x0, x1], 1))[0][1::2]  # frame 1 attending to frame 0 (rows b*T + 1)
    assert not torch.allclose(out1, in_clip, atol=1e-3)
    assert memory_sizes(model) == [0, 0, 0]


def test_stream_frame_steps_continue_the_clip_memory(clip_batch):
    model = memory_model('stream')
    backbone = model.detector.backbone
    seen = frame_step_features(model, [clip_batch, reversed_clips(clip_batch)])
    (x0, out0), (x1, out1), (y0, out_y0), (y1, out_y1) = seen
    assert x1.dim() == 4  # streaming mode
    torch.testing.assert_close(out0, streamed(backbone, x0))
    torch.testing.assert_close(out1, streamed(backbone, x0, x1))  # frame 1 after frame 0
    assert not torch.allclose(out1, streamed(backbone, x1), atol=1e-3)  # ... not frame 1 alone
    # the next clip starts from an empty memory: it does not see the previous clip's frames
    torch.testing.assert_close(out_y0, streamed(backbone, y0))
    torch.testing.assert_close(out_y1, streamed(backbone, y0, y1))
    assert not torch.allclose(out_y0, streamed(backbone, x0, x1, y0), atol=1e-3)
    assert memory_sizes(model) == [0, 0, 0]  # nothing left for validation

    # a frame step out of order is refused, and leaves the memory empty
    frame_batches = split_clip_batch(copy.deepcopy(clip_batch), num_frames=2)
    data = model.data_preprocessor(frame_batches[0], training=True)
    model.loss(data['inputs'], data['data_samples'])
    assert memory_sizes(model) == [1, 1, 1]
    with pytest.raises(RuntimeError, match='expected frame 1'):
        model.loss(data['inputs'], [TrackDataSample(video_data_samples=[s[0].new(
            metainfo=dict(s[0].metainfo, clip_frame_index=2))]) for s in data['data_samples']])
    assert memory_sizes(model) == [0, 0, 0]
