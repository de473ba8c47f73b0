"""Ops svm runs through mmcv, made to work where mmcv lacks kernels for a device.

- :mod:`.torchvision_ops`: mmcv's nms (and batched_nms) and RoIAlign on CUDA tensors through torchvision's
  kernels when mmcv was built without CUDA ops (``import svm`` enables it).
"""
from .torchvision_ops import cuda_ops_backend, enable_torchvision_ops, mmcv_has_cuda_ops

__all__ = ['cuda_ops_backend', 'enable_torchvision_ops', 'mmcv_has_cuda_ops']
