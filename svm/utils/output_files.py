"""Checks of the files a command will write, made before its work starts: an output that is one of its inputs
(which writing would destroy) and an output that cannot be written (which would fail only at the end, losing
the work)."""
import os
import os.path as osp
import tempfile
from typing import Iterable


def same_file(a: str, b: str) -> bool:
    """Whether the paths ``a`` and ``b`` name one file: the same path, or links (symbolic or hard) to one."""
    a, b = osp.expanduser(str(a)), osp.expanduser(str(b))
    if osp.exists(a) and osp.exists(b):
        return osp.samefile(a, b)
    return osp.realpath(a) == osp.realpath(b)


def check_not_an_input(out: str, inputs: Iterable[str], overwrite: bool = False, flag: str = '--overwrite') -> None:
    """Refuse to write ``out`` over one of ``inputs`` (through links too) unless ``overwrite``: writing it would
    replace the input before anyone checked the output.

    Raises:
        FileExistsError: ``out`` is one of ``inputs``; the message names both and ``flag``.
    """
    for path in inputs:
        if not overwrite and same_file(out, path):
            how = 'is' if osp.abspath(str(out)) == osp.abspath(str(path)) else 'is a link to'
            raise FileExistsError(f'the output {out} {how} the input {path}: writing it would replace the input. '
                                  f'Give another output file, or pass {flag} to replace the input on purpose')


def check_file_writable(path: str, what: str) -> None:
    """Make sure ``path`` can be written (its folder is created if needed) without touching it: a folder in its
    place, a read-only file or a folder where no file can be created are refused now, before the work whose
    result it would hold.

    Raises:
        OSError: ``path`` cannot be written; the message names ``what`` and the path.
    """
    path = osp.abspath(osp.expanduser(str(path)))
    if osp.isdir(path):
        raise IsADirectoryError(f'{what} {path} is a folder: give a file name')
    try:
        os.makedirs(osp.dirname(path), exist_ok=True)
        if osp.exists(path):
            with open(path, 'ab'):  # opened for appending: nothing of the file changes
                pass
        else:
            with tempfile.TemporaryFile(dir=osp.dirname(path)):
                pass
    except OSError as err:
        raise OSError(err.errno, f'{what} {path} cannot be written: {err.strerror or err}') from None
