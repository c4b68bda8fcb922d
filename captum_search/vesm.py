"""VESM (Zheng et al. 2020, "Towards visually explaining similarity models"; the similarity
attention of arXiv 1911.07381): a Grad-CAM of a similarity-weighted score, re-implemented from
its description as the paper's authors did (A.2), on captum's ``LayerGradCam``.

For a pair's embeddings ``f_q``, ``f_r`` (GAP of the feature maps), the weights are
``w = 1 − |f̂_q − f̂_r|`` for a positive pair (``|f̂_q − f̂_r|`` for a negative one), element-wise on
L2-normalised embeddings and held fixed (not differentiated). Each side's map is the Grad-CAM of
its own score ``s = w · f``: channel weights ``α_k`` = spatial mean of ``∂s/∂A^k`` over the
backbone's feature maps ``A``, map ``ReLU(Σ_k α_k A^k)``. With a GAP embedding ``α_k = w_k / (h w)``,
so the map is the CAM weighted by ``w``. Where public implementations differ (raw or normalised
embeddings, gradients through ``w`` or not), this follows the X-MIR reproduction: normalised and
detached. The reading rests on two public implementations of the method (Hirschmann's TensorFlow
code, Hu's PyTorch ``SimAtt`` as fixed in the X-MIR reproduction), which agree with the
description above; the paper's own method section could not be consulted when this was written.

>>> import torch
>>> from axiomatic_search.models import GreyBoxSimilarity
>>> model = GreyBoxSimilarity(torch.nn.Conv2d(3, 4, 3, padding=1), metric="cosine")
>>> VESM(model).attribute(torch.rand(2, 3, 8, 6), torch.rand(2, 3, 8, 6)).shape
torch.Size([2, 8, 6])
"""

from __future__ import annotations

import torch
from captum.attr import LayerGradCam

from axiomatic_search._checks import check_choice
from axiomatic_search.models import global_average_pool

from .base import SearchAttribution, checked

PAIRS = ("positive", "negative")


class VESM(SearchAttribution):
    """``attribute(queries, results, explain="result")`` -> ``(B, h, w)`` VESM maps of the
    explained side (``upsample`` takes them to image size). ``pair``: ``"positive"`` (what makes
    the two alike, the paper's Table 1 setting) or ``"negative"`` (what sets them apart)."""

    def __init__(self, model, pair: str = "positive") -> None:
        super().__init__(model)
        if not isinstance(model.backbone, torch.nn.Module):
            raise TypeError("VESM needs model.backbone to be a torch.nn.Module (its output is hooked)")
        self.pair = check_choice(pair, PAIRS, "pair")

    def weights(self, fixed_embeddings: torch.Tensor, explained_embeddings: torch.Tensor) -> torch.Tensor:
        """``w`` per pair ``(B, C)``: ``1 − |f̂_q − f̂_r|`` (positive) or ``|f̂_q − f̂_r|`` (negative)."""
        normalise = torch.nn.functional.normalize
        difference = (normalise(fixed_embeddings, dim=1) - normalise(explained_embeddings, dim=1)).abs()
        return (1.0 - difference if self.pair == "positive" else difference).detach()

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, explain: str = "result") -> torch.Tensor:
        fixed, explained = self.sides(queries, results, explain)
        with torch.no_grad():
            weights = self.weights(global_average_pool(self.feature_maps(fixed)),
                                   global_average_pool(self.feature_maps(explained)))

        def score(images: torch.Tensor) -> torch.Tensor:
            return (weights * global_average_pool(self.model.backbone(images))).sum(dim=1)

        cam = LayerGradCam(score, self.model.backbone).attribute(explained.detach(), relu_attributions=True)
        return checked(cam[:, 0].detach(), "VESM")
