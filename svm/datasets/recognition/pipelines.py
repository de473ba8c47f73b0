"""Walking pipeline configs: every step in order, and a recognition test pipeline split into the steps that
read the video, the per-frame transforms and the packing of the clip.

An mmaction2 recognition test pipeline has three parts, in this order::

    [VideoDecodeGuard([DecordInit, SampleFrames, DecordDecode])]   video steps: open, sample, decode
    [Resize, ThreeCrop]                                            frame steps: per-frame spatial transforms
    [FormatShape, PackActionInputs]                                pack steps: frames -> model input

:func:`split_recognition_pipeline` returns them; a :class:`VideoDecodeGuard` is one video step, with its
own steps inside. Online recognition keeps the frame steps (a stream has no file to read and no clip to
pack), the FLOP count reads the views (clips x crops) off the sampler and the crop.
"""
from typing import Dict, List, NamedTuple, Sequence

from svm.utils.pipeline_config import pipeline_steps

# Steps that open, decode or load a whole video (mmaction2's readers and svm's PyAVInitWithFrameCount).
VIDEO_READERS = ('DecordInit', 'DecordDecode', 'PyAVInit', 'PyAVInitWithFrameCount', 'PyAVDecode',
                 'PyAVDecodeMotionVector', 'OpenCVInit', 'OpenCVDecode', 'PIMSInit', 'PIMSDecode', 'RawFrameDecode',
                 'ArrayDecode', 'ImageDecode')
# Steps that choose the frames (the clips) of a video.
FRAME_SAMPLERS = ('SampleFrames', 'UniformSample', 'DenseSampleFrames')
# The wrapper that names the video when one of its steps fails (svm.datasets.recognition.decode_guard).
DECODE_GUARD = 'VideoDecodeGuard'
# Steps that turn the transformed frames into the model's input.
CLIP_PACKERS = ('FormatShape', 'PackActionInputs')
# Spatial test views: how many crops of each frame a crop step makes.
CROPS_PER_TRANSFORM = {'CenterCrop': 1, 'ThreeCrop': 3, 'TenCrop': 10}


class RecognitionPipelineParts(NamedTuple):
    """The three parts of a recognition pipeline config, each a list of its top-level steps."""
    video_steps: List[dict]  # read, sample and decode the video (a VideoDecodeGuard with its steps inside)
    frame_steps: List[dict]  # per-frame transforms (resize, crop, flip, ...)
    pack_steps: List[dict]  # FormatShape, PackActionInputs


def _is_video_step(step: dict) -> bool:
    return step['type'] == DECODE_GUARD or step['type'] in VIDEO_READERS + FRAME_SAMPLERS


def split_recognition_pipeline(pipeline: Sequence[dict]) -> RecognitionPipelineParts:
    """Split a recognition pipeline config into its video, frame and pack steps (see the module docstring).

    Raises:
        ValueError: a step that reads the video after a frame or pack step, or a frame step after a pack
            step: the parts must come in this order.
    """
    parts = RecognitionPipelineParts([], [], [])
    part_of = {'video': parts.video_steps, 'frame': parts.frame_steps, 'pack': parts.pack_steps}
    order = list(part_of)
    current = 0
    for step in pipeline:
        part = 'video' if _is_video_step(step) else 'pack' if step['type'] in CLIP_PACKERS else 'frame'
        if order.index(part) < current:
            raise ValueError(f'pipeline step {step["type"]} ({part} step) comes after a {order[current]} step: '
                             f'expected the video steps ({DECODE_GUARD}, {", ".join(FRAME_SAMPLERS)}, readers), '
                             f'then the per-frame transforms, then {", ".join(CLIP_PACKERS)}')
        current = order.index(part)
        part_of[part].append(step)
    return parts


def count_test_views(test_pipeline: Sequence[dict], path: str) -> Dict[str, int]:
    """Clips x crops of a recognition test pipeline: the views whose scores a recogniser averages.

    ``path`` (the config's name) is only used in the error message.
    """
    parts = split_recognition_pipeline(test_pipeline)
    samplers = [s for s in pipeline_steps(parts.video_steps) if s['type'] in FRAME_SAMPLERS]
    crops = [CROPS_PER_TRANSFORM[s['type']] for s in parts.frame_steps if s['type'] in CROPS_PER_TRANSFORM]
    if len(samplers) != 1:
        raise ValueError(f'{path}: expected one of {FRAME_SAMPLERS} in test_pipeline, found {len(samplers)}')
    sampler = samplers[0]
    clips = sampler.get('num_clips', 1) * (sampler.get('num_sample_positions', 1)
                                            if sampler['type'] == 'DenseSampleFrames' else 1)
    return dict(clips=clips, crops=crops[0] if crops else 1)
