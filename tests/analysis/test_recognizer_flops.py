"""FLOPs of whole recognisers (svm/analysis/flops.py, tools/analysis_tools/get_flops.py): GFLOPs per view and
the test views (svm.datasets.recognition.count_test_views)."""
import pytest
from mmengine.config import Config

from svm.analysis.flops import config_flops, format_config_flops, recognizer_flops
from svm.datasets.recognition import count_test_views
from svm.testing import REPO_ROOT

CONFIG_DIR = REPO_ROOT / 'configs' / 'recognition' / 'svm'


@pytest.mark.parametrize('config,views', [('svm_stream-b16_clip-pre_16x4x1_kinetics400-rgb.py', (4, 3)),
                                          ('svm_space-b16_clip-pre_u8_sthv2-rgb.py', (2, 3)),
                                          ('svm_stream-tiny_8x1x1_toy-rgb.py', (2, 3))])
def test_views_from_the_test_pipeline(config, views):
    cfg = Config.fromfile(CONFIG_DIR / config)
    assert count_test_views(cfg.test_dataloader.dataset.pipeline, config) == dict(
        clips=views[0], crops=views[1])


def test_recogniser_flops_are_encoder_plus_decoder_times_views():
    cfg = Config.fromfile(CONFIG_DIR / 'svm_stream-tiny_8x1x1_toy-rgb.py')
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
    cfg = Config.fromfile(CONFIG_DIR / 'svm_stream-tiny_8x1x1_toy-rgb.py')
    result = config_flops(cfg, 'tiny', shape=(8, 64, 64))
    assert result['kind'] == 'recognizer' and result['views'] == dict(clips=2, crops=3)
    assert result['gflops_per_video'] == pytest.approx(recognizer_flops(cfg, 'tiny', 8, 64, 64)['gflops_per_video'])
    table = format_config_flops(result)
    assert '| encoder / view |' in table and '| 2 x 3 |' in table
    with pytest.raises(ValueError, match='--shape takes the clip shape T H W'):
        config_flops(cfg, 'tiny', shape=(64, 64))
