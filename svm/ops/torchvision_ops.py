"""mmcv's NMS and RoIAlign on CUDA tensors through torchvision's kernels, when mmcv has no CUDA ops.

Building mmcv 2.1.0's CUDA ops needs nvcc matching torch's CUDA and a long compile, so GPU machines often
have mmcv built with CPU ops only (``make env-gpu`` builds it so). Its compiled extension then fails on any
CUDA tensor ("implementation for device cuda:0 not found"). torchvision, built for the same CUDA as torch,
has CUDA kernels for the two ops svm's detectors need: greedy NMS (YOLOX and Faster R-CNN through
``mmcv.ops.nms`` / ``batched_nms``) and average RoIAlign (Faster R-CNN's ``SingleRoIExtractor``).

Design: :func:`enable_torchvision_ops` replaces the ``ext_module`` attribute of the ``mmcv.ops.*`` modules,
which all hold mmcv's one compiled extension ``mmcv._ext``, by an :class:`MMCVExtension` that dispatches
each call by the device of its tensors:

- tensors of no bridged device (CPU, NPU, ...): mmcv's own kernel, unchanged;
- a tensor on a bridged device (:data:`BRIDGED_DEVICES`, CUDA): ``nms``, ``roi_align_forward`` and
  ``roi_align_backward`` run torchvision's kernels under mmcv's contract; any other op raises a
  RuntimeError that names it and says how to build mmcv with CUDA ops.

Hooking the extension, rather than mmcv's Python functions, keeps all that mmcv does around its kernels
(``nms``'s score_threshold and max_num, ``batched_nms`` looking ``nms`` up by name, RoIAlign's autograd
Function) and reaches every caller, including those holding ``nms`` or ``RoIAlign`` imported by value
(mmdet), without patching each one. mmcv's own CUDA ops, where built, stay the first choice: nothing is
replaced then. torchvision is imported only when a tensor first takes this path.
"""
import importlib
import itertools
import logging
import sys
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import torch
from mmengine.logging import print_log

__all__ = ['BRIDGED_DEVICES', 'MMCVExtension', 'cuda_ops_backend', 'enable_torchvision_ops', 'mmcv_has_cuda_ops']

#: Device types whose tensors take torchvision's kernels. Tests add 'cpu' to compare torchvision's CPU kernels
#: with mmcv's on the same inputs.
BRIDGED_DEVICES: Tuple[str, ...] = ('cuda',)

_logged: Set[str] = set()  # the ops whose first bridged call has been logged


def mmcv_has_cuda_ops() -> bool:
    """Whether mmcv's compiled extension has CUDA (or ROCm) kernels: mmcv 2.1.0 built without them reports its
    compiling CUDA version as 'not available'."""
    from mmcv.ops import get_compiling_cuda_version
    return get_compiling_cuda_version() != 'not available'


def _build_hint() -> str:
    cuda = torch.version.cuda or '(this torch has no CUDA)'
    return ("Build mmcv with CUDA ops: `MMCV_CUDA_OPS=1 make env-gpu` (it runs FORCE_CUDA=1 MMCV_WITH_OPS=1 "
            f"pip wheel --no-build-isolation mmcv==2.1.0; needs nvcc matching torch's CUDA {cuda}).")


def _mmcv_version() -> str:
    import mmcv
    return mmcv.__version__


def _import_torchvision(op: str, device: torch.device) -> None:
    """``torch.ops.torchvision`` is registered by importing torchvision: done on first need only."""
    try:
        import torchvision  # noqa: F401
    except ImportError as err:
        raise RuntimeError(f'mmcv {_mmcv_version()} was built without CUDA ops, and running its {op} on {device} '
                           f"needs torchvision's kernel, but torchvision is not installed ({err}). Install the "
                           f"torchvision that matches torch {torch.__version__}, or: {_build_hint()}") from err


