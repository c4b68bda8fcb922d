"""Kernel SAM: Shapley values (first order) and Shapley–Taylor indices (second order) of the
feature-map games, for heads that are not GAP-linear, with the core's kernel estimators.

The games are vectorised for GAP heads (one GEMM per batch of coalitions, see
``axiomatic_search.feature_games``); the core estimators keep efficiency exact.
"""

from __future__ import annotations

import numpy as np
import torch

from axiomatic_search._checks import as_generator
from axiomatic_search.estimators import KernelShap, KernelShapleyTaylor
from axiomatic_search.feature_games import FeatureMapGame, SecondOrderFeatureMapGame

from .base import SearchAttribution
from .ig_sam import Head


class KernelSAM(SearchAttribution):
    """First order: ``attribute(...) -> (B, h, w)`` Shapley values of feature-map locations."""

    def __init__(self, model, head: Head | None = None) -> None:
        super().__init__(model)
        self.head = head

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, baseline=None, explain: str = "result",
                  n_samples: int = 5000, random_state: int | np.random.Generator | None = None) -> torch.Tensor:
        fixed, explained = self.sides(queries, results, explain)
        rng = as_generator(random_state)
        with torch.no_grad():
            fixed_maps, maps = self.feature_maps(fixed), self.feature_maps(explained)
            background = self.background_maps(explained, maps, baseline)
        rows = []
        for k in range(len(maps)):
            query_maps, result_maps = (fixed_maps[k], maps[k]) if explain == "result" else (maps[k], fixed_maps[k])
            game = FeatureMapGame(self.model, query_maps, result_maps, background[k], explain=explain, head=self.head)
            rows.append(KernelShap().estimate(game, min(n_samples, 2**game.n_players), random_state=rng).values)
        return torch.as_tensor(np.stack(rows), device=maps.device).reshape(len(maps), *maps.shape[2:])


class SecondOrderKernelSAM(SearchAttribution):
    """Second order: ``attribute(...) -> (B, Hq·Wq, Hr·Wr)`` Shapley–Taylor query×result
    interactions of the joint feature-map game (paper: 40,000 samples on 7×7 maps)."""

    def __init__(self, model, head: Head | None = None) -> None:
        super().__init__(model)
        self.head = head

    def attribute(self, queries: torch.Tensor, results: torch.Tensor, query_baseline=None, result_baseline=None,
                  n_samples: int = 40_000, random_state: int | np.random.Generator | None = None) -> torch.Tensor:
        queries, results = self.sides(queries, results, "result")
        rng = as_generator(random_state)
        with torch.no_grad():
            query_maps, result_maps = self.feature_maps(queries), self.feature_maps(results)
            query_background = self.background_maps(queries, query_maps, query_baseline)
            result_background = self.background_maps(results, result_maps, result_baseline)
        blocks = []
        for k in range(len(query_maps)):
            game = SecondOrderFeatureMapGame(self.model, query_maps[k], result_maps[k], query_background[k],
                                             result_background[k], head=self.head)
            result = KernelShapleyTaylor().estimate(game, min(n_samples, 2**min(game.n_players, 62)), random_state=rng)
            blocks.append(result.query_result_block)
        return torch.as_tensor(np.stack(blocks), device=query_maps.device)
