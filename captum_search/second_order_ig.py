"""Second-order IG-SAM: Integrated Hessians (Janizek et al., 2020) of the similarity with
respect to soft masks on the query and result feature maps (paper Sec. 5.3, A.12).

The off-diagonal Integrated Hessian is ``Γ = ∫∫ αβ ∂²v(αβ·1) dα dβ``; substituting ``t = αβ``
gives ``Γ = ∫₀¹ (−t ln t) H(t) dt`` with ``H(t)`` the query×result Hessian block at the uniform
mask ``t``. It is computed by Gauss–Legendre quadrature with ``n_steps`` nodes whose weights are
rescaled to integrate ``−t ln t`` exactly (so constant Hessians are exact). For the GAP
dot-product similarity ``H`` is constant and ``Γ = ¼ ×`` the Shapley–Taylor block (A.12).
"""

from __future__ import annotations

import numpy as np
import torch

from .base import SearchAttribution, require_gradient
from .ig_sam import Head

SHAPLEY_TAYLOR_RATIO = 0.25
"""Second-order IG-SAM / Shapley–Taylor index on GAP dot-product heads (paper A.12)."""


class SecondOrderIGSAM(SearchAttribution):
    """``attribute(...) -> (B, Hq·Wq, Hr·Wr)`` Integrated-Hessian interactions."""

    def __init__(self, model, head: Head | None = None) -> None:
        super().__init__(model)
        self.head = head if head is not None else model.head

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, query_baseline=None,
                  result_baseline=None, n_steps: int = 16) -> torch.Tensor:
        queries, results = self.sides(queries, results, "result")
        with torch.no_grad():
            query_maps, result_maps = self.feature_maps(queries), self.feature_maps(results)
            query_background = self.background_maps(queries, query_maps, query_baseline)
            result_background = self.background_maps(results, result_maps, result_baseline)
        nodes, weights = np.polynomial.legendre.leggauss(n_steps)
        nodes = (nodes + 1) / 2  # on [0, 1], with the kernel −t ln t folded into the weights,
        kernel = weights * -nodes * np.log(nodes)  # rescaled to integrate it exactly (∫ −t ln t = ¼)
        kernel *= SHAPLEY_TAYLOR_RATIO / kernel.sum()
        blocks = []
        for k in range(len(query_maps)):
            a, x = query_background[k], query_maps[k]
            b, y = result_background[k], result_maps[k]

            def similarity(mask_q: torch.Tensor, mask_r: torch.Tensor) -> torch.Tensor:
                q = a + mask_q.reshape(x.shape[1:]) * (x - a)
                r = b + mask_r.reshape(y.shape[1:]) * (y - b)
                return self.head(q[None], r[None])[0]

            with torch.enable_grad():
                probe = torch.ones(y[0].numel(), dtype=y.dtype, device=y.device, requires_grad=True)
                require_gradient(similarity(torch.ones(x[0].numel(), dtype=x.dtype, device=x.device), probe), "the head")
            cross = torch.func.jacrev(torch.func.grad(similarity, argnums=1), argnums=0)
            total = torch.zeros(x[0].numel(), y[0].numel(), dtype=x.dtype, device=x.device)
            for t, w in zip(nodes, kernel):
                mask_q = torch.full((x[0].numel(),), float(t), dtype=x.dtype, device=x.device)
                mask_r = torch.full((y[0].numel(),), float(t), dtype=y.dtype, device=y.device)
                total += float(w) * cross(mask_q, mask_r).T
            blocks.append(total)
        return torch.stack(blocks)
