"""Every recognition config decodes its videos through VideoDecodeGuard, so a corrupt file is named."""
from typing import Iterator, List, Tuple

import pytest
from mmengine.config import Config

from helpers import REPO_ROOT

CONFIGS = sorted((REPO_ROOT / 'configs' / 'recognition').rglob('*.py'))
GUARD = 'VideoDecodeGuard'


def is_decoding(step: dict) -> bool:
    """Whether a pipeline step opens or decodes a video: DecordInit, PyAVInit(WithFrameCount), OpenCVInit,
    PIMSInit, DecordDecode, PyAVDecode, ... (the guard itself has 'Decode' in its name, not at its end)."""
    kind = str(step.get('type', ''))
    return kind != GUARD and ('Init' in kind or kind.endswith('Decode'))


def unguarded_decoding_steps(pipeline: List[dict]) -> Iterator[str]:
    """Types of the decoding steps of a pipeline that no VideoDecodeGuard wraps (wrappers searched)."""
    for step in pipeline:
        if step.get('type') == GUARD:
            continue
        if is_decoding(step):
            yield step['type']
        yield from unguarded_decoding_steps(step.get('transforms', []))


def pipelines(node, where: str) -> Iterator[Tuple[str, List[dict]]]:
    """Every ``pipeline`` list under a config node (datasets wrapped in datasets included), with its key path."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'pipeline' and isinstance(value, list):
                yield f'{where}.pipeline', value
            else:
                yield from pipelines(value, f'{where}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from pipelines(value, f'{where}.{i}')


def test_recognition_configs_are_found():
    assert len(CONFIGS) >= 16 and any('order-actions' in c.name for c in CONFIGS)


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.name)
def test_every_decoding_pipeline_runs_through_the_guard(config):
    cfg = Config.fromfile(config)
    found = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for where, pipeline in pipelines(cfg.get(loader, {}), loader):
            found.append(where)
            unguarded = list(unguarded_decoding_steps(pipeline))
            assert not unguarded, (f'{config.relative_to(REPO_ROOT)}: {where} decodes with {unguarded} outside '
                                   f'{GUARD}; a corrupt video would fail without its path')
    assert found, f'{config.relative_to(REPO_ROOT)} has no dataloader pipeline'


def test_the_check_sees_an_unguarded_pipeline():
    bare = [dict(type='DecordInit'), dict(type='SampleFrames', clip_len=8), dict(type='DecordDecode'),
            dict(type='FormatShape', input_format='NCTHW')]
    assert list(unguarded_decoding_steps(bare)) == ['DecordInit', 'DecordDecode']
    assert list(unguarded_decoding_steps([dict(type=GUARD, transforms=bare[:3])] + bare[3:])) == []
    nested = [dict(type='RandomChoice', transforms=[dict(type='PyAVInitWithFrameCount')])]
    assert list(unguarded_decoding_steps(nested)) == ['PyAVInitWithFrameCount']
