"""Inspecting models, data and runs: the library behind tools/analysis_tools/ and tools/misc/, one module per
command, named as the command (as mmdet's tools/analysis_tools/).

- :mod:`.get_flops`: fvcore FLOPs of encoders, recognisers and detectors (tools/analysis_tools/get_flops.py);
- :mod:`.analyze_logs`: curves and training time from mmengine's json logs, a test run's metrics
  (tools/analysis_tools/analyze_logs.py);
- :mod:`.confusion_matrix`: confusion matrices of recognition results (tools/analysis_tools/confusion_matrix.py);
- :mod:`.browse_dataset`: a config's training pipeline drawn as images (tools/misc/browse_dataset.py).

Speed benchmarks are in svm/benchmark/ (tools/analysis_tools/benchmark.py), the experiments in svm/experiments/
(tools/experiments/). Import the submodules directly (``from svm.analysis.analyze_logs import load_json_log``);
they are not imported with ``svm``.
"""
