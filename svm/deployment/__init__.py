"""Deployment of svm models: the ONNX export of S-ViT's streaming step (streaming_onnx.py).

Not imported by ``import svm``. The export and its check need the optional packages of
requirements/optional_deploy.txt (onnx, onnxruntime), which only the functions that use them import.
"""
from .streaming_onnx import (OnnxStreamingSession, StreamingStep, build_streaming_step, export_streaming_onnx,
                             format_graph_io, format_verify_report, require_deploy_packages, run_onnx_stream,
                             verify_streaming_onnx, with_memory_policy)

__all__ = ['OnnxStreamingSession', 'StreamingStep', 'build_streaming_step', 'export_streaming_onnx',
           'format_graph_io', 'format_verify_report', 'require_deploy_packages', 'run_onnx_stream',
           'verify_streaming_onnx', 'with_memory_policy']
