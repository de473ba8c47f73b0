"""The MOT configs carry the S-ViT MOT recipe (docs/mot.md), each one parses, and test configs are leaves."""
import ast
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from helpers import REPO_ROOT, TINY_MOT_CONFIG

CFG_DIR = osp.join(REPO_ROOT, 'configs', 'mot', 'svm')
PAPER = 'bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth'
SPACE = 'bytetrack_svit-b16-space_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth'


def load(name):
    return Config.fromfile(osp.join(CFG_DIR, name + '.py'))


@pytest.mark.parametrize('path', sorted(glob.glob(osp.join(CFG_DIR, '*.py'))), ids=osp.basename)
def test_config_parses_in_mmdet_scope(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmdet' and cfg.custom_imports.imports == ['svm.tasks.mot']
    assert cfg.model.type in ('StreamingByteTrack', 'StreamingOCSORT')
    assert cfg.model.detector.backbone.type == 'SViT'
    # mmengine's Runner reads a top-level `sync_bn` as its own option in distributed runs ('torch' or 'mmcv'):
    # a norm config of that name breaks tools/dist_*.sh before the first batch
    assert cfg.get('sync_bn') in (None, 'torch', 'mmcv')


def test_test_configs_inherit_train_configs_and_nothing_inherits_them():
    """A `_test-...` config is a leaf on a training config (its name says which), never the base of one."""
    for path in sorted(glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)):
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read())
        bases = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                 and any(getattr(target, 'id', None) == '_base_' for target in node.targets)]
        bases = [base for listed in bases for base in ([listed] if isinstance(listed, str) else listed)]
        name = osp.basename(path)
        assert not any('_test-' in base for base in bases), f'{name} inherits a test config: {bases}'
        if '_test-' in name:
            assert [osp.basename(base) for base in bases] == [name.split('_test-')[0] + '.py'], name


def test_paper_recipe():
    cfg = load(PAPER)
    bb = cfg.model.detector.backbone
    assert (bb.arch, bb.window_size, bb.with_cls_token) == ('b16', 14, False)
    assert tuple(bb.residual_block_indices) == (2, 5, 8, 11) and tuple(bb.out_indices) == (5, 8, 11)
    pyramid, pafpn = cfg.model.detector.neck
    assert list(pyramid.out_channels) == [384, 768, 1536]
    assert (pafpn.out_channels, pafpn.num_csp_blocks) == (256, 4)
    assert cfg.model.detector.bbox_head.num_classes == 1
    assert cfg.model.detector.test_cfg.score_thr == 0.01 and cfg.model.detector.test_cfg.nms.iou_threshold == 0.7
    tr = cfg.model.tracker
    assert (tr.obj_score_thrs.high, tr.obj_score_thrs.low, tr.init_track_thr) == (0.7, 0.1, 0.7)
    assert tr.weight_iou_with_det_scores and tr.num_frames_retain == 30
    assert (tr.match_iou_thrs.high, tr.match_iou_thrs.low, tr.match_iou_thrs.tentative) == (0.1, 0.5, 0.3)
    # data: 2-frame clips, strides 1-4, 800x1440, MOT17 + CrowdHuman x2 + 10% MOTSynth
    clip_sample = cfg.train_dataloader.dataset.dataset.datasets[0].pipeline[0]
    assert (clip_sample.num_frames, tuple(clip_sample.strides)) == (2, (1, 2, 3, 4))
    assert tuple(cfg.train_dataloader.sampler.ratios) == (1, 1, 1, 0.1)
    assert cfg.train_dataloader.batch_size == 2
    mosaic, affine, mixup = cfg.train_dataloader.dataset.pipeline[:3]
    assert tuple(mosaic.img_scale) == (1440, 800) and tuple(affine.scaling_ratio_range) == (0.1, 2)
    assert tuple(mixup.ratio_range) == (0.8, 1.6)
    resize = cfg.model.data_preprocessor.batch_augments[0]
    assert tuple(resize.random_size_range) == (18 * 32, 32 * 32) and resize.size_divisor == 32
    # optimisation
    opt = cfg.optim_wrapper
    assert opt.type == 'AmpOptimWrapper' and opt.optimizer.type == 'AdamW'
    assert (opt.optimizer.lr, opt.optimizer.weight_decay) == (2.5e-4, 0.05)
    assert opt.paramwise_cfg.backbone_lr_mult == 0.1  # where it applies: the next test
    assert opt.paramwise_cfg.norm_decay_mult == 0 and opt.paramwise_cfg.bias_decay_mult == 0
    assert cfg.train_cfg.max_epochs == 10 and bb.with_cp
    assert cfg.param_scheduler[1].eta_min_ratio == 0.05  # the lr at the end: test_schedules_end_at_5_percent
    ema = [h for h in cfg.custom_hooks if h.type == 'EMAHook'][0]
    assert ema.momentum == 1e-4
    # evaluation: TrackEval's three families after interpolation of 5..20-frame gaps
    ev = cfg.test_evaluator
    assert ev.metric == ['HOTA', 'CLEAR', 'Identity']
    assert ev.postprocess_tracklet_cfg[0].min_num_frames == 5 and ev.postprocess_tracklet_cfg[0].max_num_frames == 20