def _nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float, offset: int) -> torch.Tensor:
    """mmcv's ``ext_module.nms``: the indices (K,) of the kept boxes of ``boxes`` (N, 4; x1, y1, x2, y2) by
    decreasing ``scores`` (N,); a box is dropped when its IoU with a kept one exceeds ``iou_threshold``.

    Kept as mmcv keeps them, tied scores included:

    - order: mmcv's kernels sort with torch's default sort, which need not keep tied scores in index order
      (torchvision's CPU kernel sorts stably). The boxes go to torchvision in mmcv's order with strictly
      decreasing ranks as scores (exact in float32 up to 2**24 boxes), so that any sort keeps that order.
    - offset: mmcv's box width is x2 - x1 + offset (offset 0 or 1), torchvision's x2 - x1. Moving x2 and y2 by
      offset gives mmcv's areas and intersections (exactly where the sums are exact in float32, e.g. whole or
      quarter pixels; else to the last bit of rounding).
    - threshold: mmcv compares the IoU with ``iou_threshold`` rounded to float32.
    """
    order = scores.sort(0, descending=True)[1]  # the call mmcv's kernels make
    boxes = boxes[order].to(torch.promote_types(boxes.dtype, torch.float32))
    if offset:
        boxes = torch.cat([boxes[:, :2], boxes[:, 2:] + offset], 1)
    ranks = torch.arange(len(order), 0, -1, dtype=boxes.dtype, device=boxes.device)
    threshold = float(torch.tensor(float(iou_threshold), dtype=torch.float32))
    return order[torch.ops.torchvision.nms(boxes, ranks, threshold)]


def _check_avg_pooling(pool_mode: int, device: torch.device) -> None:
    if pool_mode != 1:  # mmcv's RoIAlignFunction passes 0 for 'max', 1 for 'avg'
        raise RuntimeError(f"mmcv's RoIAlign with pool_mode='max' has no kernel for {device}: mmcv "
                           f"{_mmcv_version()} was built without CUDA ops, and torchvision's roi_align, which "
                           f"stands in for it (svm.ops.torchvision_ops), only averages: use pool_mode='avg'. "
                           + _build_hint())


def _roi_align_forward(input: torch.Tensor, rois: torch.Tensor, output: torch.Tensor, argmax_y: torch.Tensor,
                       argmax_x: torch.Tensor, aligned_height: int, aligned_width: int, spatial_scale: float,
                       sampling_ratio: int, pool_mode: int, aligned: bool) -> None:
    """mmcv's ``ext_module.roi_align_forward``: fills ``output`` (K, C, aligned_height, aligned_width) with the
    RoIs ``rois`` (K, 5; batch index, x1, y1, x2, y2 in input pixels / spatial_scale) pooled from ``input``
    (N, C, H, W). ``argmax_y`` / ``argmax_x`` serve 'max' pooling only, which is refused."""
    _check_avg_pooling(pool_mode, input.device)
    output.copy_(torch.ops.torchvision.roi_align(input, rois, float(spatial_scale), int(aligned_height),
                                                 int(aligned_width), int(sampling_ratio), bool(aligned)))


def _roi_align_backward(grad_output: torch.Tensor, rois: torch.Tensor, argmax_y: torch.Tensor,
                        argmax_x: torch.Tensor, grad_input: torch.Tensor, aligned_height: int, aligned_width: int,
                        spatial_scale: float, sampling_ratio: int, pool_mode: int, aligned: bool) -> None:
    """mmcv's ``ext_module.roi_align_backward``: fills ``grad_input`` (N, C, H, W, zeros from mmcv) with the
    gradient of the input from ``grad_output`` (K, C, aligned_height, aligned_width)."""
    _check_avg_pooling(pool_mode, grad_output.device)
    batch, channels, height, width = grad_input.shape
    grad_input.copy_(torch.ops.torchvision._roi_align_backward(
        grad_output, rois, float(spatial_scale), int(aligned_height), int(aligned_width), batch, channels, height,
        width, int(sampling_ratio), bool(aligned)))


