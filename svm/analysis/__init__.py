"""Measuring and inspecting models, data and runs: the library behind tools/analysis_tools/ and tools/misc/.

- :mod:`.flops`: fvcore FLOPs of encoders, recognisers and detectors (get_flops.py);
- :mod:`.timing`: wall-clock timing and peak memory shared by the benchmarks;
- :mod:`.backbone_benchmark`: S-ViT encoders alone, per-frame latency and training (benchmark_backbone.py);
- :mod:`.tracker_benchmark`: a whole MOT tracker streaming frame by frame (benchmark_tracker.py);
- :mod:`.online_recognition_benchmark`: streaming vs re-encoding recognition (benchmark_online_recognition.py);
- :mod:`.encoder_comparison`: the three encoders on the synthetic order benchmark (compare_encoders.py);
- :mod:`.memory_sweep`: a tracker tested at several memory lengths, and its plot (memory_sweep.py,
  plot_memory_sweep.py);
- :mod:`.stream_vs_space`: streaming vs frame-based trackers over seeds and memory lengths
  (stream_vs_space.py, ``make mot-claims``);
- :mod:`.track_recognition_benchmark`: the unified tracker + recogniser's online action accuracy and its
  per-frame cost against the two separate models (benchmark_unified.py, ``make unified-demo``);
- :mod:`.gpu_report`: everything of the CUDA path that svm measures, in one report (gpu_report.py);
- :mod:`.logs`: curves and training time from mmengine's json logs, a test run's metrics (analyze_logs.py);
- :mod:`.confusion`: confusion matrices of recognition results (confusion_matrix.py);
- :mod:`.browse`: a config's training pipeline drawn as images (browse_dataset.py).

Import the submodules directly (``from svm.analysis.logs import load_json_log``); they are not imported with
``svm``.
"""
