"""Kernel SAM: Shapley values (first order) and Shapley–Taylor indices (second order) of the
feature-map games, for heads that are not GAP-linear, with the core's kernel estimators.

The games are vectorised for GAP heads (one GEMM per batch of coalitions, see
``axiomatic_search.feature_games``); the core estimators keep efficiency exact.
"""

from __future__ import annotations

import numpy as np
import torch

from axiomatic_search._checks import budget_named, check_count, same_seed_per_item
from axiomatic_search.estimators import KernelShap, KernelShapleyTaylor
from axiomatic_search.factorised import FactorisedShapleyTaylor
from axiomatic_search.feature_games import FeatureMapGame, SecondOrderFeatureMapGame

from .base import SearchAttribution
from .ig_sam import Head


class KernelSAM(SearchAttribution):
    """First order: ``attribute(...) -> (B, h, w)`` Shapley values of feature-map locations.

    ``null_probes`` (default 2): locations whose marginal contribution is zero at ∅, at all
    locations and at that many random coalitions (locations the head ignores, paper Fig. 8) get
    exactly zero, and the sampled regression runs on the rest; it costs
    ``(null_probes + 2) · (h·w + 1)`` of ``n_samples``, and ``null_probes=0`` turns it off (a
    heuristic: a custom head flat in a location at every probe but not elsewhere would lose it).
    """

    def __init__(self, model, head: Head | None = None, null_probes: int = 2) -> None:
        super().__init__(model)
        self.head = head
        self.estimator = KernelShap(null_probes=null_probes)

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, baseline=None, explain: str = "result",
                  n_samples: int = 5000, random_state: int | np.random.Generator | None = None) -> torch.Tensor:
        n_samples = check_count(n_samples, "n_samples")
        fixed, explained = self.sides(queries, results, explain)
        fresh = same_seed_per_item(random_state)
        with torch.no_grad():
            fixed_maps, maps = self.feature_maps(fixed), self.feature_maps(explained)
            background = self.background_maps(explained, maps, baseline)
        rows = []
        for k in range(len(maps)):
            query_maps, result_maps = (fixed_maps[k], maps[k]) if explain == "result" else (maps[k], fixed_maps[k])
            game = FeatureMapGame(self.model, query_maps, result_maps, background[k], explain=explain, head=self.head)
            with budget_named("n_samples"):
                rows.append(self.estimator.estimate(game, min(n_samples, 2**game.n_players), random_state=fresh()).values)
        return torch.as_tensor(np.stack(rows), device=maps.device).reshape(len(maps), *maps.shape[2:])


class SecondOrderKernelSAM(SearchAttribution):
    """Second order: ``attribute(...) -> (B, Hq·Wq, Hr·Wr)`` Shapley–Taylor query×result
    interactions of the joint feature-map game (paper: 40,000 samples on 7×7 maps).

    With the model's GAP head the game factorises and the factorised estimator runs on it
    (``n_samples`` masked maps, each side embedded by one matrix product); a custom ``head`` gets
    the joint kernel estimator (``n_samples`` joint coalitions)."""

    def __init__(self, model, head: Head | None = None) -> None:
        super().__init__(model)
        self.head = head

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, query_baseline=None, result_baseline=None,
                  n_samples: int = 40_000, random_state: int | np.random.Generator | None = None) -> torch.Tensor:
        n_samples = check_count(n_samples, "n_samples")
        queries, results = self.sides(queries, results, "result")
        fresh = same_seed_per_item(random_state)
        with torch.no_grad():
            query_maps, result_maps = self.feature_maps(queries), self.feature_maps(results)
            query_background = self.background_maps(queries, query_maps, query_baseline)
            result_background = self.background_maps(results, result_maps, result_baseline)
        blocks = []
        for k in range(len(query_maps)):
            game = SecondOrderFeatureMapGame(self.model, query_maps[k], result_maps[k], query_background[k],
                                             result_background[k], head=self.head)
            with budget_named("n_samples"):
                if game.factorises:
                    budget = min(n_samples, 2**min(game.n_query, 60) + 2**min(game.n_result, 60))
                    result = FactorisedShapleyTaylor(within_share=0.0).estimate(game, budget, random_state=fresh())
                else:
                    result = KernelShapleyTaylor().estimate(game, min(n_samples, 2**min(game.n_players, 62)),
                                                            random_state=fresh())
            blocks.append(result.query_result_block)
        return torch.as_tensor(np.stack(blocks), device=query_maps.device)
