"""svm/utils/table.py: the one Markdown table writer of the tools, benchmarks and reports."""
import pytest

from svm.utils.table import markdown_table


def test_compact_rows_under_a_rule():
    table = markdown_table(['a', 'b', ''], [[1, None, ''], ['x', 2.5, 'y']])
    assert table.splitlines() == ['| a | b |  |', '|---|---|---|', '| 1 |  |  |', '| x | 2.5 | y |']


def test_a_pipe_or_a_line_break_in_a_cell_cannot_split_the_row():
    table = markdown_table(['max |grad|'], [['error: a | b\nnext line']])
    assert table.splitlines() == [r'| max \|grad\| |', '|---|', r'| error: a \| b next line |']


def test_alignment_and_refusals():
    assert markdown_table(['a', 'b'], [], align=['left', 'right']).splitlines()[1] == '|---|---:|'
    with pytest.raises(ValueError, match=r'row 0 has 1 cells for 2 columns'):
        markdown_table(['a', 'b'], [['only one']])
    with pytest.raises(ValueError, match='align needs one of'):
        markdown_table(['a'], [], align=['middle'])
