"""Kernel SHAP (Lundberg & Lee, 2017) on the same stratified machinery, efficiency exact.

Weighted least squares of ``v(S) − v(∅)`` on the coalition indicator with the Shapley kernel
``(n−1) / (C(n,|S|) |S| (n−|S|))``; ``v(∅)`` and ``v(N)`` are constraints, eliminated exactly.
"""

from __future__ import annotations

import warnings

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
    coef, _, rank, _ = np.linalg.lstsq(root_w[:, None] * reduced, root_w * (targets - design @ start), rcond=None)
    if rank < n - 1:
        warnings.warn(f"rank-deficient Kernel SHAP design: the sampled coalitions pin down {rank} of the {n - 1} "
                      "free values (a coalition and its complement count once); the rest take the minimum-norm "
                      "solution around an even split: raise the budget", RuntimeWarning, stacklevel=3)
    return start + np.append(coef, -coef.sum())


NULL_TOLERANCE = 1e-12
"""A probed marginal contribution counts as zero below this share of the game's scale."""


def null_players(game: GameLike, n_players: int, probes: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Players whose marginal contribution is zero at the empty coalition, the grand coalition
    and ``probes`` random coalitions: a boolean mask, and the evaluations spent
    (``(probes + 2) · (n + 1)``; none when ``probes`` is 0).

    A heuristic, exact in one direction: a player the game ignores (a feature-map location the
    head drops) is always found. A player that matters is missed only if the game is flat in it
    at every probe — possible for threshold games (``v = 1[|S| ≥ n/2]`` is flat at ∅ and N),
    not for the smooth heads of feature-map games.

    >>> from axiomatic_search.games import FunctionGame
    >>> both = FunctionGame(lambda c: (c[:, 0] & c[:, 1]).astype(float), n_players=4)  # an AND of 0 and 1
    >>> null_players(both, 4, 1, np.random.default_rng(0))[0].tolist()
    [False, False, True, True]
    """
    if probes <= 0:
        return np.zeros(n_players, bool), 0
    bases = np.concatenate([np.zeros((1, n_players), bool), np.ones((1, n_players), bool),
                            rng.random((probes, n_players)) < 0.5])
    k = len(bases)
    toggled = np.repeat(bases, n_players, axis=0)
    toggled[np.arange(len(toggled)), np.tile(np.arange(n_players), k)] ^= True
    values = evaluate(game, np.concatenate([bases, toggled]))
    change = np.abs(values[k:].reshape(k, n_players) - values[:k, None])
    scale = np.abs(values).max() or 1.0
    return (change <= NULL_TOLERANCE * scale).all(axis=0), len(values)


class KernelShap(Estimator):
    """First-order Shapley values from the Shapley-kernel regression.

    ``paired`` (default): sampled coalitions come with their complements (the kernel is
    symmetric in ``s ↔ n − s``), which cancels the even-order part of the regression error.
    ``null_probes``: spend ``(null_probes + 2) · (n + 1)`` evaluations first on finding players
    the game ignores (``null_players``: flat at ∅, N and ``null_probes`` random coalitions); they
    get exactly zero (the dummy axiom) and the regression runs on the others, so sampling noise
    cannot leak onto them. A heuristic for games that are smooth in their players (feature-map
    games); off by default.

    >>> from axiomatic_search.games import FunctionGame
    >>> game = FunctionGame(lambda c: c @ np.array([1.0, 2.0, 3.0]), n_players=3)
    >>> KernelShap().estimate(game, budget=8, random_state=0).values.round(8).tolist()
    [1.0, 2.0, 3.0]
    """

    def __init__(self, paired: bool = True, null_probes: int = 0) -> None:
        if not isinstance(null_probes, (int, np.integer)) or null_probes < 0:
            raise ValueError(f"null_probes must be a non-negative int, got {null_probes!r}")
        self.paired = paired
        self.null_probes = int(null_probes)

    def estimate(
        self,
        game: GameLike,
        budget: int,
        random_state: int | np.random.Generator | None = None,
        n_players: int | None = None,
    ) -> FirstOrderResult:
        n = n_players_of(game, n_players)
        enumerable = isinstance(budget, (int, np.integer)) and n < 62 and budget >= 2**n
        probes = 0 if enumerable else self.null_probes  # enumeration is exact: dummies get 0 anyway
        screen = (probes + 2) * (n + 1) if probes else 0
        budget = self._checked_budget(budget, n, screen)
        rng = as_generator(random_state)
        null, spent = null_players(game, n, probes, rng)
        active = np.flatnonzero(~null)
        if len(active) == 0:  # the game ignores everyone: v(N) = v(∅) and every value is 0
            ends = evaluate(game, np.array([np.zeros(n, bool), np.ones(n, bool)]))
            return FirstOrderResult(np.zeros(n), float(ends[0]), float(ends[1]), spent + 2)
        plan = KernelShapPlan.draw(n, active, budget - spent, rng, self.paired)
        return plan.solve(evaluate(game, plan.coalitions), spent)

    def plan(self, n_players: int, budget: int, random_state: int | np.random.Generator | None = None
             ) -> "KernelShapPlan":
        """The coalitions ``estimate`` would evaluate, drawn without a game, for callers that
        evaluate many games' coalitions together (``explain_pairs`` batches them across pairs):
        ``plan.solve(values)`` is then ``estimate``'s result. Needs ``null_probes=0`` (probing
        depends on values).

        >>> plan = KernelShap().plan(3, budget=8, random_state=0)
        >>> plan.solve(plan.coalitions @ np.array([1.0, 2.0, 3.0])).values.round(8).tolist()
        [1.0, 2.0, 3.0]
        """
        if self.null_probes:
            raise ValueError("KernelShap.plan needs null_probes=0: the null-player screen depends on the game's values")
        n = n_players_of(None, n_players)
        budget = self._checked_budget(budget, n, 0)
        return KernelShapPlan.draw(n, np.arange(n), budget, as_generator(random_state), self.paired)

    def _checked_budget(self, budget: int, n: int, screen: int) -> int:
        """``budget`` if it pays for ``∅``, ``N``, the ``screen`` and one coalition per free value
        (``n − 1``: efficiency fixes the last), twice as many when paired (a coalition and its
        complement carry the same information); else a ValueError saying what it must pay for."""
        needed = min(2**n, 2 + screen + (n - 1) * (2 if self.paired else 1))
        return check_budget(budget, needed, f"Kernel SHAP over {n} players (the empty and grand coalitions"
                            + (f", {screen} null-player probes" if screen else "")
                            + f" and {n - 1} {'pairs of ' if self.paired else ''}coalitions for {n - 1} free values)")


class KernelShapPlan:
    """Kernel SHAP's coalitions (``∅``, ``N``, then the design over the ``active`` players) and
    the regression that turns their values into Shapley values."""

    def __init__(self, n_players: int, active: np.ndarray, design) -> None:
        self.n_players, self.active, self.design = n_players, active, design
        self.coalitions = np.zeros((2 + len(design.coalitions), n_players), dtype=bool)
        self.coalitions[1] = True
        self.coalitions[2:, active] = design.coalitions  # ignored players absent: they change nothing

    @classmethod
    def draw(cls, n_players: int, active: np.ndarray, budget: int, rng: np.random.Generator, paired: bool):
        design = stratified_design(len(active), budget - 2, shapley_size_mass(len(active)), rng, paired=paired)
        return cls(n_players, active, design)

    def solve(self, values: np.ndarray, spent: int = 0) -> FirstOrderResult:
        """Shapley values from the values of ``coalitions`` (``spent``: evaluations made before)."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (len(self.coalitions),):
            raise ValueError(f"values must have shape ({len(self.coalitions)},), one per coalition, got {values.shape}")
        empty, full = values[0], values[1]
        shapley = np.zeros(self.n_players)
        shapley[self.active] = solve_constrained_linear(
            self.design.coalitions.astype(np.float64), self.design.weights, values[2:] - empty, total=full - empty
        )
        return FirstOrderResult(shapley, float(empty), float(full), spent + len(values))
