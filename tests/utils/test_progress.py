"""svm.utils.progress: separate progress lines where the output is not a terminal (a log, CI), mmengine's bar
on a terminal."""
import io

from mmengine.utils import ProgressBar

from svm.utils.progress import LineProgress, progress_bar, track_iter_progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_into_a_file_is_separate_lines_without_carriage_returns():
    out = io.StringIO()
    assert list(track_iter_progress(range(25), file=out)) == list(range(25))
    text = out.getvalue()
    assert '\r' not in text
    lines = text.splitlines()
    assert 10 <= len(lines) <= 13  # about one line per tenth, and the last
    assert lines[0].startswith('2/25 (8%), ') and lines[-1].startswith('25/25 (100%), ') and 'ETA' in lines[-1]


def test_short_and_empty_tasks():
    out = io.StringIO()
    bar = progress_bar(3, out)
    for _ in range(3):
        bar.update()
    assert [line.split(',')[0] for line in out.getvalue().splitlines()] == ['1/3 (33%)', '2/3 (67%)', '3/3 (100%)']
    assert list(track_iter_progress([], file=io.StringIO())) == []


def test_a_terminal_gets_mmengines_bar():
    terminal = _Terminal()
    assert isinstance(progress_bar(4, terminal), ProgressBar)
    assert isinstance(progress_bar(4, io.StringIO()), LineProgress)


def test_the_synthetic_data_generator_logs_lines(tmp_path, capsys):
    """One of svm's loops that showed mmengine's bar: its progress in a captured (non-terminal) output."""
    from svm.datasets.synthetic.actions import SyntheticActionConfig, write_action_benchmark
    write_action_benchmark(str(tmp_path), num_train=1, num_val=1, progress=True,
                           cfg=SyntheticActionConfig(size=32, num_frames=2, num_classes=2))
    out = capsys.readouterr().out
    assert '\r' not in out and '2/2 (100%)' in out
