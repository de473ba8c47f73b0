"""Config-time edits of pipeline configs (lists of step dicts), for configs that reuse a base's pipelines.

mmengine evaluates a base config before the config that inherits it, so a child that changes a variable of its base
(an image size, a clip length) changes no pipeline built from it. These functions give such a child the base's
pipelines with its own step arguments. Functions defined in a config do not reach the configs that inherit it;
configs import these instead (after their ``_base_`` line, so that mmengine parses them as plain Python configs).
"""
from typing import Dict, List, Sequence


def set_step_args(pipelines: Sequence[List[dict]], args: Dict[str, dict]) -> List[List[dict]]:
    """Copies of ``pipelines`` with ``args[type]`` merged into every step of that type, the steps nested in a
    wrapper's ``transforms`` included.

    Raises:
        ValueError: a type in ``args`` has no step in any of the pipelines (a misspelt type would change nothing).
    """
    found = set()

    def update(pipeline: List[dict]) -> List[dict]:
        steps = []
        for step in pipeline:
            if 'transforms' in step:
                step = dict(step, transforms=update(step['transforms']))
            if step.get('type') in args:
                found.add(step['type'])
                step = dict(step, **args[step['type']])
            steps.append(step)
        return steps

    updated = [update(pipeline) for pipeline in pipelines]
    missing = sorted(set(args) - found)
    if missing:
        present = sorted({str(step.get('type')) for pipeline in pipelines for step in pipeline_steps(pipeline)})
        raise ValueError(f'set_step_args: no step of type {missing} in the pipelines (their steps: {present})')
    return updated


def drop_steps(pipelines: Sequence[List[dict]], types: Sequence[str]) -> List[List[dict]]:
    """Copies of ``pipelines`` without their steps of ``types``, the steps nested in a wrapper's ``transforms``
    included."""

    def drop(pipeline: List[dict]) -> List[dict]:
        return [dict(step, transforms=drop(step['transforms'])) if 'transforms' in step else step
                for step in pipeline if step.get('type') not in types]

    return [drop(pipeline) for pipeline in pipelines]


def pipeline_steps(pipeline: Sequence[dict]) -> List[dict]:
    """The steps of a pipeline config in order, those inside wrappers (``transforms=[...]``) included."""
    steps = []
    for step in pipeline:
        steps.append(step)
        steps.extend(pipeline_steps(step.get('transforms', [])))
    return steps
