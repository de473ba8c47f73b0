"""svm/benchmark/tracker.py (``tools/analysis_tools/benchmark.py tracker``) on the tiny MOT config."""
import json
import os.path as osp

import pytest
import torch

from svm.benchmark.tracker import benchmark_tracker_config, default_output_path, format_report
from helpers import REPO_ROOT, TINY_MOT_CONFIG
from svm.utils.config_checks import resolve_config

PAPER_CONFIG = str(REPO_ROOT / 'configs/mot/svm/'
                   'bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth_test-mot17halfval.py')


def test_benchmark_of_the_tiny_config(tmp_path):
    result = benchmark_tracker_config(resolve_config(TINY_MOT_CONFIG), TINY_MOT_CONFIG, shape=(64, 90), num_frames=2,
                                      warmup=1)
    saved = json.loads(json.dumps(result))  # what the tool writes
    assert saved['frames'] == 2 and saved['warmup'] == 1 and saved['padded_input_shape'] == [64, 96]
    for key in ('tracker', 'backbone_alone', 'backbone_in_tracker'):
        assert len(saved['ms_per_frame'][key]) == 2 and saved[key]['fps'] > 0
        assert saved[key]['median_ms'] <= saved[key]['p95_ms']
    assert 0 < saved['backbone_share'] < 1 and 0 <= saved['association_share'] < 1
    assert saved['peak_mib_tracker'] >= saved['peak_mib_backbone_alone'] > 0  # CPU: the peak RSS only grows
    # the warm-up frame belongs to the same video: 3 frames in the tiny config's memory of 4
    assert saved['memory_frames_at_last_frame'] == 3 and saved['attn_mode'] == 'stream'
    assert saved['nms'] == 'mmcv'  # CPU tensors: mmcv's own kernel (svm.ops bridges CUDA tensors only)
    assert set(saved['process_cpu_median_ms']) == {'tracker', 'backbone_in_tracker', 'backbone_alone'}
    assert 0 < saved['backbone_share_of_process_cpu'] < 1
    assert result['params_m'] > 0 and result['dtype'] == 'fp32' and result['config'] == TINY_MOT_CONFIG
    table = format_report(result)
    assert '| whole tracker (end to end) |' in table and '| backbone alone (separate run) |' in table
    assert table.startswith(f'{osp.basename(TINY_MOT_CONFIG)} (random weights; ')
    assert default_output_path(TINY_MOT_CONFIG, 64, 90) == osp.join(
        'work_dirs', 'benchmark', 'tracker', f'{osp.splitext(osp.basename(TINY_MOT_CONFIG))[0]}_64x90.json')


def test_checkpoint_must_fit(tmp_path):
    from svm.benchmark.tracker import build_tracker
    cfg = resolve_config(TINY_MOT_CONFIG)
    model = build_tracker(cfg)
    ckpt = tmp_path / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    assert model.detector.backbone.pretrained is None and not model.training  # no CLIP file read, eval mode
    loaded = build_tracker(cfg, str(ckpt))
    name, param = next(iter(loaded.state_dict().items()))
    assert torch.equal(param, model.state_dict()[name])
    other = resolve_config(TINY_MOT_CONFIG, {'model.detector.neck.1.out_channels': 8})
    with pytest.raises(KeyError, match='does not fit the model'):
        build_tracker(other, str(ckpt))


def test_default_shape_is_the_test_scale():
    from svm.analysis.get_flops import config_image_size
    assert config_image_size(resolve_config(PAPER_CONFIG), padded=False) == (800, 1440)
    assert config_image_size(resolve_config(TINY_MOT_CONFIG), padded=False) == (64, 96)
    no_resize = resolve_config(TINY_MOT_CONFIG)
    no_resize.test_dataloader.dataset.pipeline = []
    with pytest.raises(ValueError, match='no Resize with a scale: give the image size with --shape H W'):
        config_image_size(no_resize)


@pytest.mark.parametrize('dtype', ['fp32', 'bf16'])
def test_association_of_detections(dtype):
    """With objects detected (the head's biases raised on its coarsest level: 4 x 6 priors), the tracker
    associates them; under bf16 autocast the boxes reach NMS and the tracker in fp32."""
    from svm.benchmark.tracker import benchmark_tracker, build_tracker
    model = build_tracker(resolve_config(TINY_MOT_CONFIG))
    head = model.detector.bbox_head
    for conv in (head.multi_level_conv_obj[-1], head.multi_level_conv_cls[-1]):
        torch.nn.init.constant_(conv.bias, 5.)
    result = benchmark_tracker(model, 64, 96, num_frames=2, warmup=1, dtype=dtype)
    assert 0 < result['detections_per_frame'] <= 24 and result['tracks_per_frame'] > 0
    assert result['association']['mean_ms'] > 0
    assert 'predict_by_feat' not in vars(head) and 'track' not in vars(model.tracker)  # wrappers removed
