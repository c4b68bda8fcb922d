"""Typed explanation results: first order (Shapley values) and second order (Shapley–Taylor).

Both know the players' layout through an optional ``players`` object (a masker with a
``to_pixels(values)`` method), so values map back to heatmaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FirstOrderResult:
    """Per-player attributions of a game.

    ``values[i]`` is player ``i``'s credit; for Shapley methods
    ``values.sum() == full_value - base_value`` (efficiency).

    >>> r = FirstOrderResult(np.array([1.0, 2.0]), base_value=0.5, full_value=3.5, n_evaluations=4)
    >>> r.efficiency_gap
    0.0
    """

    values: np.ndarray
    base_value: float
    full_value: float
    n_evaluations: int
    players: Any = field(default=None, repr=False, compare=False)

    @property
    def n_players(self) -> int:
        return len(self.values)

    @property
    def efficiency_gap(self) -> float:
        """``|Σ values − (v(N) − v(∅))|``: zero for an efficient explanation."""
        return float(abs(self.values.sum() - (self.full_value - self.base_value)))

    def to_pixels(self) -> np.ndarray:
        """The values painted onto the explained input's pixels (needs ``players``)."""
        if self.players is None:
            raise ValueError("this result has no players layout; pass players= to map values to pixels")
        return self.players.to_pixels(self.values)


@dataclass(frozen=True)
class SecondOrderResult:
    """Order-2 Shapley–Taylor indices: main effects and a symmetric pair matrix.

    ``main[i] = v({i}) − v(∅)``; ``pairs[i, j] = pairs[j, i]`` is the whole interaction of
    ``{i, j}`` (diagonal zero). Efficiency: ``main.sum() + pairs[triu].sum() = v(N) − v(∅)``.
    For search games the first ``n_query`` players are query locations, the rest result
    locations.

    >>> pairs = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> r = SecondOrderResult(np.zeros(2), pairs, base_value=0.0, full_value=1.0, n_evaluations=4)
    >>> r.efficiency_gap
    0.0
    """

    main: np.ndarray
    pairs: np.ndarray
    base_value: float
    full_value: float
    n_evaluations: int
    n_query: int | None = None
    query_players: Any = field(default=None, repr=False, compare=False)
    result_players: Any = field(default=None, repr=False, compare=False)

    @property
    def n_players(self) -> int:
        return len(self.main)

    @property
    def pair_values(self) -> np.ndarray:
        """The ``n (n − 1) / 2`` pair indices in ``numpy.triu_indices(n, 1)`` order."""
        return self.pairs[np.triu_indices(self.n_players, 1)]

    @property
    def efficiency_gap(self) -> float:
        """``|Σ main + Σ pairs − (v(N) − v(∅))|``: zero for an efficient explanation."""
        total = self.main.sum() + self.pair_values.sum()
        return float(abs(total - (self.full_value - self.base_value)))

    def as_shap_matrix(self) -> np.ndarray:
        """shap's ``ExactExplainer(..., interactions=2)`` layout: main effects on the
        diagonal, half of each pair value in both off-diagonal cells."""
        matrix = self.pairs / 2.0
        matrix[np.diag_indices(self.n_players)] = self.main
        return matrix

    def _require_search_layout(self) -> int:
        if self.n_query is None:
            raise ValueError("this result is not from a search game (n_query is unknown)")
        return self.n_query

    @property
    def query_result_block(self) -> np.ndarray:
        """Interactions between query players (rows) and result players (columns)."""
        n_query = self._require_search_layout()
        return self.pairs[:n_query, n_query:]

    def project(self, query_weights: np.ndarray) -> np.ndarray:
        """Project a weighting of query players onto result players.

        ``query_weights`` has one entry per query player (for example the fraction of each
        query superpixel inside a region of interest). Returns one value per result player.
        """
        n_query = self._require_search_layout()
        weights = np.asarray(query_weights, dtype=np.float64)
        if weights.shape != (n_query,):
            raise ValueError(
                f"query_weights must have shape ({n_query},) (one per query player), got {weights.shape}"
            )
        return weights @ self.query_result_block

    def project_mask(self, query_mask: np.ndarray) -> np.ndarray:
        """Project a boolean pixel mask (or a single ``(row, col)`` point) on the query onto
        the result's pixels. Needs ``query_players`` and ``result_players``."""
        if not hasattr(self.query_players, "from_pixels") or self.result_players is None:
            raise ValueError(
                "project_mask needs a result from an image search game (query_players and "
                "result_players with pixel layouts); use project() with weights per query player"
            )
        weights = self.query_players.from_pixels(query_mask)
        return self.result_players.to_pixels(self.project(weights))


@dataclass(frozen=True)
class Correspondence:
    """Where each part of the query lands in the result: a query×result interaction ``block``
    over the query's and the result's players, from any second-order method.

    ``second_order`` is the full Shapley–Taylor result (main effects, within-image pairs,
    efficiency) when the method estimates one; the grey-box closed forms give only the block.
    ``n_forward_passes`` counts model inputs (images embedded, or pairs scored).

    >>> c = Correspondence(np.array([[0.0, 2.0], [1.0, 0.0]]), method="exact", n_forward_passes=8)
    >>> c.best_match.tolist(), c.project(np.array([1.0, 0.0])).tolist()
    ([1, 0], [0.0, 2.0])
    """

    block: np.ndarray
    method: str
    n_forward_passes: int
    seconds: float = 0.0
    second_order: SecondOrderResult | None = field(default=None, repr=False)
    query_players: Any = field(default=None, repr=False, compare=False)
    result_players: Any = field(default=None, repr=False, compare=False)

    @property
    def query_result_block(self) -> np.ndarray:
        """The block (the name ``SecondOrderResult`` uses)."""
        return self.block

    @property
    def best_match(self) -> np.ndarray:
        """For each query player, the result player it interacts with most."""
        return self.block.argmax(axis=1)

    def strongest_pairs(self, k: int = 5) -> list[tuple[object, object, float]]:
        """The ``k`` largest interactions as ``(query player, result player, value)``, strongest
        first; players are named by their words for text, by their index otherwise.

        >>> Correspondence(np.array([[0.0, 2.0], [1.0, 0.0]]), "exact", 8).strongest_pairs(1)
        [(0, 1, 2.0)]
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive int (how many pairs), got {k!r}")
        order = np.argsort(-self.block, axis=None, kind="stable")[:k]
        names = [getattr(players, "words", None) for players in (self.query_players, self.result_players)]
        pairs = []
        for row, col in zip(*np.unravel_index(order, self.block.shape)):
            pairs.append((names[0][row] if names[0] else int(row), names[1][col] if names[1] else int(col),
                          float(self.block[row, col])))
        return pairs

    def project(self, query_weights: np.ndarray) -> np.ndarray:
        """A weighting of query players projected onto result players."""
        weights = np.asarray(query_weights, dtype=np.float64)
        if weights.shape != (self.block.shape[0],):
            raise ValueError(
                f"query_weights must have shape ({self.block.shape[0]},) (one per query player), got {weights.shape}"
            )
        return weights @ self.block

    def project_mask(self, query_mask: np.ndarray | tuple[int, int]) -> np.ndarray:
        """A boolean query pixel mask (or a ``(row, col)`` point) projected onto the result's
        pixels. Needs ``query_players`` and ``result_players``."""
        if not hasattr(self.query_players, "from_pixels") or self.result_players is None:
            raise ValueError("project_mask needs image players (query_players and result_players); use project()")
        return self.result_players.to_pixels(self.project(self.query_players.from_pixels(query_mask)))
