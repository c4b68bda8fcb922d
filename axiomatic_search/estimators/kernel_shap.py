"""Kernel SHAP (Lundberg & Lee, 2017) on the same stratified machinery, efficiency exact.

Weighted least squares of ``v(S) − v(∅)`` on the coalition indicator with the Shapley kernel
``(n−1) / (C(n,|S|) |S| (n−|S|))``; ``v(∅)`` and ``v(N)`` are constraints, eliminated exactly.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_generator, check_budget
from ..games import n_players_of
from ..results import FirstOrderResult
from .base import Estimator, GameLike, evaluate
from .sampling import stratified_design


def shapley_size_mass(n_players: int) -> dict[int, float]:
    """Total Shapley-kernel weight ``(n−1) / (s (n−s))`` of each size ``1 .. n−1``."""
    n = n_players
    return {s: (n - 1) / (s * (n - s)) for s in range(1, n)}


def solve_constrained_linear(
    design: np.ndarray, weights: np.ndarray, targets: np.ndarray, total: float
) -> np.ndarray:
    """``argmin Σ w (t − Xφ)²`` subject to ``Σ φ = total``, by eliminating the constraint.

    Rank-deficient designs (small budgets) get the minimum-norm solution around ``total / n``.
    """
    n = design.shape[1]
    start = np.full(n, total / n)
    if len(design) == 0 or n == 1:
        return start
    reduced = design[:, :-1] - design[:, -1:]  # φ = start + (u, −Σu): the constraint eliminated
    root_w = np.sqrt(weights)
    coef = np.linalg.lstsq(root_w[:, None] * reduced, root_w * (targets - design @ start), rcond=None)[0]
    return start + np.append(coef, -coef.sum())


class KernelShap(Estimator):
    """First-order Shapley values from the Shapley-kernel regression.

    ``paired`` (default): sampled coalitions come with their complements (the kernel is
    symmetric in ``s ↔ n − s``), which cancels the even-order part of the regression error.

    >>> from axiomatic_search.games import FunctionGame
    >>> game = FunctionGame(lambda c: c @ np.array([1.0, 2.0, 3.0]), n_players=3)
    >>> KernelShap().estimate(game, budget=8, random_state=0).values.round(8).tolist()
    [1.0, 2.0, 3.0]
    """

    def __init__(self, paired: bool = True) -> None:
        self.paired = paired

    def estimate(
        self,
        game: GameLike,
        budget: int,
        random_state: int | np.random.Generator | None = None,
        n_players: int | None = None,
    ) -> FirstOrderResult:
        n = n_players_of(game, n_players)
        budget = check_budget(budget, 2, "the empty and grand coalitions")
        rng = as_generator(random_state)
        design = stratified_design(n, budget - 2, shapley_size_mass(n), rng, paired=self.paired)
        ends = np.array([np.zeros(n, bool), np.ones(n, bool)])
        values = evaluate(game, np.concatenate([ends, design.coalitions]))
        empty, full = values[0], values[1]
        shapley = solve_constrained_linear(
            design.coalitions.astype(np.float64), design.weights, values[2:] - empty, total=full - empty
        )
        return FirstOrderResult(shapley, float(empty), float(full), len(values))
