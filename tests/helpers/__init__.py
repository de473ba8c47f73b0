"""Helpers of svm's test suite (``from helpers import ...``: pytest puts tests/ on the path, and the tools the
tests run get it on their PYTHONPATH): the repository root, running the tools as a user would, the toy
regression task, tiny MOT data and the tiny tracker config, tiny recognisers and toy videos. Nothing here
needs pytest; the fixtures that use it are in tests/conftest.py. They ship with the tests, not with svm.

``helpers.toy_task`` (registers the toy task's modules) is not imported here.
"""
from .mot import (CLIP_LOADING, COLORS, PEDESTRIAN, TINY_MOT_CONFIG, H, W, build_seeded_tracker, render_frame,
                  tiny_data_options, tiny_mot_config, tiny_mot_sources, tiny_mot_train_batch, tiny_seqinfo,
                  tiny_track, write_converted_tiny_mot, write_still_image_json, write_tiny_mot)
from .recognition import (CLIP_MEAN, CLIP_STD, TINY_ARCH, TOY_RECOGNITION_CONFIG, build_tiny_recognizer,
                          tiny_recognizer_cfg, toy_video_options, write_toy_videos)
from .tools import (REPO_ROOT, TESTS_ROOT, TOY_REGRESSION_CONFIG, assert_same_state, cfg_options, copy_work_dir,
                    failure_excerpt, free_port, load_checkpoint_on_cpu, load_script, read_run_logs,
                    run_testing_in_process, run_tool, run_training_in_process, tool_help, train_toy)

__all__ = [
    # the repository, the tools and the toy regression task
    'REPO_ROOT', 'TESTS_ROOT', 'TOY_REGRESSION_CONFIG', 'assert_same_state', 'cfg_options', 'copy_work_dir',
    'failure_excerpt',
    'free_port', 'load_checkpoint_on_cpu', 'load_script', 'read_run_logs', 'run_testing_in_process', 'run_tool',
    'run_training_in_process', 'tool_help', 'train_toy',
    # tiny MOT data and tracker
    'CLIP_LOADING', 'COLORS', 'H', 'PEDESTRIAN', 'TINY_MOT_CONFIG', 'W', 'build_seeded_tracker', 'render_frame',
    'tiny_data_options', 'tiny_mot_config', 'tiny_mot_sources', 'tiny_mot_train_batch', 'tiny_seqinfo',
    'tiny_track', 'write_converted_tiny_mot', 'write_still_image_json', 'write_tiny_mot',
    # tiny recognisers and toy videos
    'CLIP_MEAN', 'CLIP_STD', 'TINY_ARCH', 'TOY_RECOGNITION_CONFIG', 'build_tiny_recognizer', 'tiny_recognizer_cfg',
    'toy_video_options', 'write_toy_videos',
]
