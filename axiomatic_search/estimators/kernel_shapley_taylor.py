"""The paper's kernel estimator of order-2 Shapley–Taylor indices (Sec. 5.2).

Weighted least squares of ``v(S) − v(∅) − Σ_{i∈S} φ_i`` on the pair indicators of ``S`` with the
kernel ``Λ(S) = (n−1) / (C(n,|S|) C(|S|,2) (n−|S|))``. The infinite-weight coalitions are
constraints, enforced exactly by elimination: ``|S| ∈ {0, 1}`` fix ``v(∅)`` and the main effects
``φ_i = v({i}) − v(∅)``, ``|S| = n`` fixes ``Σ φ_ij`` (efficiency). The remaining budget is a
stratified design over sizes ``2 .. n−1`` (see ``sampling``), solved by preconditioned conjugate
gradients without forming the design matrix (see ``pair_algebra``).
"""

from __future__ import annotations

from math import comb

import numpy as np

from .._checks import as_generator, check_budget
from ..games import n_players_of
from ..results import SecondOrderResult
from .base import Estimator, GameLike, constraint_coalitions, evaluate
from .pair_algebra import johnson_eigenvalues, solve_pairs
from .sampling import stratified_design


def shapley_taylor_size_mass(n_players: int) -> dict[int, float]:
    """Total kernel weight ``C(n,s) Λ(s) = (n−1) / (C(s,2) (n−s))`` of each finite-weight size.

    >>> round(shapley_taylor_size_mass(4)[2], 6)
    1.5
    """
    n = n_players
    return {s: (n - 1) / (comb(s, 2) * (n - s)) for s in range(2, n)}


class KernelShapleyTaylor(Estimator):
    """Order-2 Shapley–Taylor indices from one kernel-weighted regression.

    Efficiency holds exactly at any budget; at a budget covering all ``2**n`` coalitions the
    result equals exact enumeration.

    >>> from axiomatic_search.games import FunctionGame
    >>> game = FunctionGame(lambda c: (c[:, 0] & c[:, 1]).astype(float), n_players=4)
    >>> result = KernelShapleyTaylor().estimate(game, budget=16, random_state=0)
    >>> round(result.pairs[0, 1], 8)
    1.0
    """

    def __init__(self, tol: float = 1e-12) -> None:
        self.tol = tol

    def estimate(
        self,
        game: GameLike,
        budget: int,
        random_state: int | np.random.Generator | None = None,
        n_players: int | None = None,
    ) -> SecondOrderResult:
        n = n_players_of(game, n_players)
        if n < 2:
            raise ValueError(f"Shapley–Taylor pairs need at least 2 players, got n_players={n}")
        budget = check_budget(budget, n + 2, f"the empty, grand and {n} singleton coalitions")
        rng = as_generator(random_state)
        mass = shapley_taylor_size_mass(n)
        design, weights = stratified_design(n, budget - (n + 2), mass, rng)
        constraints = constraint_coalitions(n)
        values = evaluate(game, np.concatenate([constraints, design]))
        empty, singles, full = values[0], values[1 : n + 1], values[n + 1]
        sampled = values[n + 2 :]
        main = singles - empty
        targets = sampled - empty - design @ main
        pairs = solve_pairs(
            design,
            weights,
            targets,
            total=full - empty - main.sum(),
            eigenvalues=johnson_eigenvalues(n, mass),
            tol=self.tol,
        )
        return SecondOrderResult(main, pairs, float(empty), float(full), len(values))