def test_test_configs_memory_and_baseline():
    test = load(PAPER + '_test-mot17halfval')
    assert test.model.detector.backbone.memory_len == 32 and test.model.detector.backbone.memory_policy == 'merge'
    assert test.model.detector.backbone.attn_mode == 'stream'
    space = load(SPACE + '_test-mot17halfval')
    assert space.model.detector.backbone.attn_mode == 'space'
    sub = load(PAPER + '_test-mot17test')
    assert sub.test_evaluator.format_only and sub.test_dataloader.dataset.data_prefix.img_path == 'test'


def param_groups(cfg):
    """Build the config's model (without CLIP weights, BN for SyncBN) and optimizer on CPU; returns
    lr_wd(name) -> (lr, weight decay) of a parameter, the named parameters and the optimizer."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    cfg.model.detector.backbone.pretrained = None
    for part in (cfg.model.detector.neck[1], cfg.model.detector.bbox_head):
        if part.get('norm_cfg', {}).get('type') == 'SyncBN':
            part.norm_cfg = dict(type='BN')  # the parameter groups are the same
    model = MODELS.build(cfg.model)
    cfg.optim_wrapper.type = 'OptimWrapper'  # AMP needs a GPU; the parameter groups are the same
    cfg.optim_wrapper.pop('loss_scale')
    optim = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    group_of = {id(p): g for g in optim.param_groups for p in g['params']}
    params = dict(model.named_parameters())

    def lr_wd(name):
        group = group_of[id(params[name])]
        return group['lr'], group['weight_decay']

    return lr_wd, params, optim


def test_paper_learning_rates_reach_the_right_parameters():
    """Backbone at 0.1x lr except its residual conv blocks and output norms; no decay on norms/biases."""
    lr_wd, params, optim = param_groups(load(PAPER))
    base = 2.5e-4
    assert lr_wd('detector.backbone.transformer.resblocks.0.attn.in_proj_weight') == (pytest.approx(0.1 * base), 0.05)
    assert lr_wd('detector.backbone.transformer.resblocks.0.attn.t2d_q_proj.weight') == (
        pytest.approx(0.1 * base), 0.05)
    conv = next(n for n in params if n.startswith('detector.backbone.conv_blocks.') and params[n].dim() == 4)
    assert lr_wd(conv) == (pytest.approx(base), 0.05)
    assert lr_wd('detector.backbone.out_norms.0.weight') == (pytest.approx(base), 0.0)
    assert lr_wd('detector.backbone.ln_pre.bias') == (pytest.approx(0.1 * base), 0.0)
    neck = next(n for n in params if n.startswith('detector.neck.0.') and params[n].dim() == 4)
    assert lr_wd(neck) == (pytest.approx(base), 0.05)
    assert isinstance(optim, torch.optim.AdamW)


def test_cfg_option_sets_the_test_memory_length():
    """`--cfg-options model.detector.backbone.memory_len=L` (the memory study) reaches every block."""
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    cfg = Config.fromfile(TINY_MOT_CONFIG)
    cfg.merge_from_dict({'model.detector.backbone.memory_len': 7})
    model = MODELS.build(cfg.model)
    assert [blk.attn.memory_len for blk in model.detector.backbone.blocks] == [7, 7, 7]


RELEASE = 'bytetrack_svit-b16-release_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth'


def test_release_recipe_settings():
    """The release's recipe (docs/mot.md, 'The release's recipe'), setting by setting."""
    cfg = load(RELEASE)
    bb = cfg.model.detector.backbone
    assert (bb.drop_path_rate, bb.t2d_init, bb.reuse_clip_ln_post) == (0.0, 'release', True)
    assert (bb.memory_len, bb.memory_policy, bb.with_cp) == (2, 'merge', True)
    pre = cfg.model.data_preprocessor
    assert (pre.mean, pre.std) == ([123.675, 116.28, 103.53], [58.395, 57.12, 57.375])
    assert pre.batch_augments[0].interval == 2  # a new size per clip under the frame-stepped loop
    sync_bn = dict(type='SyncBN', momentum=0.03, eps=0.001)
    assert cfg.model.detector.neck[1].norm_cfg == sync_bn and cfg.model.detector.bbox_head.norm_cfg == sync_bn
    assert cfg.model.detector.neck[0].type == 'SimplePyramid'
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.test_dataloader.dataset.pipeline):
        steps = [t.type for t in pipeline] + [t.type for p in pipeline for t in p.get('transforms', [])]
        assert 'Pad' not in steps  # the data preprocessor pads, after normalising
    assert (cfg.train_cfg.type, cfg.train_cfg.num_frames, cfg.train_cfg.val_interval) == ('FrameSteppedTrainLoop', 2, 1)
    assert cfg.model.clip_forward == 'parallel'
    assert [h.type for h in cfg.custom_hooks] == ['SyncNormHook', 'EMAHook']  # no mode switch, no L1 loss
    assert cfg.optim_wrapper.loss_scale == dict(init_scale=512.)
    ckpt = cfg.default_hooks.checkpoint
    assert (ckpt.max_keep_ckpts, ckpt.save_best, ckpt.rule) == (10, 'motchallenge-metric/HOTA', 'greater')
    assert cfg.randomness.seed == 1024
    test = load(RELEASE + '_test-mot17halfval')
    assert (test.model.detector.backbone.memory_len, test.model.detector.backbone.memory_policy) == (32, 'merge')
    assert test.model.detector.backbone.pretrained is None and test.test_cfg.fp16


def test_release_pads_with_zero_after_normalising():
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample, TrackDataSample
    init_default_scope('mmdet')
    pre = MODELS.build(load(RELEASE).model.data_preprocessor)
    img = torch.randint(0, 256, (1, 3, 70, 90), dtype=torch.uint8)  # one frame, BGR, not a multiple of 32
    sample = TrackDataSample()
    sample.video_data_samples = [DetDataSample(metainfo=dict(img_shape=(70, 90)))]
    out = pre(dict(inputs=[img], data_samples=[sample]), training=False)['inputs'][0, 0]
    assert out.shape == (3, 96, 96)
    mean = torch.tensor([123.675, 116.28, 103.53])[:, None, None]
    std = torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    torch.testing.assert_close(out[:, :70, :90], (img[0].flip(0).float() - mean) / std)
    assert not out[:, 70:].any() and not out[:, :, 90:].any()


def simulate_lr(cfg, epoch_length: int) -> list:
    """lr of a group at 1x and one at 0.1x at every iteration of the config's schedule."""
    from mmdet.registry import PARAM_SCHEDULERS
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    base = cfg.optim_wrapper.optimizer.lr
    opt = torch.optim.AdamW([dict(params=[params[0]], lr=base), dict(params=[params[1]], lr=0.1 * base)], lr=base)
    schedulers = []
    for sched in cfg.param_scheduler:
        sched = dict(sched)
        kind, convert = PARAM_SCHEDULERS.get(sched.pop('type')), sched.pop('convert_to_iter_based', False)
        schedulers.append(kind.build_iter_from_epoch(optimizer=opt, epoch_length=epoch_length, **sched)
                          if convert else kind(optimizer=opt, **sched))
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs * epoch_length):
        lrs.append([g['lr'] / base for g in opt.param_groups])
        for s in schedulers:
            s.step()
    return lrs


