"""The one Markdown table writer of svm's tools, benchmarks and reports.

Compact GitHub-flavoured Markdown (``| a | b |``, no padding), so that a table pastes into the docs as printed
and a line of it can be found with a plain substring. Cells are formatted by the caller; ``None`` is an empty
cell, and a ``|`` or a line break inside a cell is escaped so that it cannot split the row.
"""
from typing import Any, Iterable, Optional, Sequence

ALIGN_RULES = {'left': '---', 'right': '---:', 'center': ':---:'}


def table_cell(value: Any) -> str:
    """``value`` as the text of one cell: ``None`` empty, ``|`` escaped, line breaks as spaces."""
    if value is None:
        return ''
    return str(value).replace('|', '\\|').replace('\n', ' ')


def markdown_table(header: Sequence[Any], rows: Iterable[Sequence[Any]],
                   align: Optional[Sequence[str]] = None) -> str:
    """A Markdown table of ``header`` over ``rows`` (each as long as the header), one line per row.

    Args:
        header: the column titles.
        rows: the cells of each row (see :func:`table_cell`).
        align: per column 'left' (the default), 'right' or 'center'.

    Raises:
        ValueError: a row or ``align`` of another length than the header, or an unknown alignment.
    """
    align = list(align) if align is not None else ['left'] * len(header)
    if len(align) != len(header) or any(a not in ALIGN_RULES for a in align):
        raise ValueError(f'align needs one of {list(ALIGN_RULES)} per column ({len(header)}), got {align}')
    lines = [_row(header), '|' + '|'.join(ALIGN_RULES[a] for a in align) + '|']
    for index, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f'row {index} has {len(row)} cells for {len(header)} columns {list(header)}: {row}')
        lines.append(_row(row))
    return '\n'.join(lines)


def _row(cells: Sequence[Any]) -> str:
    return '| ' + ' | '.join(table_cell(cell) for cell in cells) + ' |'
