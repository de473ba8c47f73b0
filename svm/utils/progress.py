"""Progress of long loops: mmengine's bar on a terminal, separate lines elsewhere. mmengine's ProgressBar
redraws its line with carriage returns, which a log file or CI output keeps as one huge line."""
import sys
import time
from typing import Iterator, Optional, Sequence, TextIO, TypeVar

T = TypeVar('T')
# Without a terminal, a line about every tenth of the work (and the last).
LINES_PER_TASK = 10


class LineProgress:
    """``done/total (percent), elapsed, ETA`` as separate lines, about :data:`LINES_PER_TASK` of them; the
    ``update()`` interface of mmengine's ProgressBar."""

    def __init__(self, total: int, file: Optional[TextIO] = None) -> None:
        self.total, self.done, self.file = int(total), 0, file
        self.every = max(1, self.total // LINES_PER_TASK)
        self.start = time.perf_counter()

    def update(self, num_tasks: int = 1) -> None:
        before, self.done = self.done, self.done + num_tasks
        if self.done // self.every == before // self.every and self.done != self.total:
            return
        elapsed = time.perf_counter() - self.start
        if self.total > 0:
            eta = elapsed * (self.total - self.done) / max(self.done, 1)
            line = (f'{self.done}/{self.total} ({100 * self.done / self.total:.0f}%), {elapsed:.1f} s elapsed, '
                    f'ETA {eta:.1f} s')
        else:
            line = f'{self.done} done, {elapsed:.1f} s elapsed'
        print(line, file=self.file or sys.stdout, flush=True)


def progress_bar(total: int, file: Optional[TextIO] = None):
    """A progress display for ``total`` steps with mmengine's ``update()``: mmengine's ProgressBar when ``file``
    (default: sys.stdout) is a terminal, else :class:`LineProgress`."""
    file = file or sys.stdout
    if getattr(file, 'isatty', lambda: False)():
        from mmengine.utils import ProgressBar
        return ProgressBar(total, file=file)
    return LineProgress(total, file)


def track_iter_progress(items: Sequence[T], file: Optional[TextIO] = None) -> Iterator[T]:
    """``mmengine.track_iter_progress``, with :func:`progress_bar`'s display."""
    bar = progress_bar(len(items), file)
    for item in items:
        yield item
        bar.update()
