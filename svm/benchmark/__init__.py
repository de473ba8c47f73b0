"""Speed and memory benchmarks, one task each, all run by one command:
``python tools/analysis_tools/benchmark.py TASK ...`` (as mmdet's tools/analysis_tools/benchmark.py).

- :mod:`.backbone` (``backbone``): S-ViT encoders alone, per-frame latency along a video of 'space',
  'stream' and 'clip', and parallel vs frame-by-frame training;
- :mod:`.tracker` (``tracker``): a whole MOT tracker streaming frame by frame, its backbone timed inside it
  and alone;
- :mod:`.tracker_training` (``tracker-training``): one training iteration of a whole MOT tracker;
- :mod:`.online_recognition` (``online-recognition``): streaming vs re-encoding online action recognition;
- :mod:`.track_recognition` (``track-recognition``): a track recognizer's online action accuracy and its
  per-frame cost against the tracker and the recogniser run separately;
- :mod:`.gpu_report` (``gpu-report``): the backbone, tracker and tracker-training measurements over
  layouts, sizes and dtypes in one report;
- :mod:`.timing`: the timing, memory and summary helpers they share.

:mod:`.timing`, :mod:`.backbone` and the backbone part of :mod:`.gpu_report` need only torch. Import the
submodules directly; nothing is imported with this package.
"""
