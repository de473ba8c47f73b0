"""Deterministic synthetic benchmarks written in the real on-disk formats (no downloads).

- :mod:`.mot`: a multi-object tracking benchmark in the MOT17 layout.
- :mod:`.actions`: an action benchmark (mp4 + mmaction2 video list) whose classes differ only in
  the order of their frames.

Importing this package registers nothing and touches no files; the ``write_*`` functions do.
"""
from .actions import (ACTION_CLASSES, SyntheticActionConfig, frame_order, read_video,
                      render_action_group, write_action_benchmark)
from .mot import (GT_COLUMNS, SEQINFO_KEYS, SyntheticMOTConfig, SyntheticMOTSequence, read_gt,
                  write_mot_benchmark)

__all__ = [
    'ACTION_CLASSES', 'GT_COLUMNS', 'SEQINFO_KEYS', 'SyntheticActionConfig', 'SyntheticMOTConfig',
    'SyntheticMOTSequence', 'frame_order', 'read_gt', 'read_video', 'render_action_group',
    'write_action_benchmark', 'write_mot_benchmark'
]
