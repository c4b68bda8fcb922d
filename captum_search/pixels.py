"""Integrated Gradients on pixels for search: the paper's pixel-space baseline."""

from __future__ import annotations

import torch
from captum.attr import IntegratedGradients

from axiomatic_search._checks import check_count
from axiomatic_search.backgrounds import Blur

from .base import SearchAttribution, as_batch, checked


class SearchIntegratedGradients(SearchAttribution):
    """captum's ``IntegratedGradients`` of ``d(fixed, explained)`` with respect to the explained
    images' pixels, from a blurred copy (default) or a given baseline image batch; returns
    ``(B, C, H, W)`` like the inputs (and captum's convergence delta on request)."""

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, baseline=None, explain: str = "result",
                  n_steps: int = 50, return_convergence_delta: bool = False):
        n_steps = check_count(n_steps, "n_steps")
        fixed, explained = self.sides(queries, results, explain)
        if baseline is None or (isinstance(baseline, str) and baseline == "blur"):
            baseline = torch.cat([Blur(25)(image) for image in explained])
        elif isinstance(baseline, str):
            raise ValueError(f"baseline must be 'blur', None or images shaped like {tuple(explained.shape)}, got {baseline!r}")
        else:
            baseline = as_batch(baseline, "baseline", like=explained)
            if baseline.shape != explained.shape:
                raise ValueError(f"baseline has shape {tuple(baseline.shape)}; expected the explained images' "
                                 f"{tuple(explained.shape)}")
        with torch.no_grad():
            fixed_maps = self.feature_maps(fixed)

        def similarity(images: torch.Tensor, fixed_maps: torch.Tensor) -> torch.Tensor:
            maps = self.model.feature_maps(images)
            return self.model.head(fixed_maps, maps) if explain == "result" else self.model.head(maps, fixed_maps)

        found = IntegratedGradients(similarity).attribute(
            explained, baselines=baseline, additional_forward_args=(fixed_maps,), n_steps=n_steps,
            return_convergence_delta=return_convergence_delta,
        )
        checked(found[0] if return_convergence_delta else found, "SearchIntegratedGradients")
        return found
