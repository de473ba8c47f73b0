"""FLOPs of whole recognisers (svm/analysis/get_flops.py, tools/analysis_tools/get_flops.py): GFLOPs per view and
the test views (svm.datasets.recognition.count_test_views)."""
import pytest
from mmengine.config import Config

from svm.analysis.get_flops import (DEFAULT_CLIP_SHAPE, config_clip_shape, config_flops, format_config_flops,
                                    format_gflops, recognizer_flops)
from svm.datasets.recognition import count_test_views
from helpers import REPO_ROOT

CONFIG_DIR = REPO_ROOT / 'configs' / 'recognition' / 'svm'


@pytest.mark.parametrize('config,views', [('svm_stream-b16_clip-pre_8xb8-16x4x1-30e_kinetics400-rgb.py', (4, 3)),
                                          ('svm_space-b16_clip-pre_8xb8-u8-30e_sthv2-rgb.py', (2, 3)),
                                          ('svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py', (2, 3))])
def test_views_from_the_test_pipeline(config, views):
    cfg = Config.fromfile(CONFIG_DIR / config)
    assert count_test_views(cfg.test_dataloader.dataset.pipeline, config) == dict(
        clips=views[0], crops=views[1])


def test_recogniser_flops_are_encoder_plus_decoder_times_views():
    cfg = Config.fromfile(CONFIG_DIR / 'svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py')
    result = recognizer_flops(cfg, 'tiny', 8, 64, 64)
    # encoder: 2 blocks of width 64 on 1 + 16 tokens; its count is tested with the backbone. The head's
    # decoder layer: query q/o + k/v of 16 tokens (2 per frame) + attention + MLP, and the classifier.
    C, S = 64, 2 * 8
    head = (2 * C * C + 2 * S * C * C + 2 * S * C + 8 * C * C + 2 * C) / 1e9
    assert result['gflops_head_per_view'] == pytest.approx(head, rel=0.05)
    per_view = result['gflops_encoder_per_view'] + result['gflops_head_per_view']
    assert result['gflops_per_view'] == pytest.approx(per_view)
    assert result['gflops_per_video'] == pytest.approx(6 * result['gflops_per_view'])


def test_config_flops_of_a_recogniser_and_its_table():
    cfg = Config.fromfile(CONFIG_DIR / 'svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py')
    result = config_flops(cfg, 'tiny', shape=(8, 64, 64))
    assert result['kind'] == 'recognizer' and result['views'] == dict(clips=2, crops=3)
    assert result['gflops_per_video'] == pytest.approx(recognizer_flops(cfg, 'tiny', 8, 64, 64)['gflops_per_video'])
    table = format_config_flops(result)
    assert '| encoder / view |' in table and '| 2 x 3 |' in table
    with pytest.raises(ValueError, match='--shape takes the clip shape T H W'):
        config_flops(cfg, 'tiny', shape=(64, 64))


@pytest.mark.parametrize('config,shape', [('svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py', (8, 64, 64)),
                                          ('svm_stream-b16_clip-pre_8xb8-u8-30e_sthv2-rgb.py', (8, 224, 224)),
                                          ('svm_stream-b16_clip-pre_8xb8-16x4x1-30e_kinetics400-rgb.py', (16, 224, 224)),
                                          ('svm_stream-tiny_1xb16-8x1x1-24e_synthetic-order-actions.py', (8, 64, 64))])
def test_default_shape_is_the_configs_clip(config, shape):
    """Without --shape a recogniser is counted on its own view: the sampler's clip_len and the crop (or,
    without a crop, the backbone's img_size), so an 8-frame config is not counted on 16 frames."""
    assert config_clip_shape(Config.fromfile(CONFIG_DIR / config)) == shape


def test_default_shape_of_a_config_without_pipeline():
    cfg = Config.fromfile(REPO_ROOT / 'configs' / '_base_' / 'models' / 'svit-b16-stream.py')
    assert config_clip_shape(cfg) == DEFAULT_CLIP_SHAPE


def test_tiny_recogniser_counted_on_its_clip_and_printed_with_digits():
    cfg = Config.fromfile(CONFIG_DIR / 'svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py')
    result = config_flops(cfg, 'tiny')
    assert result['clip_shape'] == [1, 8, 3, 64, 64]
    row = format_config_flops(result).splitlines()[-1]
    numbers = [cell.strip() for cell in row.strip('|').split('|')]
    assert float(numbers[1]) == pytest.approx(result['gflops_head_per_view'], rel=1e-3)  # not 0.000
    assert float(numbers[0]) == pytest.approx(result['gflops_encoder_per_view'], rel=1e-3)


@pytest.mark.parametrize('value,text', [(0.000412345, '0.0004123'), (0.0283, '0.02830'), (20.51, '20.51'),
                                        (339.61, '339.6'), (1558.2, '1558.2'), (0, '0.0')])
def test_gflops_keep_four_significant_digits(value, text):
    assert format_gflops(value) == text


def test_a_clip_longer_than_the_decoder_learned_is_refused_before_counting(monkeypatch):
    import svm.analysis.get_flops as flops
    monkeypatch.setattr(flops, 'recognizer_flops', lambda *args: pytest.fail('counted before the check'))
    cfg = Config.fromfile(CONFIG_DIR / 'svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py')
    with pytest.raises(ValueError, match=r'tiny: --shape 16 64 64: .*model.cls_head.num_frames=8.*at most 8'):
        config_flops(cfg, 'tiny', shape=(16, 64, 64))
