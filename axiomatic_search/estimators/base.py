"""What every estimator shares: the ``estimate(game, budget, random_state)`` contract."""

from __future__ import annotations

from abc import ABC, abstractmethod
import numpy as np

from .._checks import as_generator, check_budget, check_game_values
from ..games import GameLike, n_players_of


def evaluate(game: GameLike, coalitions: np.ndarray) -> np.ndarray:
    """Evaluate ``game`` on a boolean coalition matrix and validate the values."""
    return check_game_values(game(coalitions), coalitions, source="game")


def constraint_coalitions(n_players: int) -> np.ndarray:
    """The empty coalition, every singleton, then the grand coalition: ``(n + 2, n)``."""
    return np.concatenate(
        [np.zeros((1, n_players), bool), np.eye(n_players, dtype=bool), np.ones((1, n_players), bool)]
    )


class Estimator(ABC):
    """An estimator turns a game and a budget of distinct evaluations into a result."""

    @abstractmethod
    def estimate(
        self,
        game: GameLike,
        budget: int,
        random_state: int | np.random.Generator | None = None,
        n_players: int | None = None,
    ):
        """Estimate the indices of ``game`` with at most ``budget`` distinct evaluations."""


def second_order_setup(
    game: GameLike, budget: int, random_state: int | np.random.Generator | None, n_players: int | None,
    sampled: int = 0,
) -> tuple[int, int, np.random.Generator]:
    """Validated ``(n_players, budget, generator)`` for an order-2 estimator: at least two
    players, and a budget covering the ``n + 2`` constraint coalitions and ``sampled`` more
    (fewer than ``2^n`` in all never needed)."""
    n = n_players_of(game, n_players)
    if n < 2:
        raise ValueError(f"Shapley–Taylor pairs need at least 2 players, got n_players={n}")
    what = f"the empty, grand and {n} singleton coalitions" + (f" and {sampled} sampled one(s)" if sampled else "")
    budget = check_budget(budget, min(n + 2 + sampled, 2**min(n, 62)), what)
    return n, budget, as_generator(random_state)
