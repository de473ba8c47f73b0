"""svm/ops/torchvision_ops.py: mmcv's nms and RoIAlign through torchvision's kernels where mmcv has no CUDA ops.

Without a GPU, the ``bridge`` fixture sends CPU tensors down the torchvision path too (as CUDA tensors go on a
GPU machine), so that torchvision's CPU kernels are compared with mmcv's own CPU kernels on the same inputs.
"""
import collections
import importlib
import logging
import sys
import types

import pytest
import torch

from svm.ops import torchvision_ops
from svm.ops.torchvision_ops import MMCVExtension, cuda_ops_backend, enable_torchvision_ops, mmcv_has_cuda_ops

BUILD_HINT = 'MMCV_CUDA_OPS=1 make env-gpu'


def _spy(monkeypatch) -> types.SimpleNamespace:
    """The log lines of the module and the calls of each torchvision stand-in, from a clean log state."""
    spy = types.SimpleNamespace(logged=[], calls=collections.Counter())
    monkeypatch.setattr(torchvision_ops, '_logged', set())
    monkeypatch.setattr(torchvision_ops, 'print_log',
                        lambda msg, logger=None, level=logging.INFO: spy.logged.append((msg, logger, level)))
    for name, (op, bridge) in list(torchvision_ops._BRIDGES.items()):
        def counted(*args, _name=name, _bridge=bridge, **kwargs):
            spy.calls[_name] += 1
            return _bridge(*args, **kwargs)
        monkeypatch.setitem(torchvision_ops._BRIDGES, name, (op, counted))
    return spy


def _keep_ext_modules(monkeypatch) -> None:
    """Restore every ``mmcv.ops.*`` module's ``ext_module`` after the test."""
    for module in torchvision_ops._mmcv_ops_modules():
        monkeypatch.setattr(module, 'ext_module', module.ext_module)


@pytest.fixture
def bridge(monkeypatch) -> types.SimpleNamespace:
    """The torchvision path on CPU tensors as on CUDA ones, as where mmcv has CPU ops only (whatever this mmcv
    was built with); :func:`mmcv_kernels` runs mmcv's own kernels for the expected values."""
    _keep_ext_modules(monkeypatch)
    monkeypatch.setattr(torchvision_ops, 'mmcv_has_cuda_ops', lambda: False)
    assert enable_torchvision_ops()
    monkeypatch.setattr(torchvision_ops, 'BRIDGED_DEVICES', ('cuda', 'cpu'))
    return _spy(monkeypatch)


