"""Forward passes at the hardware's pace: ONNX Runtime on CPUs, channels_last torch elsewhere.

>>> import torch
>>> from axiomatic_search.models import GreyBoxSimilarity
>>> from axiomatic_search.runtime import accelerate
>>> model = accelerate(GreyBoxSimilarity(torch.nn.Conv2d(3, 4, 3)), backend="onnxruntime")
>>> model(torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)).shape
torch.Size([2])
"""

from .onnx import OnnxBackbone, export_onnx, onnxruntime_available
from .tuning import BACKENDS, ChannelsLast, accelerate, default_batch_size, fast_module, resolve_backend

__all__ = [
    "BACKENDS",
    "ChannelsLast",
    "OnnxBackbone",
    "accelerate",
    "default_batch_size",
    "export_onnx",
    "fast_module",
    "onnxruntime_available",
    "resolve_backend",
]
