"""The K400 / SSv2 configs: sampling, views, encoders; each encoder builds and runs a training step."""
import copy

import pytest
import torch
from mmengine.config import Config

from svm.datasets.recognition import pipeline_steps
from helpers import REPO_ROOT

CONFIG_DIR = REPO_ROOT / 'configs' / 'recognition' / 'svm'
ENCODERS = ('space', 'stream', 'clip')
SETTINGS = ('8xb8-16x4x1-30e_kinetics400', '8xb8-8x8x1-30e_kinetics400', '8xb8-u16-30e_sthv2', '8xb8-u8-30e_sthv2')


def load(encoder, setting):
    return Config.fromfile(CONFIG_DIR / f'svm_{encoder}-b16_clip-pre_{setting}-rgb.py')


def sampler(pipeline):
    return next(step for step in pipeline_steps(pipeline) if step['type'] in ('SampleFrames', 'UniformSample'))


def num_views(pipeline):
    crops = {'ThreeCrop': 3, 'TenCrop': 10, 'CenterCrop': 1}
    return sampler(pipeline).get('num_clips', 1) * next(crops[s['type']] for s in pipeline if s['type'] in crops)


@pytest.mark.parametrize('setting', SETTINGS)
def test_three_encoder_configs_differ_only_in_the_encoder(setting):
    cfgs = {encoder: load(encoder, setting) for encoder in ENCODERS}
    for encoder, cfg in cfgs.items():
        assert cfg.model.backbone.attn_mode == encoder
    dicts = []
    for cfg in cfgs.values():
        d = copy.deepcopy(cfg.to_dict())
        del d['model']['backbone']['attn_mode']
        dicts.append(d)
    assert dicts[0] == dicts[1] == dicts[2]


@pytest.mark.parametrize('setting', SETTINGS)
def test_sampling_views_and_recipe(setting):
    cfg = load('stream', setting)
    frames = 16 if setting.startswith(('8xb8-16', '8xb8-u16')) else 8
    train = cfg.train_dataloader.dataset.pipeline
    test = cfg.test_dataloader.dataset.pipeline
    assert cfg.default_scope == 'mmaction' and cfg.custom_imports.imports == ['svm.tasks.recognition']
    assert cfg.model.type == 'SViTRecognizer' and cfg.model.cls_head.type == 'TemporalDecoderHead'
    assert cfg.model.cls_head.num_frames == cfg.model.backbone.memory_len == frames
    assert sampler(train)['clip_len'] == sampler(test)['clip_len'] == frames
    if 'kinetics400' in setting:
        assert cfg.model.cls_head.num_classes == 400
        assert sampler(train)['type'] == 'SampleFrames'
        assert sampler(train)['frame_interval'] == (4 if frames == 16 else 8)  # dense sampling over 64 frames
        assert any(step['type'] == 'Flip' for step in train)
        assert num_views(test) == 12
    else:
        assert cfg.model.cls_head.num_classes == 174
        assert sampler(train)['type'] == 'UniformSample'  # segment-based
        assert not any(step['type'] == 'Flip' for step in train)  # left/right classes
        assert num_views(test) == 6
    assert cfg.model.cls_head.average_clips == 'prob'
    assert cfg.model.cls_head.label_smooth_eps > 0
    augments = cfg.model.data_preprocessor.blending.augments
    assert {a['type'] for a in augments} == {'MixupBlending', 'CutmixBlending'}
    assert all(a['num_classes'] == cfg.model.cls_head.num_classes for a in augments)
    assert cfg.optim_wrapper.constructor == 'CLIPLayerDecayOptimWrapperConstructor'
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert 0 < cfg.optim_wrapper.paramwise_cfg.layer_decay_rate < 1
    assert 0 < cfg.optim_wrapper.paramwise_cfg.backbone_lr_mult < 1
    assert cfg.model.backbone.pretrained.endswith('ViT-B-16.pt')  # CLIP initialisation
    assert set(cfg.test_evaluator.metric_list) == {'top_k_accuracy', 'mean_class_accuracy'}


def test_vit_b16_recogniser_and_its_param_groups():
    from mmaction.registry import MODELS
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    cfg = load('stream', '8xb8-16x4x1-30e_kinetics400')
    cfg.model.backbone.pretrained = None
    init_default_scope('mmaction')
    model = MODELS.build(cfg.model)
    assert len(model.backbone.blocks) == 12 and model.backbone.embed_dims == 768
    backbone_params = sum(p.numel() for p in model.backbone.parameters())
    # CLIP ViT-B/16 visual tower (~85.8M without its projection) + 12 x T2D query/output projections
    assert backbone_params == pytest.approx(85.8e6 + 12 * 2 * (768 * 768 + 768), rel=0.01)
    optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    lr = {id(p): g['lr'] for g in optimizer.param_groups for p in g['params']}
    base, paramwise = cfg.optim_wrapper.optimizer.lr, cfg.optim_wrapper.paramwise_cfg
    first_block = model.backbone.blocks[0].mlp.c_fc.weight
    assert lr[id(first_block)] == pytest.approx(base * paramwise.backbone_lr_mult * paramwise.layer_decay_rate**12)
    assert lr[id(model.cls_head.fc_cls.weight)] == pytest.approx(base)


@pytest.mark.parametrize('encoder', ENCODERS)
def test_each_encoder_config_runs_a_training_step(encoder):
    """The paper's configs with a tiny width (a ViT-B step takes minutes on a CPU): 16-frame clips,
    mixup/cutmix, label smoothing and the layer-decay optimiser of the config."""
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    cfg = load(encoder, '8xb8-16x4x1-30e_kinetics400')
    cfg.model.backbone.update(arch=dict(embed_dims=32, num_layers=2, num_heads=2, patch_size=16), img_size=32,
                              pretrained=None)
    cfg.model.cls_head.update(in_channels=32, num_heads=2)
    init_default_scope('mmaction')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    data = dict(inputs=[torch.randint(0, 256, (1, 3, 16, 32, 32), dtype=torch.uint8) for _ in range(2)],
                data_samples=[ActionDataSample().set_gt_label(label) for label in (3, 397)])
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    losses = model.train_step(data, optim)
    assert torch.isfinite(losses['loss_cls'])
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert 'cls_head.fc_cls.weight' in changed and 'backbone.transformer.resblocks.0.mlp.c_fc.weight' in changed
    t2d = {n for n in before if '.t2d_' in n}
    assert bool(t2d) == (encoder != 'space')
    assert t2d <= changed


@pytest.mark.parametrize('setting,views', [('8xb8-16x4x1-30e_kinetics400', 12), ('8xb8-u16-30e_sthv2', 6)])
def test_pipelines_decode_real_videos(toy_videos, setting, views):
    """The configs' train and test pipelines on real .mp4/.webm files: one 16-frame 224x224 clip to train
    on, clips x crops views to test."""
    from mmaction.datasets import VideoDataset
    from mmengine.registry import init_default_scope
    cfg = load('stream', setting)
    init_default_scope('mmaction')
    for loader, expected_views in (('train', 1), ('test', views)):
        pipeline = cfg[f'{loader}_dataloader'].dataset.pipeline
        dataset = VideoDataset(str(toy_videos['val']), pipeline,
                               data_prefix=dict(video=str(toy_videos['root'])), test_mode=loader == 'test')
        for index in (0, 2):  # an .mp4 and a .webm
            sample = dataset[index]
            assert sample['inputs'].shape == (expected_views, 3, 16, 224, 224)
            assert sample['data_samples'].gt_label.item() == index % 2
