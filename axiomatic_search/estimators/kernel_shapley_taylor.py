"""The paper's kernel estimator of order-2 Shapley–Taylor indices (Sec. 5.2).

Weighted least squares of ``v(S) − v(∅) − Σ_{i∈S} φ_i`` on the pair indicators of ``S`` with the
kernel ``Λ(S) = (n−1) / (C(n,|S|) C(|S|,2) (n−|S|))``. The infinite-weight coalitions are
constraints, enforced exactly by elimination: ``|S| ∈ {0, 1}`` fix ``v(∅)`` and the main effects
``φ_i = v({i}) − v(∅)``, ``|S| = n`` fixes ``Σ φ_ij`` (efficiency). The remaining budget is a
stratified design over sizes ``2 .. n−1`` (see ``sampling``), solved by preconditioned conjugate
gradients without forming the design matrix (see ``pair_algebra``).
"""

from __future__ import annotations

import warnings

from math import comb

import numpy as np

from ..results import SecondOrderResult
from .base import Estimator, GameLike, constraint_coalitions, evaluate, second_order_setup
from .pair_algebra import design_times, johnson_eigenvalues, solve_pairs
from .sampling import Design, stratified_design

SHRINKAGE_GRID = (0.0, 0.5, 2.0, 8.0)
"""Shrinkage strengths that ``shrinkage="auto"`` chooses from by cross-validation."""
CV_FOLDS = 3


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

    Two refinements over the paper's estimator, both vanishing once every size is enumerated
    (``allocation_power=1, shrinkage=0`` gives the paper's Kernel-Direct with exact
    constraints):

    - ``allocation_power``: sizes that are sampled get budget in proportion to
      ``mass ** allocation_power`` rather than the kernel mass itself, so the middle sizes,
      which carry the higher-order interactions, are not starved;
    - ``shrinkage``: a ridge ``λ Uᵀ E U`` towards the uniform split of the pair total, with
      ``λ = shrinkage · (sampled kernel mass / total mass) · P / m_sampled`` (``P`` pairs,
      ``m_sampled`` sampled coalitions). It tames the variance when the sampled coalitions
      are few compared with the pairs, and fades as ``1 / m``. ``"auto"`` (default) chooses it
      from ``SHRINKAGE_GRID`` by ``CV_FOLDS``-fold cross-validation of the kernel-weighted fit on
      the sampled coalitions (no extra evaluations): no ridge where the game is fitted well
      (games of order two, smooth feature-map games), a strong one where the samples are few
      for the pairs.

    >>> from axiomatic_search.games import FunctionGame
    >>> game = FunctionGame(lambda c: (c[:, 0] & c[:, 1]).astype(float), n_players=4)
    >>> result = KernelShapleyTaylor().estimate(game, budget=16, random_state=0)
    >>> round(float(result.pairs[0, 1]), 8)
    1.0
    """

    def __init__(self, allocation_power: float = 0.5, shrinkage: float | str = "auto", tol: float = 1e-12) -> None:
        if not 0.0 <= allocation_power <= 1.0:
            raise ValueError(f"allocation_power must be in [0, 1], got {allocation_power}")
        if shrinkage != "auto" and not (isinstance(shrinkage, (int, float)) and np.isfinite(shrinkage) and shrinkage >= 0):
            raise ValueError(f"shrinkage must be 'auto' or a finite non-negative number, got {shrinkage!r}")
        if not (np.isfinite(tol) and tol > 0):
            raise ValueError(f"tol must be a positive number, got {tol}")
        self.allocation_power = allocation_power
        self.shrinkage = shrinkage
        self.tol = tol

    def estimate(
        self,
        game: GameLike,
        budget: int,
        random_state: int | np.random.Generator | None = None,
        n_players: int | None = None,
    ) -> SecondOrderResult:
        n, budget, rng = second_order_setup(game, budget, random_state, n_players, sampled=1)
        mass = shapley_taylor_size_mass(n)
        design = stratified_design(n, budget - (n + 2), mass, rng, self.allocation_power)
        free = n * (n - 1) // 2 - 1  # pair values once their total is fixed
        if n > 2 and len(design.coalitions) < free and budget < 2**n:
            warnings.warn(f"underdetermined kernel Shapley–Taylor design: {len(design.coalitions)} sampled coalitions for "
                          f"{free} free pair values; pairs the samples do not pin down are shrunk towards the equal "
                          f"split: a budget of {n + 2 + free} or more determines them all", RuntimeWarning, stacklevel=2)
        values = evaluate(game, np.concatenate([constraint_coalitions(n), design.coalitions]))
        empty, singles, full = values[0], values[1 : n + 1], values[n + 1]
        main = singles - empty
        targets = values[n + 2 :] - empty - design.coalitions @ main
        total, eigenvalues = full - empty - main.sum(), johnson_eigenvalues(n, mass)
        shrinkage = self.shrinkage
        if shrinkage == "auto":
            shrinkage = self._cross_validated_shrinkage(design, targets, total, eigenvalues, mass, rng)
        pairs = solve_pairs(design.coalitions, design.weights, targets, total, eigenvalues,
                            ridge=_ridge(design, mass, n, shrinkage), tol=self.tol)
        return SecondOrderResult(main, pairs, float(empty), float(full), len(values),
                                 n_query=getattr(game, "n_query", None))

    def _cross_validated_shrinkage(self, design: Design, targets: np.ndarray, total: float,
                                   eigenvalues: np.ndarray, mass: dict[int, float], rng: np.random.Generator) -> float:
        """The ``SHRINKAGE_GRID`` entry with the least kernel-weighted error on held-out sampled
        coalitions (enumerated sizes always train); ties go to the weaker ridge."""
        sampled = np.flatnonzero(design.sampled)
        if len(sampled) < 2 * CV_FOLDS:
            return 0.0 if len(sampled) == 0 else SHRINKAGE_GRID[2]
        n = design.coalitions.shape[1]
        sizes = design.coalitions.sum(axis=1)
        errors = np.zeros(len(SHRINKAGE_GRID))
        for fold in np.array_split(rng.permutation(sampled), CV_FOLDS):
            train = np.ones(len(targets), dtype=bool)
            train[fold] = False
            # the remaining coalitions of a size stand for the whole size: weights rescaled
            kept = np.bincount(sizes[train], minlength=n + 1)
            drawn = np.bincount(sizes, minlength=n + 1)
            weights = design.weights[train] * drawn[sizes[train]] / kept[sizes[train]]
            training = Design(design.coalitions[train], weights, design.sampled[train])
            held_out = design.coalitions[fold].astype(np.float64)
            for k, shrinkage in enumerate(SHRINKAGE_GRID):
                pairs = solve_pairs(training.coalitions, weights, targets[train], total, eigenvalues,
                                    ridge=_ridge(training, mass, n, shrinkage), tol=1e-8, warn=False)
                residual = targets[fold] - design_times(held_out, pairs)
                errors[k] += float(design.weights[fold] @ residual**2)
        return SHRINKAGE_GRID[int(np.argmin(np.round(errors / max(errors.max(), 1e-300), 12)))]


def _ridge(design: Design, mass: dict[int, float], n_players: int, shrinkage: float) -> float:
    """``shrinkage · (sampled kernel mass share) · P / m_sampled``; zero without sampled rows."""
    n_sampled = int(design.sampled.sum())
    if shrinkage == 0 or n_sampled == 0:
        return 0.0
    n_pairs = n_players * (n_players - 1) // 2
    return shrinkage * design.sampled_mass / sum(mass.values()) * n_pairs / n_sampled
