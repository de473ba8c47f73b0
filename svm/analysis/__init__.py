"""Analysis and inspection helpers behind tools/misc/ and tools/analysis_tools/: training-log curves,
recognition confusion matrices, dataset browsing and the whole-tracker speed benchmark.

Import the submodules directly (``from svm.analysis.logs import load_json_log``); they are not imported
with ``svm``."""
