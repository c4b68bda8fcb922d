"""What every estimator shares: the ``estimate(game, budget, random_state)`` contract."""

from __future__ import annotations

from abc import ABC, abstractmethod
import numpy as np

from .._checks import check_game_values
from ..games import GameLike


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
