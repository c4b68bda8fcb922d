"""Backgrounds: what a masked-out player is replaced with.

A background turns the image being masked, ``(C, H, W)``, into ``K`` background images
``(K, C, H, W)``; with ``K > 1`` the game averages the similarity over them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import torch
import torchvision.transforms.functional as TF

from .images import as_image_tensor


class Background(ABC):
    """Maps an image ``(C, H, W)`` to background images ``(K, C, H, W)``."""

    @abstractmethod
    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """Background images for ``image``."""


class Blur(Background):
    """Gaussian blur with a square kernel of ``kernel_size`` pixels (paper: 25).

    >>> Blur(5)(torch.ones(3, 8, 8)).shape
    torch.Size([1, 3, 8, 8])
    """

    def __init__(self, kernel_size: int = 25, sigma: float | None = None) -> None:
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd int, got {kernel_size}")
        self.kernel_size = kernel_size
        self.sigma = sigma

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        # reflection padding needs the kernel's half-width below the image side
        size = min(self.kernel_size, 2 * min(image.shape[-2:]) - 1)
        sigma = self.sigma if self.sigma is not None else 0.3 * ((size - 1) * 0.5 - 1) + 0.8
        return TF.gaussian_blur(image[None], [size, size], [sigma, sigma])


class MeanColor(Background):
    """Every pixel replaced by the image's mean colour (lime's default style)."""

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return image.mean(dim=(1, 2), keepdim=True).expand_as(image)[None].clone()


class Constant(Background):
    """A constant value (a scalar or one per channel)."""

    def __init__(self, value: float | Sequence[float] = 0.0) -> None:
        self.value = torch.as_tensor(value, dtype=torch.float32).reshape(-1, 1, 1)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if self.value.shape[0] not in (1, image.shape[0]):
            raise ValueError(f"Constant value has {self.value.shape[0]} channels, image has {image.shape[0]}")
        return (torch.zeros_like(image) + self.value.to(image.device))[None]


class Counterfactual(Background):
    """Another input of the same size: "why this result rather than that one" (paper Fig. 3)."""

    def __init__(self, other: object, name: str = "counterfactual background") -> None:
        self.other = as_image_tensor(other, name=name)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        if self.other.shape != image.shape:
            raise ValueError(
                f"counterfactual background has shape {tuple(self.other.shape)} but the image is "
                f"{tuple(image.shape)}; they must match"
            )
        return self.other[None].to(image.device)


class Averaged(Background):
    """Several backgrounds; the game averages the similarity over all of them."""

    def __init__(self, backgrounds: Sequence[Background]) -> None:
        if not backgrounds:
            raise ValueError("Averaged needs at least one background")
        self.backgrounds = list(backgrounds)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        return torch.cat([background(image) for background in self.backgrounds])


def get_background(background: str | Background | object) -> Background:
    """A background from a name ("blur", "mean", "black"), a Background, or an image
    (used as a counterfactual)."""
    if isinstance(background, Background):
        return background
    if isinstance(background, str):
        named = {"blur": Blur, "mean": MeanColor, "black": Constant}
        if background not in named:
            raise ValueError(f"unknown background {background!r}; expected one of {sorted(named)}")
        return named[background]()
    return Counterfactual(background, name="background (a counterfactual image)")