#: mmcv extension function -> (the op's name in the log, torchvision's stand-in with the same arguments)
_BRIDGES: Dict[str, Tuple[str, Callable[..., Any]]] = {
    'nms': ('nms', _nms),
    'roi_align_forward': ('roi_align', _roi_align_forward),
    'roi_align_backward': ('roi_align', _roi_align_backward),
}


def _bridged_device(args: tuple, kwargs: dict) -> Optional[torch.device]:
    for value in itertools.chain(args, kwargs.values()):
        if isinstance(value, torch.Tensor) and value.device.type in BRIDGED_DEVICES:
            return value.device
    return None


def _run_bridged(name: str, device: torch.device, args: tuple, kwargs: dict) -> Any:
    if name not in _BRIDGES:
        raise RuntimeError(f"mmcv's {name} has no kernel for {device}: mmcv {_mmcv_version()} was built without "
                           'CUDA ops, and torchvision stands in for its nms and roi_align only '
                           f'(svm.ops.torchvision_ops). {_build_hint()}')
    op, bridge = _BRIDGES[name]
    _import_torchvision(op, device)
    result = bridge(*args, **kwargs)
    if op not in _logged:  # once it has run: a refused call (RoIAlign's 'max' pooling) says why instead
        _logged.add(op)
        print_log(f"mmcv {_mmcv_version()} was built without CUDA ops: {op} on {device} runs torchvision's "
                  f'{device.type.upper()} kernel (svm.ops.torchvision_ops)', logger='current', level=logging.INFO)
    return result


class MMCVExtension:
    """Stands for mmcv's compiled extension ``mmcv._ext`` in the ``mmcv.ops.*`` modules: every function is
    mmcv's, except on tensors of a :data:`BRIDGED_DEVICES` device, which take torchvision's kernels (nms,
    roi_align) or fail with what to build (any other op).

    Args:
        ext (ModuleType): mmcv's extension module.
    """

    def __init__(self, ext: ModuleType):
        self.ext = ext

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__') or name == 'ext':  # copy / pickle probes, and ``ext`` before __init__ set it
            raise AttributeError(name)
        kernel = getattr(self.ext, name)
        if not callable(kernel):
            return kernel

        def dispatch(*args, **kwargs):
            device = _bridged_device(args, kwargs)
            if device is None:
                return kernel(*args, **kwargs)
            return _run_bridged(name, device, args, kwargs)

        dispatch.__name__ = dispatch.__qualname__ = name
        setattr(self, name, dispatch)  # found directly from now on, without __getattr__
        return dispatch

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.ext!r}, bridged devices {BRIDGED_DEVICES})'


def _mmcv_ops_modules() -> List[ModuleType]:
    """The imported ``mmcv.ops.*`` modules that hold mmcv's extension (importing ``mmcv.ops`` imports all)."""
    importlib.import_module('mmcv.ops')
    return [module for name, module in list(sys.modules.items())
            if name.startswith('mmcv.ops.') and module is not None and hasattr(module, 'ext_module')]


def enable_torchvision_ops() -> bool:
    """Where mmcv was built without CUDA ops, route its nms and RoIAlign on CUDA tensors to torchvision's
    kernels (see the module's docstring); elsewhere, and for every other device, nothing changes. Idempotent.

    Returns:
        bool: whether torchvision stands in (False where mmcv has its own CUDA ops).
    """
    if mmcv_has_cuda_ops():
        return False
    for module in _mmcv_ops_modules():
        # A module type only: a second call finds MMCVExtension there, parrots builds hold a namedtuple
        if isinstance(module.ext_module, ModuleType):
            module.ext_module = MMCVExtension(module.ext_module)
    return True


def cuda_ops_backend() -> str:
    """Which kernels run mmcv's nms and RoIAlign on CUDA tensors: 'torchvision' once
    :func:`enable_torchvision_ops` stands in (mmcv built without CUDA ops), else 'mmcv'."""
    nms_module = sys.modules.get('mmcv.ops.nms')
    bridged = isinstance(getattr(nms_module, 'ext_module', None), MMCVExtension) and 'cuda' in BRIDGED_DEVICES
    return 'torchvision' if bridged else 'mmcv'
