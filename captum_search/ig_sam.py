"""IG-SAM (paper Eq. 9, A.5): integrated gradients of the similarity with respect to a soft
spatial mask on the explained feature map, which blends the background into the features."""

from __future__ import annotations

from typing import Callable

import torch
from captum.attr import IntegratedGradients

from axiomatic_search._checks import check_count
from axiomatic_search.models import global_average_pool

from .base import SearchAttribution, checked, require_gradient

Head = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class IGSAM(SearchAttribution):
    """``attribute(...)`` returns ``(B, h, w)``; with ``return_convergence_delta=True`` also
    captum's completeness gap ``Σ attributions − (v(N) − v(∅))`` per pair.

    ``head(query_maps, result_maps) -> (B,)`` replaces the model's GAP + metric head (for
    example a head that ignores part of the map).
    """

    def __init__(self, model, head: Head | None = None) -> None:
        super().__init__(model)
        self.head = head if head is not None else model.head

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, baseline=None, explain: str = "result",
                  n_steps: int = 50, return_convergence_delta: bool = False):
        n_steps = check_count(n_steps, "n_steps")
        fixed, explained = self.sides(queries, results, explain)
        with torch.no_grad():
            fixed_maps = self.feature_maps(fixed)
            maps = self.feature_maps(explained)
            background = self.background_maps(explained, maps, baseline)

        def similarity(mask, fixed_maps, maps, background) -> torch.Tensor:
            blended = background + mask[:, None] * (maps - background)
            pair = (fixed_maps, blended) if explain == "result" else (blended, fixed_maps)
            return self.head(*pair)

        ones = torch.ones(maps.shape[0], *maps.shape[2:], device=maps.device, dtype=maps.dtype)
        with torch.enable_grad():
            require_gradient(similarity(ones.clone().requires_grad_(True), fixed_maps, maps, background), "the head")
        # captum repeats the additional arguments along with the interpolated masks
        found = IntegratedGradients(similarity).attribute(
            ones, baselines=torch.zeros_like(ones), additional_forward_args=(fixed_maps, maps, background),
            n_steps=n_steps, return_convergence_delta=return_convergence_delta,
        )
        checked(found[0] if return_convergence_delta else found, "IGSAM")
        return found


def gap_head(metric) -> Head:
    """A GAP + ``metric`` head on two batches of feature maps."""
    return lambda query_maps, result_maps: metric(global_average_pool(query_maps), global_average_pool(result_maps))
