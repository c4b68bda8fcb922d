"""Games: callables from a boolean coalition matrix ``(m, n)`` to float64 values ``(m,)``.

This is shapiq's game protocol, so shapiq approximators run on our games and our
estimators on plain functions. Evaluation streams in batches of ``batch_size`` rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

import numpy as np

from ._checks import check_coalitions, check_game_values
from .progress import advance

GameLike = Callable[[np.ndarray], np.ndarray]
"""Anything that maps a boolean coalition matrix ``(m, n)`` to values ``(m,)``."""


class Game(ABC):
    """Base class: validates coalitions, evaluates in batches, validates values.

    Subclasses implement ``_evaluate(batch) -> (len(batch),)``.
    """

    def __init__(self, n_players: int, batch_size: int = 64) -> None:
        if n_players < 1:
            raise ValueError(f"n_players must be at least 1, got {n_players}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size}")
        self.n_players = int(n_players)
        self.batch_size = int(batch_size)

    @abstractmethod
    def _evaluate(self, coalitions: np.ndarray) -> np.ndarray:
        """Values of one batch of boolean coalitions."""

    def __call__(self, coalitions: np.ndarray) -> np.ndarray:
        coalitions = check_coalitions(coalitions, self.n_players)
        values = np.empty(len(coalitions))
        for start in range(0, len(coalitions), self.batch_size):
            batch = coalitions[start : start + self.batch_size]
            values[start : start + len(batch)] = check_game_values(
                self._evaluate(batch), batch, source=type(self).__name__
            )
            advance(len(batch))
        return values

    @property
    def empty_value(self) -> float:
        """``v(∅)``."""
        return float(self(np.zeros((1, self.n_players), dtype=bool))[0])

    @property
    def full_value(self) -> float:
        """``v(N)``."""
        return float(self(np.ones((1, self.n_players), dtype=bool))[0])


class FunctionGame(Game):
    """A game from a plain function of the coalition matrix.

    >>> game = FunctionGame(lambda c: c.sum(axis=1).astype(float), n_players=3)
    >>> game(np.array([[True, False, True]])).tolist()
    [2.0]
    """

    def __init__(
        self, function: Callable[[np.ndarray], np.ndarray], n_players: int, batch_size: int = 4096
    ) -> None:
        super().__init__(n_players, batch_size)
        self.function = function

    def _evaluate(self, coalitions: np.ndarray) -> np.ndarray:
        return self.function(coalitions)


def n_players_of(game: GameLike, n_players: int | None) -> int:
    """The player count of ``game``: its ``n_players`` attribute or the argument."""
    found = getattr(game, "n_players", None) if n_players is None else n_players
    if found is None:
        raise ValueError("n_players is required for a game without an n_players attribute")
    if isinstance(found, bool) or not isinstance(found, (int, np.integer)) or found < 1:
        raise ValueError(f"n_players must be a positive int, got {found!r}")
    return int(found)
