"""Grey-box closed forms for the query×result block over feature-map locations.

- ``second_order_sam``: paper Eq. 8, ``(1/(H_q W_q H_r W_r)) Σ_c (x − a)_c,q (y − b)_c,r``; the
  exact Shapley–Taylor block of a GAP dot-product head (Prop. 5.1).
- ``integrated_hessians``: second-order IG-SAM (Sec. 5.3, A.12), the Integrated Hessian of the
  head with respect to soft masks on both feature maps. With ``t = αβ`` the off-diagonal
  Integrated Hessian ``∫∫ αβ ∂²v(αβ·1) dα dβ`` becomes ``∫₀¹ (−t ln t) H(t) dt``, ``H(t)`` the
  query×result Hessian block at the uniform mask ``t``; Gauss–Legendre nodes with weights
  rescaled to integrate ``−t ln t`` exactly, so constant Hessians (GAP dot heads) are exact and
  the result is ``SHAPLEY_TAYLOR_RATIO = ¼`` of the Shapley–Taylor block (A.12).

Both take one pair of feature maps ``(C, H, W)`` and their backgrounds; ``background_features``
gives the backgrounds the paper uses (features of the blurred image).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ..backgrounds import Blur, get_background
from .._checks import require_gradient
from ..models import GreyBoxSimilarity, _name_of

Head = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
SHAPLEY_TAYLOR_RATIO = 0.25
"""Second-order IG-SAM / Shapley–Taylor index on GAP dot-product heads (paper A.12)."""


def background_features(model: GreyBoxSimilarity, image: torch.Tensor, maps: torch.Tensor,
                        background: object = "blur") -> torch.Tensor:
    """Background feature maps for ``image`` (``(C, H, W)``, with features ``maps``):
    ``"zero"``/``None`` (zeros), ``"blur"`` (features of the 25 px blur), any other background
    name or object of ``axiomatic_search.backgrounds`` (features of its first image), or an
    image (a counterfactual)."""
    if background is None or (isinstance(background, str) and background == "zero"):
        return torch.zeros_like(maps)
    if isinstance(background, str) and background == "blur":
        background = Blur(25)
    with torch.no_grad():  # not inference mode: the maps may enter autograd (integrated_hessians)
        images = get_background(background)(image)[:1].to(image.device)
        return model.feature_maps(images)[0]


def second_order_sam(x: torch.Tensor, a: torch.Tensor, y: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Eq. 8 for one pair: ``(H_q W_q, H_r W_r)``.

    >>> second_order_sam(torch.ones(2, 1, 2), torch.zeros(2, 1, 2), torch.ones(2, 1, 1), torch.zeros(2, 1, 1))
    tensor([[1.],
            [1.]])
    """
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"query and result feature maps have {x.shape[0]} and {y.shape[0]} channels")
    dx, dy = (x - a).flatten(1), (y - b).flatten(1)
    return dx.T @ dy / (dx.shape[1] * dy.shape[1])


def integrated_hessians(head: Head, x: torch.Tensor, a: torch.Tensor, y: torch.Tensor, b: torch.Tensor,
                        n_steps: int = 16) -> torch.Tensor:
    """Second-order IG-SAM for one pair: ``(H_q W_q, H_r W_r)``; ``head(query_maps,
    result_maps) -> (B,)`` must be differentiable (raises a ValueError naming it otherwise)."""
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive int, got {n_steps!r}")
    nodes, weights = np.polynomial.legendre.leggauss(int(n_steps))
    nodes = (nodes + 1) / 2  # on [0, 1], with the kernel −t ln t folded into the weights,
    kernel = weights * -nodes * np.log(nodes)  # rescaled to integrate it exactly (∫ −t ln t = ¼)
    kernel *= SHAPLEY_TAYLOR_RATIO / kernel.sum()
    n_query, n_result = x[0].numel(), y[0].numel()

    def similarity(mask_q: torch.Tensor, mask_r: torch.Tensor) -> torch.Tensor:
        q = a + mask_q.reshape(x.shape[1:]) * (x - a)
        r = b + mask_r.reshape(y.shape[1:]) * (y - b)
        return head(q[None], r[None])[0]

    with torch.enable_grad():
        probe = torch.ones(n_result, dtype=y.dtype, device=y.device, requires_grad=True)
        output = similarity(torch.ones(n_query, dtype=x.dtype, device=x.device), probe)
        require_gradient(output, f"the head {_name_of(head)}", "use a sampling method (method='factorised')")
    cross = torch.func.jacrev(torch.func.grad(similarity, argnums=1), argnums=0)
    total = torch.zeros(n_query, n_result, dtype=x.dtype, device=x.device)
    for t, w in zip(nodes, kernel):
        mask_q = torch.full((n_query,), float(t), dtype=x.dtype, device=x.device)
        mask_r = torch.full((n_result,), float(t), dtype=y.dtype, device=y.device)
        total += float(w) * cross(mask_q, mask_r).T
    return total
