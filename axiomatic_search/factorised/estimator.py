"""Shapley–Taylor indices of factorised games: the query×result block by kernel regression on a
product design, the within-image pairs by memoised permutation sampling on embedded sides.

The regression is the paper's (Sec. 5.2): weighted least squares of
``v(S) − v(∅) − Σ_{i∈S} φ_i`` on the pair indicators of ``S`` with the kernel ``Λ``, the main
effects and the pair total fixed exactly by the constraints. Only the design differs: ``m_q``
query and ``m_r`` result coalitions, all ``m_q · m_r`` combinations, importance-weighted per
stratum (see ``design``). The normal equations never touch the ``m_q · m_r`` combinations
individually: the weight of a combination depends only on its two sides' sizes, so the Gram
matrix is a sum over size pairs of products of per-side, per-size moments
(``ProductGram``), and the right-hand side is accumulated a block of query coalitions at a time.

The product design pins the query×result block down well (each side coalition meets every
coalition of the other side) but not always the pairs within one image, which only vary with one
side. ``within_share`` of the budget also estimates those by permutation sampling (Sundararajan
et al.) on a ``SideCache``: along a permutation the halves of the coalitions repeat, so a
permutation of ``n`` players costs at most about ``(n_q² + n_r²) / 2`` new forward passes
instead of ``n²``, fewer as the cache fills.
The two estimates of each within-image block are blended by their estimated errors and the pair
total is restored exactly on the query×result block (a uniform shift, which changes no ranking).
The budget counts side coalitions, that is forward passes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._checks import as_generator, check_budget
from ..estimators.base import Estimator
from ..estimators.cache import BudgetExhausted
from ..estimators.kernel_shapley_taylor import shapley_taylor_size_mass
from ..estimators.permutation import PermutationShapleyTaylor
from ..estimators.pair_algebra import johnson_eigenvalues, solve_normal_equations, uniform_split
from ..results import SecondOrderResult
from .design import ProductDesign, constraint_budget, product_design
from .game import FactorisedGame
from .product_gram import ProductGram
from .side_cache import SideCache

_BLOCK_CELLS = 1 << 21
"""Joint values held at once while a right-hand side is accumulated (16 MB of float64)."""


def combine_within_pairs(regression: np.ndarray, sampled: np.ndarray, variance: np.ndarray, n_query: int) -> np.ndarray:
    """The regression's pairs with each within-image block blended with permutation estimates by
    inverse variance, then the pair total restored on the query×result block.

    The permutation estimate is unbiased with a variance measured from its spread; the
    regression's error on the block is estimated as their mean squared difference minus that
    variance. Blocks where the regression is sharp keep it; blocks where it is noisy take the
    permutations (real image pairs of 16 cells a side do; small games enumerated in good part do
    not).
    """
    pairs = regression.copy()
    n = len(pairs)
    total = regression.sum() / 2
    for block in (slice(0, n_query), slice(n_query, n)):
        inside = ~np.eye(block.stop - block.start, dtype=bool)
        if not inside.any():
            continue
        ours, theirs = regression[block, block][inside], sampled[block, block][inside]
        sampled_variance = float(np.mean(variance[block, block][inside]))
        regression_error = max(float(np.mean((ours - theirs) ** 2)) - sampled_variance, 0.0)
        weight = regression_error / (regression_error + sampled_variance) if regression_error + sampled_variance else 0.5
        pairs[block, block] = weight * sampled[block, block] + (1 - weight) * regression[block, block]
    np.fill_diagonal(pairs, 0.0)
    cross = pairs[:n_query, n_query:]
    within_total = (pairs[:n_query, :n_query].sum() + pairs[n_query:, n_query:].sum()) / 2
    cross = cross + (total - within_total - cross.sum()) / cross.size  # the pair total, exactly
    pairs[:n_query, n_query:], pairs[n_query:, :n_query] = cross, cross.T
    return pairs


class FactorisedShapleyTaylor(Estimator):
    """Order-2 Shapley–Taylor indices of a ``FactorisedGame``.

    ``budget`` is the number of side coalitions embedded (forward passes, times the number of
    backgrounds): ``m_q + m_r`` of them give ``m_q · m_r`` joint values. Main effects are exact
    and efficiency holds exactly at any budget. ``within_share`` of the budget estimates the
    pairs within each image by permutation sampling (0: from the regression too, which then is
    the exact index once both sides are enumerated whole, ``2**n_q + 2**n_r``); when it cannot
    pay for one permutation the regression's own within-image pairs are kept.
    ``allocation_power`` flattens the Neyman allocation of sizes (1: by the strata's kernel
    mass; 0: even).

    >>> from axiomatic_search.factorised import FunctionFactorisedGame
    >>> game = FunctionFactorisedGame(lambda c: c * 1.0, lambda c: c * 1.0, n_query=2, n_result=2)
    >>> result = FactorisedShapleyTaylor().estimate(game, budget=8)
    >>> result.query_result_block.round(6).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(self, within_share: float = 0.5, allocation_power: float = 1.0, tol: float = 1e-10) -> None:
        if not 0.0 <= within_share < 1.0:
            raise ValueError(f"within_share must be in [0, 1), got {within_share}")
        if not 0.0 <= allocation_power <= 1.0:
            raise ValueError(f"allocation_power must be in [0, 1], got {allocation_power}")
        self.within_share = within_share
        if not (np.isfinite(tol) and tol > 0):
            raise ValueError(f"tol must be a positive number, got {tol}")
        self.allocation_power = allocation_power
        self.tol = tol

    def estimate(
        self,
        game: FactorisedGame,
        budget: int,
        random_state: int | np.random.Generator | None = None,
        n_players: int | None = None,
    ) -> SecondOrderResult:
        if not isinstance(game, FactorisedGame) or not game.factorises:
            raise TypeError(
                f"FactorisedShapleyTaylor needs a factorised game (query and result scored separately), "
                f"got {type(game).__name__}; for games scored jointly use KernelShapleyTaylor"
            )
        nq, nr = game.n_query, game.n_result
        if nq + nr < 2:
            raise ValueError("Shapley–Taylor pairs need at least 2 players")
        budget = check_budget(budget, constraint_budget(nq, nr),
                              f"the empty, singleton and full coalitions of {nq} query and {nr} result players")
        rng = as_generator(random_state)
        enumerable = budget >= 2**min(nq, 60) + 2**min(nr, 60)  # the regression alone is then exact
        within = None if enumerable else self._within_pairs(
            game, int(self.within_share * (budget - constraint_budget(nq, nr))), rng)
        spent = 0 if within is None else within[2]
        result = self.estimate_on(game, product_design(nq, nr, budget - spent, rng, self.allocation_power))
        if within is None:
            return result
        pairs = combine_within_pairs(result.pairs, within[0], within[1], nq)
        return dataclasses.replace(result, pairs=pairs, n_evaluations=result.n_evaluations + spent)

    @staticmethod
    def _within_pairs(game: FactorisedGame, budget: int, rng: np.random.Generator):
        """``(pairs, variance of each, forward passes)`` by memoised permutation sampling on
        embedded sides, or None when ``budget`` cannot pay for two permutations."""
        nq, nr = game.n_query, game.n_result
        if nq + nr < 3 or budget < 2 * ((nq * nq + nr * nr) // 2 + nq + nr) + 4:  # about two permutations
            return None
        sides = SideCache(game, budget)
        try:
            estimate, variance, count = PermutationShapleyTaylor().estimate_with_variance(sides, 2**62, random_state=rng)
        except (ValueError, BudgetExhausted):
            return None
        return (estimate.pairs, variance, sides.n_forward_passes) if count > 1 else None

    def estimate_on(self, game: FactorisedGame, design: ProductDesign) -> SecondOrderResult:
        """The regression on a given product design (its side coalitions are embedded here)."""
        nq, nr = game.n_query, game.n_result
        query_side = game.embed_query(design.query.coalitions)
        result_side = game.embed_result(design.result.coalitions)
        x = design.query.coalitions.astype(np.float64)
        y = design.result.coalitions.astype(np.float64)
        # constraint rows: ∅ first, then the singletons, then the full coalition (side_design)
        empty_result = game.combine(query_side, result_side[:1])[:, 0]
        empty_query = game.combine(query_side[:1], result_side)[0]
        empty = float(empty_result[0])
        main = np.concatenate([empty_result[1 : nq + 1], empty_query[1 : nr + 1]]) - empty
        full = float(game.combine(query_side[nq + 1 : nq + 2] if nq > 1 else query_side[1:2],
                                  result_side[nr + 1 : nr + 2] if nr > 1 else result_side[1:2])[0, 0])
        offset_x, offset_y = x @ main[:nq], y @ main[nq:]
        gram = ProductGram(design.query.coalitions, design.result.coalitions, design.weights)
        u, v = game.side_vectors(query_side), game.side_vectors(result_side)
        if u is not None and v is not None:  # a dot product of side vectors: sums per size suffice
            rhs = gram.bilinear_right_hand_side(u, v, offset_x + empty, offset_y)
        else:
            rhs = gram.right_hand_side(
                lambda rows: game.combine(query_side[rows], result_side) - empty - offset_x[rows, None] - offset_y,
                max(1, _BLOCK_CELLS // max(len(y), 1)))
        n = nq + nr
        start_pairs = uniform_split(n, full - empty - main.sum())
        eigenvalues = johnson_eigenvalues(n, shapley_taylor_size_mass(n))
        pairs = start_pairs + solve_normal_equations(gram, rhs - gram(start_pairs), eigenvalues, tol=self.tol)
        return SecondOrderResult(main, pairs, empty, full, design.n_forward_passes, n_query=nq)
