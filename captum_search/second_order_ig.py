"""Second-order IG-SAM: Integrated Hessians (Janizek et al., 2020) of the similarity with
respect to soft masks on the query and result feature maps (paper Sec. 5.3, A.12), computed
by the core (``axiomatic_search.correspondence.integrated_hessians``). For the GAP dot-product
similarity it is ``SHAPLEY_TAYLOR_RATIO = ¼ ×`` the Shapley–Taylor block.
"""

from __future__ import annotations

import torch

from axiomatic_search._checks import check_count
from axiomatic_search.correspondence import SHAPLEY_TAYLOR_RATIO, integrated_hessians

from .base import SearchAttribution, checked
from .ig_sam import Head

__all__ = ["SHAPLEY_TAYLOR_RATIO", "SecondOrderIGSAM"]


class SecondOrderIGSAM(SearchAttribution):
    """``attribute(...) -> (B, Hq·Wq, Hr·Wr)`` Integrated-Hessian interactions."""

    def __init__(self, model, head: Head | None = None) -> None:
        super().__init__(model)
        self.head = head if head is not None else model.head

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, query_baseline=None,
                  result_baseline=None, n_steps: int = 16) -> torch.Tensor:
        n_steps = check_count(n_steps, "n_steps")
        queries, results = self.sides(queries, results, "result")
        with torch.no_grad():
            query_maps, result_maps = self.feature_maps(queries), self.feature_maps(results)
            query_background = self.background_maps(queries, query_maps, query_baseline)
            result_background = self.background_maps(results, result_maps, result_baseline)
        return checked(torch.stack([
            integrated_hessians(self.head, query_maps[k], query_background[k], result_maps[k], result_background[k],
                                n_steps)
            for k in range(len(query_maps))
        ]), "SecondOrderIGSAM")
