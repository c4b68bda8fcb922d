"""The paper's backbones as grey-box similarities: torchvision ResNet50, VGG11, DenseNet121
(ImageNet weights download on a user's machine), and MoCo v2 from a user's checkpoint.

Each returns a ``GreyBoxSimilarity``: feature maps of the last convolutional stage, GAP, then
a metric (cosine by default, as in the paper). Inputs are ``[0, 1]`` RGB images; ImageNet
normalisation happens inside.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .models import GreyBoxSimilarity
from .zoo import Normalized, load_weights

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
TORCHVISION_BACKBONES = ("resnet50", "vgg11", "densenet121")


def _classifier(name: str, weights: str | Path | None) -> torch.nn.Module:
    import torchvision.models as models

    if name not in TORCHVISION_BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; expected one of {list(TORCHVISION_BACKBONES)}")
    builder = getattr(models, name)
    if weights is None or weights == "DEFAULT":
        return builder(weights=weights)  # "DEFAULT" downloads torchvision's ImageNet weights
    return load_weights(builder(weights=None), weights, what=f"torchvision's {name}")


class _DenseNetFeatures(torch.nn.Module):
    """DenseNet's feature stack followed by the ReLU torchvision applies before pooling."""

    def __init__(self, features: torch.nn.Module) -> None:
        super().__init__()
        self.features = features

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.relu(self.features(images))


def _trunk(name: str, network: torch.nn.Module) -> torch.nn.Module:
    if name == "resnet50":
        return torch.nn.Sequential(*list(network.children())[:-2])
    if name == "vgg11":
        return network.features
    return _DenseNetFeatures(network.features)


def torchvision_similarity(
    name: str, weights: str | Path | None = "DEFAULT", metric: str = "cosine", device: str | torch.device = "cpu",
) -> GreyBoxSimilarity:
    """``name`` in ``resnet50``, ``vgg11``, ``densenet121``. ``weights``: ``"DEFAULT"``
    (torchvision's ImageNet weights, downloaded), ``None`` (random), or a checkpoint path
    holding the classifier's state dict."""
    backbone = Normalized(_trunk(name, _classifier(name, weights)), IMAGENET_MEAN, IMAGENET_STD)
    return GreyBoxSimilarity(backbone.to(device).eval(), metric=metric)


def moco_v2_similarity(checkpoint: str | Path, metric: str = "cosine", device: str | torch.device = "cpu") -> GreyBoxSimilarity:
    """MoCo v2 (Chen et al., 2020) from its official checkpoint format: a ``state_dict`` whose
    ``module.encoder_q.*`` entries are a torchvision ResNet50 (the MLP head ``fc.*`` is dropped)."""
    import torchvision.models as models

    state = torch.load(Path(checkpoint), map_location="cpu", weights_only=False)
    state = state.get("state_dict", state)
    prefix = "module.encoder_q."
    encoder = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix) and not k.startswith(prefix + "fc.")}
    if not encoder:
        raise ValueError(f"{checkpoint} has no '{prefix}*' weights; is it a MoCo v2 checkpoint?")
    network = models.resnet50(weights=None)
    missing, unexpected = network.load_state_dict(encoder, strict=False)
    if unexpected or any(not key.startswith("fc.") for key in missing):
        raise ValueError(f"{checkpoint} does not match a ResNet50 encoder: missing {missing}, unexpected {unexpected}")
    backbone = Normalized(_trunk("resnet50", network), IMAGENET_MEAN, IMAGENET_STD)
    return GreyBoxSimilarity(backbone.to(device).eval(), metric=metric)
