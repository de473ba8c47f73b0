"""svm/models/builder.py: a config's model, or a part of it, built in the config's scope without pretrained
weights, as the benchmarks, FLOP counts, APIs and the install check build theirs."""
import pytest
import torch
from mmengine.config import Config

from svm.models.builder import build_model_from_cfg, without_pretrained
from helpers import REPO_ROOT, TINY_MOT_CONFIG

PAPER_CONFIG = str(REPO_ROOT / (
    'configs/mot/svm/bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth.py'))
ACTION_HEAD_CONFIG = str(REPO_ROOT / (
    'configs/track_recognition/svm/action-head_svit-tiny-frozen_1xb8-8x1x1-10e_synthetic-mot-flow.py'))


def test_pretrained_files_and_pretrained_init_cfgs_are_removed_everywhere():
    model_cfg = dict(type='A', pretrained='clip.pt', init_cfg=dict(type='Pretrained', checkpoint='x.pth'),
                     backbone=dict(type='B', pretrained='clip.pt',
                                   init_cfg=[dict(type='Kaiming'), dict(type='Pretrained', checkpoint='y.pth')]),
                     heads=[dict(type='C', init_cfg=dict(type='Normal', std=0.01))])
    cleaned = without_pretrained(model_cfg)
    assert cleaned == dict(type='A', pretrained=None,
                           backbone=dict(type='B', pretrained=None, init_cfg=[dict(type='Kaiming')]),
                           heads=[dict(type='C', init_cfg=dict(type='Normal', std=0.01))])
    assert model_cfg['backbone']['pretrained'] == 'clip.pt'  # the config is left as it was


def test_a_part_of_a_paper_config_builds_without_its_clip_file():
    cfg = Config.fromfile(PAPER_CONFIG)
    assert cfg.model.detector.backbone.pretrained  # a CLIP file that the tests do not have
    backbone = build_model_from_cfg(cfg, 'detector.backbone')
    assert type(backbone).__name__ == 'SViT' and backbone.pretrained is None
    assert cfg.model.detector.backbone.pretrained  # the config is left as it was
    with pytest.raises(KeyError, match=r"model.detector.nope does not exist \(no 'nope' there\)"):
        build_model_from_cfg(cfg, 'detector.nope')


def test_seeded_weights_repeat_and_init_weights_skips_pretrained_checkpoints():
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    first = build_model_from_cfg(cfg, seed=0, init_weights=True).state_dict()
    again = build_model_from_cfg(cfg, seed=0, init_weights=True).state_dict()
    assert all(torch.equal(first[key], again[key]) for key in first)
    # a recogniser initialised from a tracker checkpoint that does not exist: the Pretrained init_cfg is dropped
    head = Config.fromfile(ACTION_HEAD_CONFIG)
    assert head.model.backbone.init_cfg.type == 'Pretrained'
    model = build_model_from_cfg(head, seed=0, init_weights=True)
    assert type(model).__name__ == 'SViTRecognizer' and model.backbone.init_cfg is None
