"""svm/benchmark/online_recognition.py (``tools/analysis_tools/benchmark.py online-recognition``) on the toy
recognition config."""
import pytest

from svm.benchmark.online_recognition import benchmark_online_recognition, format_table
from helpers import REPO_ROOT

TOY_CONFIG = 'configs/recognition/svm/svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py'


def test_online_recognition_benchmark_on_the_toy_config():
    from svm.apis import OnlineRecognizer
    online = OnlineRecognizer.from_config(str(REPO_ROOT / TOY_CONFIG))
    with pytest.raises(ValueError, match='longer than the window of 8 frames'):
        benchmark_online_recognition(online, 8, (40, 56))
    result = benchmark_online_recognition(online, 10, (40, 56))
    assert result['window'] == 8 and result['window_frames_held'] == 8 and result['encoder_memory_frames'] == 8
    for name in ('streaming', 're_encoding'):
        assert result[name]['filling']['mean_ms'] > 0 and result[name]['steady']['p95_ms'] > 0
        # the shared summary (svm.benchmark.timing.latency_summary): the steady part is the 2 frames after the window
        assert result[name]['steady']['max_ms'] >= result[name]['steady']['median_ms'] > 0
        assert 'slope_ms_per_100_frames' in result[name]['steady']
    table = format_table(result, 'toy')
    assert '| streaming |' in table and '| re_encoding |' in table and 'steady re-encoding / streaming' in table
