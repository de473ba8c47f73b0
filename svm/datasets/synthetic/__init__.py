"""Deterministic synthetic benchmarks written in the real on-disk formats (no downloads).

- :mod:`.mot`: a multi-object tracking benchmark in the MOT17 layout (written with
  :mod:`svm.datasets.mot.mot_challenge`), optionally with a per-video crowd-flow class (:data:`FLOW_CLASSES`)
  listed for mmaction2's RawframeDataset.
- :mod:`.actions`: an action benchmark (mp4 + mmaction2 video list) whose classes differ only in
  the order of their frames.

Importing this package registers nothing and touches no files; the ``write_*`` and ``convert_*`` functions do.
"""
from .actions import (ACTION_CLASSES, SyntheticActionConfig, frame_order, read_video,
                      render_action_group, write_action_benchmark)
from .mot import (FLOW_CLASSES, SyntheticMOTConfig, SyntheticMOTSequence, convert_mot_benchmark,
                  write_flow_annotations, write_mot_benchmark)

__all__ = [
    'ACTION_CLASSES', 'FLOW_CLASSES', 'SyntheticActionConfig', 'SyntheticMOTConfig', 'SyntheticMOTSequence',
    'convert_mot_benchmark', 'frame_order', 'read_video', 'render_action_group', 'write_action_benchmark',
    'write_flow_annotations', 'write_mot_benchmark'
]
