"""Product designs: coalitions drawn per side, every query coalition paired with every result
coalition, and the Shapley–Taylor kernel restored by importance weights.

The kernel puts weight ``Λ(k) = (n−1) / (C(n,k) C(k,2) (n−k))`` on each joint coalition of size
``k``. A joint coalition with ``s`` query and ``t`` result players lies in the stratum ``(s, t)``,
whose total kernel mass is ``M(s, t) = C(n_q, s) C(n_r, t) Λ(s + t)``. With ``c_q(s)`` query and
``c_r(t)`` result coalitions drawn uniformly (without replacement) of those sizes, each of the
``c_q(s) c_r(t)`` combinations carries ``M(s, t) / (c_q(s) c_r(t))``: an unbiased stand-in for
the kernel, which is the kernel itself once both sides enumerate their sizes whole. Every free
size gets at least one coalition once the budget has one for each (below that, the strata of the
sizes left out are missing from the design).

Every side always holds ``∅``, its singletons and its full coalition (the constraints: ``v(∅)``,
the main effects and ``v(N)`` come from their combinations). The rest of the budget goes to the
sizes ``2 .. n_side − 1`` of both sides by a Neyman allocation for the product: ``c_q(s) ∝
(Σ_t M(s,t)² / c_r(t))^½`` and symmetrically, iterated to a fixed point, so sizes whose strata
carry much kernel mass get many coalitions. ``allocation_power < 1`` flattens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from ..estimators.sampling import allocate, sample_size_stratum


def stratum_mass(n_query: int, n_result: int) -> np.ndarray:
    """``M(s, t)``, shape ``(n_q + 1, n_r + 1)``; zero where ``s + t`` is 0, 1 or ``n`` (the
    constraints).

    >>> stratum_mass(1, 2).round(3).tolist()
    [[0.0, 0.0, 0.667], [0.0, 1.333, 0.0]]
    """
    n = n_query + n_result
    mass = np.zeros((n_query + 1, n_result + 1))
    for s in range(n_query + 1):
        for t in range(n_result + 1):
            k = s + t
            if 2 <= k <= n - 1:
                kernel = (n - 1) / (comb(n, k) * comb(k, 2) * (n - k))
                mass[s, t] = comb(n_query, s) * comb(n_result, t) * kernel
    return mass


@dataclass(frozen=True)
class SideDesign:
    """The coalitions drawn on one side: ``∅``, the singletons, the full coalition, then the
    sampled sizes. ``counts[s]`` is the number of coalitions of size ``s``."""

    coalitions: np.ndarray
    counts: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        return self.coalitions.sum(axis=1)

    @property
    def n_players(self) -> int:
        return self.coalitions.shape[1]


@dataclass(frozen=True)
class ProductDesign:
    """Query and result side designs and the weight of each stratum's combinations,
    ``weights[s, t] = M(s, t) / (c_q(s) c_r(t))`` (zero for the constraint strata)."""

    query: SideDesign
    result: SideDesign
    weights: np.ndarray

    @property
    def n_forward_passes(self) -> int:
        """Side coalitions to embed (each is one model input per background)."""
        return len(self.query.coalitions) + len(self.result.coalitions)


def constraint_budget(n_query: int, n_result: int) -> int:
    """Side coalitions the constraints need: ``∅``, singletons and full, on each side."""
    return sum(n + 2 if n > 1 else 2 for n in (n_query, n_result))


def allocate_sides(
    budget: int, n_query: int, n_result: int, allocation_power: float = 1.0, iterations: int = 12
) -> tuple[dict[int, int], dict[int, int]]:
    """Counts per free size (``2 .. n_side − 1``) of each side for ``budget`` side coalitions
    beyond the constraints.

    >>> allocate_sides(6, 3, 3)
    ({2: 3}, {2: 3})
    """
    mass = stratum_mass(n_query, n_result)
    capacity = {("q", s): comb(n_query, s) for s in range(2, n_query)}
    capacity.update({("r", t): comb(n_result, t) for t in range(2, n_result)})
    if not capacity or budget <= 0:
        return {}, {}
    if budget >= sum(capacity.values()):
        counts = capacity
    else:
        # an even spread, then the Neyman rule iterated to a fixed point
        counts = _allocate_with_floor(budget, capacity, {key: 1.0 for key in capacity})
        for _ in range(iterations):
            query_counts, result_counts = _fixed_counts(n_query), _fixed_counts(n_result)
            for (side, size), count in counts.items():
                (query_counts if side == "q" else result_counts)[size] = count
            need = {}
            for side, size in capacity:
                if side == "q":
                    terms = mass[size, :] ** 2 / np.maximum(result_counts, 1e-9)
                    need[(side, size)] = float(terms[result_counts > 0].sum())
                else:
                    terms = mass[:, size] ** 2 / np.maximum(query_counts, 1e-9)
                    need[(side, size)] = float(terms[query_counts > 0].sum())
            weights = {key: value ** (0.5 * allocation_power) for key, value in need.items()}
            new_counts = _allocate_with_floor(budget, capacity, weights)
            if new_counts == counts:
                break
            counts = new_counts
    query = {size: c for (side, size), c in counts.items() if side == "q" and c > 0}
    result = {size: c for (side, size), c in counts.items() if side == "r" and c > 0}
    return dict(sorted(query.items())), dict(sorted(result.items()))


def _allocate_with_floor(budget: int, capacity: dict, weights: dict) -> dict:
    """``allocate``, or, where that leaves a size without coalitions and the budget has one for
    each, one per size first: a size with none would drop its strata's kernel mass."""
    counts = allocate(budget, capacity, weights)
    if len(counts) == len(capacity) or budget < len(capacity):
        return counts
    rest = allocate(budget - len(capacity), {key: c - 1 for key, c in capacity.items()}, weights)
    return {key: 1 + rest.get(key, 0) for key in capacity}


def _fixed_counts(n_players: int) -> np.ndarray:
    counts = np.zeros(n_players + 1)
    counts[0], counts[1], counts[n_players] = 1, n_players, 1
    return counts


def side_design(n_players: int, counts: dict[int, int], rng: np.random.Generator) -> SideDesign:
    """``∅``, the singletons and the full coalition, then ``counts[s]`` distinct uniform
    coalitions of each free size ``s``."""
    blocks = [np.zeros((1, n_players), bool), np.eye(n_players, dtype=bool)]
    if n_players > 1:
        blocks.append(np.ones((1, n_players), bool))
    blocks += [sample_size_stratum(n_players, size, count, rng) for size, count in counts.items()]
    coalitions = np.concatenate(blocks)
    return SideDesign(coalitions, np.bincount(coalitions.sum(axis=1), minlength=n_players + 1))


def product_design(
    n_query: int, n_result: int, budget: int, rng: np.random.Generator, allocation_power: float = 1.0
) -> ProductDesign:
    """A product design of at most ``budget`` side coalitions (at least the constraints').

    >>> design = product_design(2, 2, 16, np.random.default_rng(0))
    >>> design.n_forward_passes, design.weights.shape
    (8, (3, 3))
    """
    query_counts, result_counts = allocate_sides(
        budget - constraint_budget(n_query, n_result), n_query, n_result, allocation_power
    )
    query = side_design(n_query, query_counts, rng)
    result = side_design(n_result, result_counts, rng)
    drawn = np.outer(query.counts, result.counts)
    weights = np.divide(stratum_mass(n_query, n_result), drawn, out=np.zeros(drawn.shape), where=drawn > 0)
    return ProductDesign(query, result, weights)
