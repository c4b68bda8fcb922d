"""What the grey-box attributions share: a GAP similarity model and background feature maps."""

from __future__ import annotations

import torch
from captum.attr import Attribution

from axiomatic_search._checks import check_choice
from axiomatic_search._checks import require_gradient as check_gradient
from axiomatic_search.backgrounds import Blur
from axiomatic_search.images import as_image_batch
from axiomatic_search.models import GreyBoxSimilarity

Baseline = "None | str | torch.Tensor"


def as_batch(images: object, name: str, like: torch.Tensor | None = None) -> torch.Tensor:
    """The model's input batch: a ``(B, C, H, W)`` (or one ``(C, H, W)``) tensor (any channel
    count a backbone takes; uint8 scaled to [0, 1]), or one image, a list, paths or PIL images
    through the library's shared conversion (``axiomatic_search.images.as_image_batch``); moved
    to ``like``'s device and dtype when given (the backbone's parameters), else left where it is."""
    if isinstance(images, torch.Tensor):
        if images.ndim not in (3, 4):
            raise ValueError(f"{name} must be a (B, C, H, W) or (C, H, W) tensor, got shape {tuple(images.shape)}")
        images = images if images.ndim == 4 else images[None]
        if images.dtype == torch.uint8:
            images = images.float() / 255.0
        elif not images.is_floating_point():
            raise ValueError(f"{name} must hold uint8 or floating-point pixels, got {images.dtype}")
        if not torch.isfinite(images).all():
            raise ValueError(f"{name} contains NaN or inf pixels")
    else:
        images = as_image_batch(images, name)
    return images if like is None else images.to(device=like.device, dtype=like.dtype)


def _parameter(model: object) -> torch.Tensor | None:
    """A floating-point parameter of the backbone (its device and dtype), if it has one."""
    parameters = getattr(getattr(model, "backbone", None), "parameters", None)
    floating = [p for p in parameters() if p.is_floating_point()] if callable(parameters) else []
    return floating[0] if floating else None


class SearchAttribution(Attribution):
    """Base of the grey-box search attributions over a ``GreyBoxSimilarity``.

    ``baseline`` for the explained side's feature map: ``None``/``"zero"`` (zeros), ``"blur"``
    (features of the image blurred with a 25 px Gaussian), or a ``(B, C, H, W)`` image batch
    whose features are the background (a counterfactual).
    """

    def __init__(self, model: GreyBoxSimilarity) -> None:
        if not isinstance(model, GreyBoxSimilarity):
            raise TypeError(f"model must be a GreyBoxSimilarity (backbone + GAP + metric), got {type(model).__name__}")
        super().__init__(model)
        self.model = model

    def feature_maps(self, images: torch.Tensor) -> torch.Tensor:
        return self.model.feature_maps(images)

    def background_maps(self, images: torch.Tensor, maps: torch.Tensor, baseline) -> torch.Tensor:
        """Background feature maps shaped like ``maps``."""
        if baseline is None or (isinstance(baseline, str) and baseline == "zero"):
            return torch.zeros_like(maps)
        if isinstance(baseline, str):
            check_choice(baseline, ("zero", "blur"), "baseline")
            blurred = torch.cat([Blur(25)(image) for image in images])
            return self.feature_maps(blurred)
        if isinstance(baseline, torch.Tensor) and baseline.shape == maps.shape:  # already feature maps
            return baseline
        baseline = as_batch(baseline, "baseline", like=images)
        if baseline.shape != images.shape:
            raise ValueError(
                f"baseline has shape {tuple(baseline.shape)}; expected images shaped like the explained "
                f"ones {tuple(images.shape)} or feature maps {tuple(maps.shape)}"
            )
        return self.feature_maps(baseline)

    def sides(self, queries: torch.Tensor, results: torch.Tensor, explain: str):
        """``(fixed images, explained images)`` after validation."""
        check_choice(explain, ("result", "query"), "explain")
        like = _parameter(self.model)  # images given as paths, PIL or arrays go where the backbone is
        queries, results = as_batch(queries, "queries", like), as_batch(results, "results", like)
        if len(queries) != len(results):
            raise ValueError(f"queries and results hold {len(queries)} and {len(results)} images; pair them up")
        return (queries, results) if explain == "result" else (results, queries)


def checked(attributions: torch.Tensor, what: str) -> torch.Tensor:
    """``attributions`` if every value is finite, else an error naming ``what`` (the closed forms
    check their outputs as the games check theirs)."""
    if not torch.isfinite(attributions).all():
        raise ValueError(f"{what} produced NaN or inf attributions: the backbone's feature maps or the head "
                         "returned non-finite values for these inputs")
    return attributions


def require_gradient(output: torch.Tensor, what: str) -> None:
    """Raise a clear error when ``output`` does not depend differentiably on its input."""
    check_gradient(output, what, "use KernelSAM for heads without gradients")


def upsample(attributions: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``(B, h, w)`` feature-map attributions to ``(B, 1, H, W)`` for
    ``captum.attr.visualization.visualize_image_attr`` (bilinear)."""
    return torch.nn.functional.interpolate(attributions[:, None].float(), size=size, mode="bilinear",
                                           align_corners=False)
