"""An ONNX Runtime backend for a torch backbone's forward passes on the CPU.

``OnnxBackbone(module)`` behaves like ``module``: it exports it to ONNX the first time it sees
an input shape (batch size left dynamic), checks ONNX Runtime's output against torch's on that
first batch (``max_abs_difference``), and from then on runs inference in ONNX Runtime. Calls
that need gradients (inputs that require grad, under grad mode) or inputs on another device go
to the torch module, so gradient methods (GradCAM, Integrated Gradients on pixels) still work.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import torch

DEFAULT_TOLERANCE = 1e-3
"""Largest accepted ``max |ort − torch| / max |torch|`` on the first batch of a shape."""


def onnxruntime_available() -> bool:
    """Whether ``onnxruntime`` (and ``onnx``, which the exporter writes with) can be imported."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def export_onnx(module: torch.nn.Module, example: torch.Tensor) -> bytes:
    """``module`` as an ONNX model with a dynamic batch axis (input ``images``, output ``maps``)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        try:
            torch.onnx.export(module, (example,), buffer, input_names=["images"], output_names=["maps"],
                              dynamic_axes={"images": {0: "batch"}, "maps": {0: "batch"}}, opset_version=17,
                              dynamo=False)
            return buffer.getvalue()
        except (TypeError, RuntimeError, ImportError, AttributeError):  # no TorchScript exporter: use dynamo
            program = torch.onnx.export(module, (example,), input_names=["images"], output_names=["maps"],
                                        dynamic_shapes=({0: torch.export.Dim("batch")},), dynamo=True,
                                        verbose=False)
            return program.model_proto.SerializeToString()


class OnnxBackbone(torch.nn.Module):
    """``module``'s forward passes in ONNX Runtime (CPU), checked against torch.

    ``threads``: ONNX Runtime's intra-op threads (default: torch's thread count).
    ``tolerance``: the largest relative difference accepted on the first batch of each shape.

    >>> backbone = OnnxBackbone(torch.nn.Conv2d(3, 4, 3))
    >>> backbone(torch.rand(2, 3, 8, 8)).shape
    torch.Size([2, 4, 6, 6])
    >>> backbone.max_abs_difference[(3, 8, 8)] < 1e-5
    True
    """

    def __init__(self, module: torch.nn.Module, threads: int | None = None,
                 tolerance: float = DEFAULT_TOLERANCE) -> None:
        super().__init__()
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"OnnxBackbone needs a torch.nn.Module, got {type(module).__name__}")
        if not onnxruntime_available():
            raise ImportError("the ONNX Runtime backend needs onnxruntime and onnx: pip install onnxruntime onnx")
        self.module = module.eval()
        self.threads = threads
        self.tolerance = tolerance
        self.max_abs_difference: dict[tuple[int, ...], float] = {}
        self._sessions: dict[tuple[int, ...], object] = {}

    def _session(self, images: torch.Tensor):
        import onnxruntime

        shape = tuple(images.shape[1:])
        if shape in self._sessions:
            return self._sessions[shape], None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # no busy-waiting between runs: the masking in between needs the cores (measured faster)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        with torch.no_grad():
            expected = self.module(images)
            try:
                model = export_onnx(self.module, images[:1].float())
                session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
            except Exception as error:  # noqa: BLE001 - any export failure: keep torch for this shape
                warnings.warn(f"could not export the model to ONNX for inputs of shape {shape} ({error}); "
                              "they run in torch instead", RuntimeWarning, stacklevel=4)
                session = None
        self._sessions[shape] = session
        return session, expected

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        needs_torch = images.device.type != "cpu" or (torch.is_grad_enabled() and images.requires_grad)
        if needs_torch or images.ndim < 2 or len(images) == 0:
            return self.module(images)
        session, expected = self._session(images)
        if session is None:  # this shape failed its check: torch it is
            return self.module(images)
        array = np.ascontiguousarray(images.detach().float().numpy())
        output = torch.from_numpy(session.run(None, {"images": array})[0])
        if expected is not None and not self._faithful(tuple(images.shape[1:]), output, expected):
            return torch.as_tensor(expected)
        return output

    def _faithful(self, shape: tuple[int, ...], output: torch.Tensor, expected: torch.Tensor) -> bool:
        expected = torch.as_tensor(expected).float()
        difference = float((output - expected).abs().max()) if output.shape == expected.shape else float("inf")
        self.max_abs_difference[shape] = difference
        scale = float(expected.abs().max()) or 1.0
        if difference <= self.tolerance * scale:
            return True
        self._sessions[shape] = None
        warnings.warn(
            f"ONNX Runtime's output for inputs of shape {shape} differs from torch's by {difference:.3g} "
            f"(largest |output| {scale:.3g}, tolerance {self.tolerance:g} of it); inputs of this shape run "
            "in torch instead", RuntimeWarning, stacklevel=3,
        )
        return False
