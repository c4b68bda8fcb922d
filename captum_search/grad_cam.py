"""Search GradCAM: captum's ``LayerGradCam`` on the similarity, at the backbone's output.

The baseline the paper shows violating the dummy axiom (A.4): its channel weights average the
gradient over every location, so locations the head ignores still get credit.
"""

from __future__ import annotations

import torch
from captum.attr import LayerGradCam

from .base import SearchAttribution, checked, require_gradient
from .ig_sam import Head


class SearchGradCAM(SearchAttribution):
    """``attribute(queries, results)`` -> ``(B, h, w)`` GradCAM maps of the explained side."""

    def __init__(self, model, head: Head | None = None, relu: bool = False) -> None:
        super().__init__(model)
        if not isinstance(model.backbone, torch.nn.Module):
            raise TypeError("SearchGradCAM needs model.backbone to be a torch.nn.Module (its output is hooked)")
        self.head = head if head is not None else model.head
        self.relu = relu

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, explain: str = "result") -> torch.Tensor:
        fixed, explained = self.sides(queries, results, explain)
        with torch.no_grad():
            fixed_maps = self.feature_maps(fixed)

        def similarity(images: torch.Tensor) -> torch.Tensor:
            maps = self.model.backbone(images)
            return self.head(fixed_maps, maps) if explain == "result" else self.head(maps, fixed_maps)

        explained = explained.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            require_gradient(similarity(explained), "the head")
        cam = LayerGradCam(similarity, self.model.backbone).attribute(explained, relu_attributions=self.relu)
        return checked(cam[:, 0].detach(), "SearchGradCAM")