def mmcv_kernels(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with CPU tensors on mmcv's own kernels."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torchvision_ops, 'BRIDGED_DEVICES', ('cuda',))
        return fn(*args, **kwargs)


def _boxes(n: int, seed: int, grid: bool = False):
    """``n`` boxes (x1, y1, x2, y2) in clusters of heavily overlapping ones, with many ties in score (scores in
    tenths); ``grid``: coordinates in quarter pixels."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.rand(6, 2, generator=generator) * 80
    xy = centres[torch.randint(0, 6, (n,), generator=generator)] + torch.randn(n, 2, generator=generator) * 4
    wh = torch.rand(n, 2, generator=generator) * 25 + 2
    boxes = torch.cat([xy, xy + wh], 1)
    if grid:
        boxes = (boxes * 4).round() / 4
    scores = (torch.rand(n, generator=generator) * 10).floor() / 10 + 0.05
    return boxes, scores


@pytest.mark.parametrize('grid', [False, True], ids=['float', 'quarter-pixel'])
@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('iou_threshold', [0.3, 0.5, 0.7])
@pytest.mark.parametrize('score_threshold,max_num', [(0, -1), (0.3, -1), (0, 5), (0.42, 3)])
def test_nms_equals_mmcv(bridge, iou_threshold, offset, score_threshold, max_num, grid):
    from mmcv.ops import nms
    boxes, scores = _boxes(300, seed=int(10 * iou_threshold) + offset, grid=grid)
    assert len(scores.unique()) <= 10  # ties in score
    expected_dets, expected_inds = mmcv_kernels(nms, boxes, scores, iou_threshold, offset=offset,
                                                score_threshold=score_threshold, max_num=max_num)
    assert bridge.calls['nms'] == 0
    dets, inds = nms(boxes, scores, iou_threshold, offset=offset, score_threshold=score_threshold, max_num=max_num)
    assert bridge.calls['nms'] == 1
    assert 0 < len(inds) < 300 and (max_num < 0 or len(inds) == max_num)
    assert torch.equal(inds, expected_inds) and torch.equal(dets, expected_dets)


@pytest.mark.parametrize('offset', [0, 1])
@pytest.mark.parametrize('iou_threshold', [0.6, 0.7, 0.75])
def test_nms_with_an_iou_equal_to_the_threshold(bridge, iou_threshold, offset):
    """Pairs of boxes whose IoU is the threshold (3 / 5, 7 / 10, 3 / 4): kept, as mmcv compares with the
    threshold in float32 (float32(0.6) is above 0.6)."""
    from mmcv.ops import nms
    num, den = {0.6: (3, 5), 0.7: (7, 10), 0.75: (3, 4)}[iou_threshold]
    boxes = torch.tensor([[0., 0., den - offset, 1 - offset], [0., 0., num - offset, 1 - offset],
                          [0., 0., den - 1 - offset, 1 - offset]])  # the third overlaps the second more
    scores = torch.tensor([0.9, 0.8, 0.7])
    expected_dets, expected_inds = mmcv_kernels(nms, boxes, scores, iou_threshold, offset=offset)
    dets, inds = nms(boxes, scores, iou_threshold, offset=offset)
    assert expected_inds.tolist() == [0, 1] and torch.equal(inds, expected_inds) and torch.equal(dets, expected_dets)


def test_nms_of_no_boxes(bridge):
    from mmcv.ops import nms
    dets, inds = nms(torch.zeros(0, 4), torch.zeros(0), 0.5, offset=1)
    assert dets.shape == (0, 5) and inds.shape == (0,) and inds.dtype == torch.long and bridge.calls['nms'] == 1


@pytest.mark.parametrize('split_thr', [10000, 50], ids=['one-nms', 'per-class'])
@pytest.mark.parametrize('class_agnostic', [False, True])
def test_batched_nms_as_yolox_calls_it(bridge, class_agnostic, split_thr):
    from mmcv.ops import batched_nms
    boxes, scores = _boxes(200, seed=3)
    labels = torch.arange(200) % 3
    nms_cfg = dict(type='nms', iou_threshold=0.65, split_thr=split_thr)  # YOLOX's test_cfg.nms, and a split
    expected = mmcv_kernels(batched_nms, boxes, scores, labels, nms_cfg, class_agnostic=class_agnostic)
    dets, keep = batched_nms(boxes, scores, labels, nms_cfg, class_agnostic=class_agnostic)
    assert bridge.calls['nms'] == (1 if split_thr > 200 else 3)  # batched_nms looks nms up by name
    assert torch.equal(keep, expected[1]) and torch.equal(dets, expected[0])


def _roi_inputs(spatial_scale: float, seed: int = 0):
    """Features (2, 4, 12, 15) and 14 RoIs (batch index, x1, y1, x2, y2 in image pixels), some partly or wholly
    outside the map, some smaller than a feature pixel."""
    generator = torch.Generator().manual_seed(seed)
    feats = torch.randn(2, 4, 12, 15, generator=generator)
    size = torch.tensor([15., 12.]) / spatial_scale
    xy = (torch.rand(14, 2, generator=generator) * 1.4 - 0.2) * size
    wh = torch.rand(14, 2, generator=generator) * 0.6 * size
    wh[:2] = 0.3 / spatial_scale  # below one feature pixel
    rois = torch.cat([torch.arange(14)[:, None] % 2, xy, xy + wh], 1).float()
    return feats, rois


@pytest.mark.parametrize('spatial_scale', [1., 0.25, 0.125])
@pytest.mark.parametrize('output_size', [(7, 7), (3, 5)])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
@pytest.mark.parametrize('aligned', [True, False])
def test_roi_align_equals_mmcv(bridge, aligned, sampling_ratio, output_size, spatial_scale):
    from mmcv.ops import RoIAlign
    layer = RoIAlign(output_size, spatial_scale, sampling_ratio, aligned=aligned)
    feats, rois = _roi_inputs(spatial_scale, seed=sampling_ratio)
    grad_output = torch.randn(len(rois), 4, *output_size, generator=torch.Generator().manual_seed(1))

    def run():
        x = feats.clone().requires_grad_()
        out = layer(x, rois)
        out.backward(grad_output)
        return out.detach(), x.grad

    expected_out, expected_grad = mmcv_kernels(run)
    out, grad = run()
    assert bridge.calls['roi_align_forward'] == bridge.calls['roi_align_backward'] == 1
    assert expected_out.abs().sum() > 0 and expected_grad.abs().sum() > 0
    torch.testing.assert_close(out, expected_out, rtol=0, atol=1e-5)
    torch.testing.assert_close(grad, expected_grad, rtol=0, atol=1e-5)


def test_faster_rcnn_roi_extractor(bridge):
    """mmdet's SingleRoIExtractor as Faster R-CNN configures it (RoIAlign, aligned, sampling_ratio 0)."""
    from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
    extractor = SingleRoIExtractor(roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0), out_channels=4,
                                   featmap_strides=[4, 8, 16, 32])
    generator = torch.Generator().manual_seed(0)
    feats = tuple(torch.randn(2, 4, 256 // s, 320 // s, generator=generator) for s in (4, 8, 16, 32))
    xy = torch.rand(24, 2, generator=generator) * torch.tensor([320., 256.]) * 0.5
    wh = 2 ** torch.linspace(3, 9, 24)[:, None].expand(24, 2)  # 8 to 512 pixels: all four levels
    rois = torch.cat([torch.arange(24)[:, None] % 2, xy, xy + wh], 1)
    expected = mmcv_kernels(extractor, feats, rois)
    torch.testing.assert_close(extractor(feats, rois), expected, rtol=0, atol=1e-5)
    assert bridge.calls['roi_align_forward'] == 4


def test_roi_align_max_pooling_is_refused(bridge):
    from mmcv.ops import roi_align
    feats, rois = _roi_inputs(1.)
    assert mmcv_kernels(roi_align, feats, rois, (2, 2), 1., 0, 'max', True).shape == (14, 4, 2, 2)
    with pytest.raises(RuntimeError, match=r"RoIAlign with pool_mode='max' has no kernel for cpu.*"
                                           r"use pool_mode='avg'.*" + BUILD_HINT):
        roi_align(feats, rois, (2, 2), 1., 0, 'max', True)
    assert not bridge.logged  # said to run on torchvision's kernel only once it has


def test_other_ops_say_how_to_build_mmcv(bridge):
    from mmcv.ops import deform_conv2d, sigmoid_focal_loss
    x, weight = torch.randn(1, 2, 6, 6), torch.randn(3, 2, 3, 3)
    offset = torch.zeros(1, 18, 4, 4)
    assert mmcv_kernels(deform_conv2d, x, offset, weight).shape == (1, 3, 4, 4)  # mmcv's CPU kernel
    message = (r"mmcv's deform_conv_forward has no kernel for cpu: mmcv 2\.1\.0 was built without CUDA ops.*"
               + BUILD_HINT + r'.*FORCE_CUDA=1 MMCV_WITH_OPS=1')
    with pytest.raises(RuntimeError, match=message):
        deform_conv2d(x, offset, weight)
    with pytest.raises(RuntimeError, match="sigmoid_focal_loss_forward has no kernel for cpu"):  # mmdet's FocalLoss
        sigmoid_focal_loss(torch.randn(4, 3), torch.tensor([0, 1, 2, 1]), 2.0, 0.25)
    assert not bridge.logged


def test_logged_once_per_op(bridge):
    from mmcv.ops import batched_nms, nms, roi_align
    boxes, scores = _boxes(50, seed=0)
    feats, rois = _roi_inputs(1.)
    for _ in range(3):
        nms(boxes, scores, 0.5)
        batched_nms(boxes, scores, torch.zeros(50, dtype=torch.long), dict(type='nms', iou_threshold=0.65))
        roi_align(feats, rois, (2, 2), 1., 0, 'avg', True)
    assert bridge.calls == {'nms': 6, 'roi_align_forward': 3}
    assert bridge.logged == [
        ("mmcv 2.1.0 was built without CUDA ops: nms on cpu runs torchvision's CPU kernel (svm.ops.torchvision_ops)",
         'current', logging.INFO),
        ("mmcv 2.1.0 was built without CUDA ops: roi_align on cpu runs torchvision's CPU kernel "
         '(svm.ops.torchvision_ops)', 'current', logging.INFO)]


def test_the_log_line_through_mmengine(bridge, monkeypatch):
    """The line reaches mmengine's current logger (the spy only stands for print_log)."""
    from mmcv.ops import nms
    from mmengine.logging import MMLogger, print_log
    monkeypatch.setattr(torchvision_ops, 'print_log', print_log)
    logger = MMLogger.get_instance('svm_test_torchvision_ops', log_level='INFO')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(MMLogger, 'get_current_instance', classmethod(lambda cls: logger))
            for _ in range(2):
                nms(*_boxes(20, seed=1), 0.5)
    finally:
        logger.removeHandler(handler)
    assert [r.getMessage() for r in records] == [
        "mmcv 2.1.0 was built without CUDA ops: nms on cpu runs torchvision's CPU kernel (svm.ops.torchvision_ops)"]


def test_cpu_tensors_take_mmcv_kernels_by_default(monkeypatch):
    """As ``import svm`` leaves it: CPU tensors go to mmcv's kernels, nothing is logged."""
    from mmcv.ops import batched_nms, deform_conv2d, nms, roi_align
    assert torchvision_ops.BRIDGED_DEVICES == ('cuda',)
    nms_module = sys.modules['mmcv.ops.nms']
    assert isinstance(nms_module.ext_module, MMCVExtension) is (not mmcv_has_cuda_ops())
    assert cuda_ops_backend() == ('mmcv' if mmcv_has_cuda_ops() else 'torchvision')
    spy = _spy(monkeypatch)
    ext = importlib.import_module('mmcv._ext')
    boxes, scores = _boxes(50, seed=0)
    assert torch.equal(nms(boxes, scores, 0.5, offset=1)[1], ext.nms(boxes, scores, iou_threshold=0.5, offset=1))
    batched_nms(boxes, scores, torch.arange(50) % 2, dict(type='nms', iou_threshold=0.65))
    roi_align(*_roi_inputs(1.), (2, 2), 1., 0, 'max', True)
    deform_conv2d(torch.randn(1, 2, 6, 6), torch.zeros(1, 18, 4, 4), torch.randn(3, 2, 3, 3))
    assert not spy.calls and not spy.logged


def test_enable_is_idempotent(monkeypatch):
    _keep_ext_modules(monkeypatch)
    monkeypatch.setattr(torchvision_ops, 'mmcv_has_cuda_ops', lambda: False)
    ext = importlib.import_module('mmcv._ext')
    assert enable_torchvision_ops() and enable_torchvision_ops()
    modules = torchvision_ops._mmcv_ops_modules()
    assert {'mmcv.ops.nms', 'mmcv.ops.roi_align', 'mmcv.ops.deform_conv'} <= {m.__name__ for m in modules}
    for module in modules:
        assert isinstance(module.ext_module, MMCVExtension) and module.ext_module.ext is ext  # not nested
    assert cuda_ops_backend() == 'torchvision'


def test_mmcv_with_cuda_ops_replaces_nothing(monkeypatch):
    ext = importlib.import_module('mmcv._ext')
    for module in torchvision_ops._mmcv_ops_modules():
        monkeypatch.setattr(module, 'ext_module', ext)  # as before any enable_torchvision_ops()
    monkeypatch.setattr(torchvision_ops, 'mmcv_has_cuda_ops', lambda: True)
    assert enable_torchvision_ops() is False
    assert all(module.ext_module is ext for module in torchvision_ops._mmcv_ops_modules())
    assert cuda_ops_backend() == 'mmcv'


def test_mmcv_check_reads_the_compiled_extension(monkeypatch):
    import mmcv.ops
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: 'not available')
    assert mmcv_has_cuda_ops() is False
    monkeypatch.setattr(mmcv.ops, 'get_compiling_cuda_version', lambda: '12.8')
    assert mmcv_has_cuda_ops() is True


def test_missing_torchvision_is_said(bridge, monkeypatch):
    from mmcv.ops import nms
    monkeypatch.setitem(sys.modules, 'torchvision', None)  # import torchvision raises ImportError
    with pytest.raises(RuntimeError, match=r'running its nms on cpu needs torchvision.*not installed'):
        nms(*_boxes(20, seed=1), 0.5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU')
def test_cuda_tensors_against_mmcv_cpu_kernels():
    """On a GPU: CUDA tensors through whatever runs them (torchvision where mmcv has CPU ops only), against
    mmcv's CPU kernels."""
    from mmcv.ops import RoIAlign, batched_nms, nms
    boxes, scores = _boxes(300, seed=5, grid=True)
    for offset in (0, 1):
        expected = nms(boxes, scores, 0.5, offset=offset)
        dets, inds = nms(boxes.cuda(), scores.cuda(), 0.5, offset=offset)
        assert torch.equal(inds.cpu(), expected[1]) and torch.equal(dets.cpu(), expected[0])
    labels = torch.arange(300) % 3
    expected = batched_nms(boxes, scores, labels, dict(type='nms', iou_threshold=0.65))
    dets, keep = batched_nms(boxes.cuda(), scores.cuda(), labels.cuda(), dict(type='nms', iou_threshold=0.65))
    assert torch.equal(keep.cpu(), expected[1])
    layer = RoIAlign((7, 7), 0.25, 0, aligned=True)
    feats, rois = _roi_inputs(0.25)
    results = []
    for device in ('cpu', 'cuda'):
        x = feats.to(device).requires_grad_()
        out = layer(x, rois.to(device))
        out.backward(torch.ones_like(out))
        results.append((out.detach().cpu(), x.grad.cpu()))
    torch.testing.assert_close(results[1][0], results[0][0], rtol=0, atol=1e-4)
    torch.testing.assert_close(results[1][1], results[0][1], rtol=0, atol=1e-4)
