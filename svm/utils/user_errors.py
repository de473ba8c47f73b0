"""The tools' ``if __name__ == '__main__':`` wrapper: a known user error (a missing file, a misspelt key, a bad
value) ends in one line naming it and exit status 1, not in a Python traceback; anything else, a real bug,
keeps its traceback. ``SVM_TRACEBACK=1`` in the environment shows the traceback of a user error too."""
import os
import os.path as osp
import sys
import traceback
from typing import Callable, TypeVar

import svm

T = TypeVar('T')
# The built-in types svm's checks raise with a message for the user (when svm's own code raises them).
CHECK_ERROR_TYPES = (FileNotFoundError, ValueError, KeyError, TypeError, SyntaxError)
# Where svm's checks live: the package, and the repository's tools and demos when run from a checkout.
_SVM_DIR = osp.dirname(osp.abspath(svm.__file__))
_SCRIPT_DIRS = tuple(osp.join(osp.dirname(_SVM_DIR), d) + os.sep for d in ('tools', 'demo'))


def _raised_by_svm_check(err: BaseException) -> bool:
    """Whether ``err`` was raised by a ``raise`` statement with a value in svm's code (not re-raised, and not
    raised inside a library or by a failing operation, such as a dict lookup, within svm)."""
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return False
    last = frames[-1]
    path = osp.abspath(last.filename)
    if not (path.startswith(_SVM_DIR + os.sep) or path.startswith(_SCRIPT_DIRS)):
        return False
    line = (last.line or '').strip()
    return line.startswith('raise ') and line != 'raise'


def is_user_error(err: BaseException) -> bool:
    """svm's own error types (``svm.*`` modules), and the built-in errors of :data:`CHECK_ERROR_TYPES` raised by
    svm's checks."""
    if type(err).__module__.split('.')[0] == 'svm':
        return True
    return isinstance(err, CHECK_ERROR_TYPES) and _raised_by_svm_check(err)


def error_message(err: BaseException) -> str:
    """The message of ``err`` as the user should read it: a KeyError's without the quotes ``str()`` adds."""
    if isinstance(err, KeyError) and len(err.args) == 1 and isinstance(err.args[0], str):
        return err.args[0]
    return str(err) or type(err).__name__


def run_main(main: Callable[[], T]) -> T:
    """Run a tool's ``main()`` and return what it returns; a user error (:func:`is_user_error`) prints
    ``<tool>: error: <message>`` on stderr and exits with status 1."""
    try:
        return main()
    except Exception as err:
        if not is_user_error(err) or os.environ.get('SVM_TRACEBACK'):
            raise
        print(f'{osp.basename(sys.argv[0])}: error: {error_message(err)}', file=sys.stderr)
        sys.exit(1)


__all__ = ['CHECK_ERROR_TYPES', 'is_user_error', 'error_message', 'run_main']
