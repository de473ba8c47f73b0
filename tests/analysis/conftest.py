"""Shared pieces of the tests of tools/misc/{print_config,browse_dataset}.py, tools/analysis_tools/
{analyze_logs,confusion_matrix,benchmark_tracker}.py and their library code (svm/analysis/)."""
import importlib.util

from tests.conftest import REPO_ROOT


def load_tool(relative_path: str):
    """A tool script as a module (its ``main(argv)`` runs in this process: no second interpreter start)."""
    path = REPO_ROOT / relative_path
    spec = importlib.util.spec_from_file_location(f'svm_tool_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
