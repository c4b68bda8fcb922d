"""Permutation sampling of order-2 Shapley–Taylor indices (Sundararajan et al., 2020).

For a random order ``π`` let ``T`` be the players before whichever of ``i, j`` comes first; then
``φ_ij = E_π[v(T∪ij) − v(T∪i) − v(T∪j) + v(T)]``. Every full permutation is exactly efficient.
Evaluations are memoised: prefixes and coalitions shared between pairs or permutations cost once.
"""

from __future__ import annotations

import numpy as np

from ..results import SecondOrderResult
from .base import Estimator, GameLike, constraint_coalitions, second_order_setup
from .cache import BudgetExhausted, CoalitionCache


def _permutation_coalitions(order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coalitions one permutation needs, and for every pair ``i < j`` the row indices of
    ``T``, ``T ∪ first`` (prefixes) and ``T ∪ second``, ``T ∪ first ∪ second``."""
    n = len(order)
    prefixes = np.zeros((n + 1, n), dtype=bool)
    for k, player in enumerate(order):
        prefixes[k + 1 :, player] = True
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    rows, cols = np.triu_indices(n, 1)
    before = np.minimum(position[rows], position[cols])
    second = np.where(position[rows] > position[cols], rows, cols)
    with_second = prefixes[before].copy()
    with_second[np.arange(len(rows)), second] = True
    with_both = prefixes[before + 1].copy()
    with_both[np.arange(len(rows)), second] = True
    return np.concatenate([prefixes, with_second, with_both]), before, second


class PermutationShapleyTaylor(Estimator):
    """Memoised permutation-sampling estimator, the baseline for ``KernelShapleyTaylor``.

    Uses whole permutations only (each is efficient), so the estimate is efficient and the
    evaluations spent may stop short of the budget. Once every coalition is cached further
    permutations are free, so ``max_permutations`` bounds the work.
    """

    def __init__(self, max_permutations: int = 10_000) -> None:
        if max_permutations < 1:
            raise ValueError(f"max_permutations must be positive, got {max_permutations}")
        self.max_permutations = max_permutations

    def estimate(
        self,
        game: GameLike,
        budget: int,
        random_state: int | np.random.Generator | None = None,
        n_players: int | None = None,
    ) -> SecondOrderResult:
        return self.estimate_with_variance(game, budget, random_state, n_players)[0]

    def estimate_with_variance(
        self,
        game: GameLike,
        budget: int,
        random_state: int | np.random.Generator | None = None,
        n_players: int | None = None,
    ) -> tuple[SecondOrderResult, np.ndarray, int]:
        """The estimate, the variance of each pair's mean (``(n, n)``, from the spread over
        permutations) and the number of permutations it averages."""
        n, budget, rng = second_order_setup(game, budget, random_state, n_players)
        cache = CoalitionCache(game, budget)
        constraints = cache(constraint_coalitions(n))
        empty, full = constraints[0], constraints[n + 1]
        n_pairs = n * (n - 1) // 2
        pair_sum, pair_squares = np.zeros(n_pairs), np.zeros(n_pairs)
        n_permutations = 0
        while True:
            coalitions, before, _ = _permutation_coalitions(rng.permutation(n))
            try:
                values = cache(coalitions)
            except BudgetExhausted:
                break
            prefix_values = values[: n + 1]
            with_second = values[n + 1 : n + 1 + n_pairs]
            with_both = values[n + 1 + n_pairs :]
            sample = with_both - with_second - prefix_values[before + 1] + prefix_values[before]
            pair_sum += sample
            pair_squares += sample * sample
            n_permutations += 1
            if cache.n_evaluations >= budget or n_permutations >= self.max_permutations:
                break
        if n_permutations == 0:
            needed = len(np.unique(np.packbits(coalitions, axis=1), axis=0))
            raise ValueError(
                f"budget={budget} is too small for one permutation of {n} players "
                f"(it needs {needed} distinct evaluations)"
            )
        mean = pair_sum / n_permutations
        spread = (pair_squares - n_permutations * mean**2) / max(n_permutations - 1, 1)
        pairs, variance = np.zeros((n, n)), np.full((n, n), np.inf if n_permutations == 1 else 0.0)
        rows, cols = np.triu_indices(n, 1)
        pairs[rows, cols] = pairs[cols, rows] = mean
        if n_permutations > 1:
            variance[rows, cols] = variance[cols, rows] = np.maximum(spread, 0.0) / n_permutations
        main = constraints[1 : n + 1] - empty
        result = SecondOrderResult(main, pairs, float(empty), float(full), cache.n_evaluations,
                                   n_query=getattr(game, "n_query", None))
        return result, variance, n_permutations
