"""Exact indices by enumerating every coalition: the oracle for estimators and closed forms.

Coalition ``k`` of ``all_coalitions(n)`` contains player ``i`` iff bit ``i`` of ``k`` is set.
"""

from __future__ import annotations

from math import comb
import numpy as np

from ._checks import check_game_values
from .games import GameLike, n_players_of
from .results import FirstOrderResult, SecondOrderResult

MAX_EXACT_PLAYERS = 20
"""Enumeration evaluates ``2**n`` coalitions; above 20 players (about a million) it refuses."""

_CHUNK = 1 << 16


def _check_n(n_players: int) -> int:
    if n_players < 1:
        raise ValueError(f"n_players must be at least 1, got {n_players}")
    if n_players > MAX_EXACT_PLAYERS:
        raise ValueError(
            f"exact enumeration needs 2**{n_players} game evaluations; n_players={n_players} is above "
            f"the limit MAX_EXACT_PLAYERS={MAX_EXACT_PLAYERS}. Use an estimator "
            "(KernelShapleyTaylor, KernelShap) instead."
        )
    return n_players


def all_coalitions(n_players: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Boolean matrix of coalitions ``start .. stop-1`` in bitmask order.

    >>> all_coalitions(2).astype(int).tolist()
    [[0, 0], [1, 0], [0, 1], [1, 1]]
    """
    stop = 1 << n_players if stop is None else stop
    masks = np.arange(start, stop, dtype=np.int64)
    return ((masks[:, None] >> np.arange(n_players)) & 1).astype(bool)


def game_table(game: GameLike, n_players: int) -> np.ndarray:
    """``v`` on every coalition, in bitmask order (evaluated in chunks)."""
    _check_n(n_players)
    total = 1 << n_players
    values = np.empty(total)
    for start in range(0, total, _CHUNK):
        stop = min(start + _CHUNK, total)
        coalitions = all_coalitions(n_players, start, stop)
        values[start:stop] = check_game_values(game(coalitions), coalitions)
    return values


def harsanyi_dividends(values: np.ndarray) -> np.ndarray:
    """Harsanyi dividends (Möbius transform) of a game table, by the fast butterfly.

    ``d(T) = Σ_{S ⊆ T} (−1)^{|T|−|S|} v(S)``; ``d(∅) = v(∅)``.

    >>> harsanyi_dividends(np.array([0.0, 1.0, 2.0, 5.0])).tolist()
    [0.0, 1.0, 2.0, 2.0]
    """
    dividends = np.array(values, dtype=np.float64)
    n_players = int(np.log2(len(dividends)))
    if 1 << n_players != len(dividends):
        raise ValueError(f"values must have length 2**n, got {len(dividends)}")
    for bit in range(n_players):
        view = dividends.reshape(-1, 2, 1 << bit)
        view[:, 1, :] -= view[:, 0, :]
    return dividends


def _coalition_sizes(n_players: int) -> np.ndarray:
    return all_coalitions(n_players).sum(axis=1)


def _weighted_membership(weights: np.ndarray, n_players: int, pairs: bool) -> np.ndarray:
    """``Σ_T w(T) [i ∈ T]`` (or ``[i, j ∈ T]`` when ``pairs``), in chunks to bound memory."""
    out = np.zeros((n_players, n_players) if pairs else n_players)
    for start in range(0, len(weights), _CHUNK):
        members = all_coalitions(n_players, start, min(start + _CHUNK, len(weights))).astype(np.float64)
        w = weights[start : start + len(members)]
        out += members.T @ (w[:, None] * members) if pairs else w @ members
    return out


def exact_shapley_values(game: GameLike, n_players: int | None = None) -> FirstOrderResult:
    """Shapley values by enumeration: ``φ_i = Σ_{T ∋ i} d(T) / |T|``.

    >>> from axiomatic_search.games import FunctionGame
    >>> g = FunctionGame(lambda c: c.sum(axis=1) * 2.0, n_players=3)
    >>> exact_shapley_values(g).values.tolist()
    [2.0, 2.0, 2.0]
    """
    n_players = _check_n(n_players_of(game, n_players))
    values = game_table(game, n_players)
    dividends = harsanyi_dividends(values)
    sizes = _coalition_sizes(n_players)
    weights = dividends / np.maximum(sizes, 1)  # the empty coalition has no members: its weight never counts
    shapley = _weighted_membership(weights, n_players, pairs=False)
    return FirstOrderResult(shapley, float(values[0]), float(values[-1]), len(values))


def exact_shapley_taylor(game: GameLike, n_players: int | None = None) -> SecondOrderResult:
    """Order-2 Shapley–Taylor indices by enumeration (paper Eq. 5).

    Main effects ``v({i}) − v(∅)``; pair values ``Σ_{T ⊇ {i,j}} d(T) / C(|T|, 2)``.
    """
    n_players = _check_n(n_players_of(game, n_players))
    values = game_table(game, n_players)
    dividends = harsanyi_dividends(values)
    sizes = _coalition_sizes(n_players)
    pair_counts = np.array([comb(int(s), 2) for s in range(n_players + 1)], dtype=np.float64)[sizes]
    weights = dividends / np.maximum(pair_counts, 1)  # coalitions of fewer than 2 hold no pair: never counted
    pairs = _weighted_membership(weights, n_players, pairs=True)
    np.fill_diagonal(pairs, 0.0)
    main = values[1 << np.arange(n_players)] - values[0]
    return SecondOrderResult(main, pairs, float(values[0]), float(values[-1]), len(values),
                             n_query=getattr(game, "n_query", None))
