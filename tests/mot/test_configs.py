"""The MOT configs carry SPEC section 4's recipe and each one parses."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from tests.conftest import REPO_ROOT

CFG_DIR = osp.join(REPO_ROOT, 'configs', 'mot', 'svm')
PAPER = 'bytetrack_svit-b16_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth'
SPACE = 'bytetrack_svit-b16-space_yolox_8xb2-amp-10e_mot17halftrain-crowdhuman-motsynth'


def load(name):
    return Config.fromfile(osp.join(CFG_DIR, name + '.py'))


@pytest.mark.parametrize('path', sorted(glob.glob(osp.join(CFG_DIR, '*.py'))), ids=osp.basename)
def test_config_parses_in_mmdet_scope(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmdet' and 'svm' in cfg.custom_imports.imports
    assert cfg.model.type in ('StreamingByteTrack', 'StreamingOCSORT')
    assert cfg.model.detector.backbone.type == 'SViT'


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
    assert cfg.param_scheduler[1].eta_min == pytest.approx(2.5e-4 * 0.05)
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


def test_paper_learning_rates_reach_the_right_parameters():
    """Backbone at 0.1x lr except its residual conv blocks and output norms; no decay on norms/biases."""
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    cfg = load(PAPER)
    cfg.model.detector.backbone.pretrained = None
    model = MODELS.build(cfg.model)
    cfg.optim_wrapper.type = 'OptimWrapper'  # AMP needs a GPU; the parameter groups are the same
    cfg.optim_wrapper.pop('loss_scale')
    optim = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    group_of = {id(p): g for g in optim.param_groups for p in g['params']}
    params = dict(model.named_parameters())
    base = 2.5e-4

    def lr_wd(name):
        g = group_of[id(params[name])]
        return g['lr'], g['weight_decay']

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
    from tests.mot.conftest import TINY_CONFIG
    init_default_scope('mmdet')
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict({'model.detector.backbone.memory_len': 7})
    model = MODELS.build(cfg.model)
    assert [blk.attn.memory_len for blk in model.detector.backbone.blocks] == [7, 7, 7]
