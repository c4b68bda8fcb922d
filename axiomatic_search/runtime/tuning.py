"""Forward passes at the hardware's pace: a backend per device and batch sizes that suit it.

``accelerate(model)`` returns the same kind of similarity model with its network behind the
fastest backend available: ONNX Runtime on the CPU when it is installed, otherwise torch with
``channels_last`` memory format (about 1.6–2× eager on the 2-core development machine). Game
evaluation already runs under ``torch.inference_mode``; torch's and ONNX Runtime's thread counts
are torch's own (one per physical core by default).
"""

from __future__ import annotations

import torch

from .._checks import check_choice
from ..models import EmbeddingSimilarity, GreyBoxSimilarity, SimilarityModel
from .onnx import OnnxBackbone, onnxruntime_available

BACKENDS = ("auto", "eager", "torch", "onnxruntime")
"""``eager``: the module as given; ``torch``: channels_last; ``onnxruntime``: ONNX Runtime (CPU)."""


class ChannelsLast(torch.nn.Module):
    """``module`` with its weights and 4-d inputs in ``channels_last`` memory format (the
    weights are converted in place; results are unchanged).

    >>> ChannelsLast(torch.nn.Conv2d(3, 2, 1))(torch.rand(1, 3, 4, 4)).shape
    torch.Size([1, 2, 4, 4])
    """

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module = module.to(memory_format=torch.channels_last)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim == 4:
            images = images.contiguous(memory_format=torch.channels_last)
        return self.module(images).contiguous()


def default_batch_size(device: torch.device | str) -> int:
    """Model inputs per forward call: 32 on a CPU (larger batches gain nothing there and cost
    memory), 256 on a GPU."""
    return 256 if torch.device(device).type == "cuda" else 32


def resolve_backend(backend: str, device: torch.device | str) -> str:
    """``"auto"`` → ``"onnxruntime"`` on a CPU where it is installed, else ``"torch"``."""
    check_choice(backend, BACKENDS, "backend")
    if backend != "auto":
        return backend
    return "onnxruntime" if torch.device(device).type == "cpu" and onnxruntime_available() else "torch"


def fast_module(module: torch.nn.Module, backend: str = "auto", device: torch.device | str = "cpu") -> torch.nn.Module:
    """``module`` behind ``backend`` (``"eager"``: as given; ``"torch"``: channels_last;
    ``"onnxruntime"``: ONNX Runtime for inference, channels_last torch for gradients)."""
    backend = resolve_backend(backend, device)
    if backend == "eager" or isinstance(module, (OnnxBackbone, ChannelsLast)):
        return module
    if backend == "onnxruntime":
        return OnnxBackbone(ChannelsLast(module))
    return ChannelsLast(module)


def accelerate(model: SimilarityModel, backend: str = "auto") -> SimilarityModel:
    """The same similarity with its network behind ``backend`` (one of ``BACKENDS``). Needs the network as a ``torch.nn.Module`` (a grey box's backbone, an
    embedding model's ``embed``).

    >>> from axiomatic_search.models import GreyBoxSimilarity
    >>> fast = accelerate(GreyBoxSimilarity(torch.nn.Conv2d(3, 4, 3)), backend="torch")
    >>> type(fast.backbone).__name__
    'ChannelsLast'
    """
    network = getattr(model, "backbone", getattr(model, "embed", None))
    if not isinstance(network, torch.nn.Module):
        raise TypeError(
            f"accelerate needs a model whose network is a torch.nn.Module (a GreyBoxSimilarity's backbone or an "
            f"EmbeddingSimilarity's embed), got {model!r}"
        )
    module = fast_module(network, backend, model.device)
    if isinstance(model, GreyBoxSimilarity):
        return GreyBoxSimilarity(module, metric=model.metric)
    if isinstance(model, EmbeddingSimilarity):
        return EmbeddingSimilarity(module, metric=model.metric)
    raise TypeError(f"accelerate supports embedding and grey-box similarities, got {type(model).__name__}")
