"""Search Activation Maps: the closed forms of paper Props. 4.1 and 5.1."""

from __future__ import annotations

import torch

from axiomatic_search.correspondence import second_order_sam
from axiomatic_search.models import cosine, global_average_pool

from .base import SearchAttribution, checked


class SAM(SearchAttribution):
    """First-order SAM (paper Eq. 3): ``(1/HW) Σ_c GAP(x)_c (y_chw − b_chw)``.

    For a GAP dot-product similarity this is exactly the Shapley value of every feature-map
    location (Prop. 4.1). For a cosine head the embeddings are normalised first (``GAP(x)`` by
    its norm, the result side by ``‖GAP(y)‖``), the CAM-style linearisation of VEDML, so the
    values add up to about ``cos(x, y) − cos(x, b)``.

    >>> import torch
    >>> from axiomatic_search.models import GreyBoxSimilarity
    >>> sam = SAM(GreyBoxSimilarity(torch.nn.Identity(), metric="dot"))
    >>> sam.attribute(torch.ones(1, 2, 2, 2), torch.ones(1, 2, 2, 2)).shape
    torch.Size([1, 2, 2])
    """

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, baseline=None,
                  explain: str = "result") -> torch.Tensor:
        with torch.no_grad():
            fixed, explained = self.sides(queries, results, explain)
            maps = self.feature_maps(explained)
            background = self.background_maps(explained, maps, baseline)
            fixed_gap = global_average_pool(self.feature_maps(fixed))
        return checked(first_order_sam(fixed_gap, maps, background, normalise=self.model.metric is cosine), "SAM")


def first_order_sam(fixed_gap: torch.Tensor, maps: torch.Tensor, background: torch.Tensor,
                    normalise: bool = False) -> torch.Tensor:
    """``(1/HW) Σ_c fixed_gap_c (maps − background)_chw`` per pair of the batch, ``(B, H, W)``;
    with ``normalise``, each pair divided by ``‖fixed_gap‖ · ‖GAP(maps)‖`` (cosine SAM).

    >>> fixed, maps = torch.tensor([[1.0, 2.0]]), torch.arange(12.0).reshape(1, 2, 2, 3)
    >>> first_order_sam(fixed, maps, torch.zeros_like(maps))[0, 0]
    tensor([2.0000, 2.5000, 3.0000])
    """
    height, width = maps.shape[-2:]
    sam = torch.einsum("bc,bchw->bhw", fixed_gap, maps - background) / (height * width)
    if normalise:
        norms = fixed_gap.norm(dim=1) * global_average_pool(maps).norm(dim=1)
        if (norms == 0).any():
            raise ValueError("an embedding (GAP of the feature maps) has zero norm, so the cosine similarity is "
                             "undefined for this pair; use metric='dot' or check the inputs")
        sam = sam / norms[:, None, None]
    return sam


class SecondOrderSAM(SearchAttribution):
    """Second-order SAM (paper Eq. 8): ``(1/(H²W²)) Σ_c (x − a)_chw (y − b)_cij`` as a
    ``(B, Hq·Wq, Hr·Wr)`` matrix; the exact Shapley–Taylor query×result block of the GAP
    dot-product similarity (Prop. 5.1), with the backgrounds ``a`` (query) and ``b`` (result)."""

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, query_baseline=None,
                  result_baseline=None) -> torch.Tensor:
        queries, results = self.sides(queries, results, "result")
        with torch.no_grad():
            query_maps, result_maps = self.feature_maps(queries), self.feature_maps(results)
            if query_maps.shape[1] != result_maps.shape[1]:
                raise ValueError(
                    f"query and result feature maps have {query_maps.shape[1]} and {result_maps.shape[1]} channels"
                )
            a = self.background_maps(queries, query_maps, query_baseline)
            b = self.background_maps(results, result_maps, result_baseline)
        return checked(torch.stack([second_order_sam(query_maps[k], a[k], result_maps[k], b[k]) for k in range(len(a))]),
                       "SecondOrderSAM")