@pytest.mark.parametrize('name, constant_from', [(PAPER, 9.0), (RELEASE, 9.5)])
def test_schedules_end_at_5_percent(name, constant_from):
    """YOLOX's schedule: warm-up over epoch 1, cosine to 0.05x of every group's lr, then constant: the last
    epoch (svm), the last half epoch (the release counts its constant part in clips, iterating frames)."""
    epoch_length = 100
    lrs = simulate_lr(load(name), epoch_length)
    start = int(constant_from * epoch_length)
    assert lrs[epoch_length][0] == pytest.approx(1.0, abs=1e-3)  # warm-up done
    assert lrs[epoch_length // 2][0] == pytest.approx(0.25, rel=0.05)  # quadratic
    for fast, slow in lrs[start:]:
        assert (fast, slow) == (pytest.approx(0.05, rel=1e-3), pytest.approx(0.005, rel=1e-3))
    assert lrs[start - epoch_length // 4][0] > 0.051  # still annealing


def test_release_learning_rates_and_decay():
    """mmcv's custom_keys, as the release: matched parameters are decayed (norms and biases too), x1 for
    the residual blocks, the adapter and the new norms of blocks 6 and 9, x0.1 for the rest of the backbone
    (CLIP's ln_post on block 12 included); neck and head norms and biases are not decayed."""
    lr_wd, _, _ = param_groups(load(RELEASE))
    base = 2.5e-4
    expected = {
        'detector.backbone.ln_pre.bias': (0.1, 0.05),
        'detector.backbone.transformer.resblocks.3.ln_1.weight': (0.1, 0.05),
        'detector.backbone.transformer.resblocks.3.attn.t2d_alpha': (0.1, 0.05),
        'detector.backbone.transformer.resblocks.3.attn.t2d_q_proj.bias': (0.1, 0.05),
        'detector.backbone.out_norms.2.weight': (0.1, 0.05),
        'detector.backbone.out_norms.0.weight': (1.0, 0.05),
        'detector.backbone.out_norms.1.bias': (1.0, 0.05),
        'detector.backbone.conv_blocks.2.norm1.weight': (1.0, 0.05),
        'detector.neck.0.stages.0.0.bias': (1.0, 0.05),
        'detector.neck.0.stages.1.2.weight': (1.0, 0.05),
        'detector.neck.1.out_convs.0.conv.weight': (1.0, 0.05),
        'detector.neck.1.out_convs.0.bn.weight': (1.0, 0.0),
        'detector.bbox_head.multi_level_conv_cls.0.bias': (1.0, 0.0),
    }
    assert {name: (pytest.approx(lr_wd(name)[0] / base), lr_wd(name)[1]) for name in expected} == expected
