"""svm/benchmark/tracker_training.py (``tools/analysis_tools/benchmark.py tracker-training``): one training
iteration of a whole MOT tracker, and the synthetic batch it trains on, on the tiny MOT config."""
import numpy as np
import pytest
import torch

from svm.benchmark.tracker_training import (benchmark_tracker_training, build_optim_wrapper_for,
                                            build_trainable_tracker, format_table, synthetic_train_batch)
from helpers import TINY_MOT_CONFIG, tiny_mot_train_batch
from svm.utils.config_checks import resolve_config


def _structure(batch: dict) -> list:
    """What a model sees of a collated MOT batch: the first clip's input dtype and rank, and its first frame's
    box and label types and meta keys."""
    inputs = [(tuple(x.shape[:2]), x.dtype, x.dim()) for x in batch['inputs']]
    frames = [(type(frame.gt_instances.bboxes), frame.gt_instances.bboxes.dtype,
               frame.gt_instances.labels.dtype, sorted(frame.metainfo))
              for sample in batch['data_samples'] for frame in sample]
    return [inputs[0][1:], frames[0]]


def test_synthetic_batch_is_what_the_train_loader_gives(tiny_mot):
    real = tiny_mot_train_batch(tiny_mot['root'])
    batch = synthetic_train_batch(num_clips=2, num_frames=3, height=64, width=96, num_objects=5)
    assert _structure(batch)[0] == _structure(real)[0]
    synthetic_frame, real_frame = _structure(batch)[1], _structure(real)[1]
    assert synthetic_frame[:3] == real_frame[:3]
    assert set(real_frame[3]) <= set(synthetic_frame[3]) | {'instances'}  # every meta key the loader gives
    assert [tuple(x.shape) for x in batch['inputs']] == [(3, 3, 64, 96)] * 2
    assert batch['inputs'][0].dtype == torch.uint8
    for sample in batch['data_samples']:
        assert len(sample) == 3
        boxes = torch.stack([frame.gt_instances.bboxes for frame in sample])  # (T, K, 4)
        assert boxes.shape == (3, 5, 4)
        assert (boxes[..., 0] >= 0).all() and (boxes[..., 2] <= 96).all() and (boxes[..., 3] <= 64).all()
        assert (boxes[..., 2] > boxes[..., 0]).all() and (boxes[..., 3] > boxes[..., 1]).all()
        assert all(frame.gt_instances.instances_ids.tolist() == list(range(5)) for frame in sample)
        assert (boxes[1:] - boxes[:-1]).abs().max() <= 4.0 + 1e-4  # drift of at most 4 px per frame
    # deterministic, and two clips differ
    again = synthetic_train_batch(num_clips=2, num_frames=3, height=64, width=96, num_objects=5)
    assert torch.equal(again['inputs'][0], batch['inputs'][0])
    assert not torch.equal(batch['inputs'][0], batch['inputs'][1])


def test_training_iterations_on_the_tiny_tracker():
    cfg = resolve_config(str(TINY_MOT_CONFIG))
    result = benchmark_tracker_training(cfg, 64, 96, num_clips=2, num_frames=2, iters=3, warmup=1, device='cpu',
                                        dtype='fp32', num_objects=6)
    assert result['optim_wrapper'] == 'OptimWrapper' and result['clip_forward'] == cfg.model.clip_forward
    assert result['with_cp'] is False and result['clips'] == 2 and result['frames_per_clip'] == 2
    assert 0 < result['min_ms'] <= result['median_ms'] <= result['p95_ms']
    assert result['losses_finite'] and result['last_loss'] < result['first_loss']  # the same batch, 4 steps
    assert result['peak_mib'] > 0 and result['params_m'] == result['trainable_params_m'] > 0
    table = format_table(result, 'tiny')
    assert table.startswith('tiny\n2 clips x 2 frames at 64x96, cpu, fp32 (OptimWrapper, gradient checkpointing off)')
    assert f"| {result['median_ms']:.1f} | {result['p95_ms']:.1f} | {result['min_ms']:.1f} |" in table


def test_trainable_tracker_keeps_its_size_and_the_optimizer_wrapper_follows_the_dtype():
    cfg = resolve_config(str(TINY_MOT_CONFIG))
    assert cfg.model.data_preprocessor.get('batch_augments')  # multi-scale in the config ...
    model = build_trainable_tracker(cfg)
    assert model.training and model.data_preprocessor.batch_augments is None  # ... not in the measurement
    batch = synthetic_train_batch(1, 2, 64, 96)
    assert model.data_preprocessor(batch, True)['inputs'].shape[-2:] == (64, 96)
    wrapper = build_optim_wrapper_for(model, cfg, 'fp32')
    assert type(wrapper).__name__ == 'OptimWrapper'
    assert {id(p) for group in wrapper.optimizer.param_groups for p in group['params']} == \
        {id(p) for p in model.parameters()}
    with pytest.raises(ValueError, match="dtype must be 'fp32', 'fp16' or 'bf16', got 'int8'"):
        build_optim_wrapper_for(model, cfg, 'int8')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU')
@pytest.mark.parametrize('dtype', ['fp16', 'bf16'])
def test_mixed_precision_training_iteration_on_cuda(dtype):
    cfg = resolve_config(str(TINY_MOT_CONFIG))
    result = benchmark_tracker_training(cfg, 64, 96, iters=2, warmup=1, device='cuda', dtype=dtype)
    assert result['optim_wrapper'] == 'AmpOptimWrapper' and result['losses_finite']
    assert np.isfinite(result['median_ms']) and result['peak_mib'] > 0
