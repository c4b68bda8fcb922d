"""Memoised, budgeted game evaluation: a repeated coalition never costs twice."""

from __future__ import annotations

import numpy as np

from .base import GameLike, evaluate


class BudgetExhausted(Exception):
    """Raised when a batch would take the distinct evaluations past the budget."""


class CoalitionCache:
    """Evaluates only coalitions it has not seen, and never more than ``budget`` of them.

    >>> cache = CoalitionCache(lambda c: c.sum(axis=1).astype(float), budget=2)
    >>> cache(np.array([[True, False], [True, False]])).tolist(), cache.n_evaluations
    ([1.0, 1.0], 1)
    """

    def __init__(self, game: GameLike, budget: int) -> None:
        self.game = game
        self.budget = budget
        self.table: dict[bytes, float] = {}

    @property
    def n_evaluations(self) -> int:
        return len(self.table)

    def __call__(self, coalitions: np.ndarray) -> np.ndarray:
        keys = [row.tobytes() for row in np.packbits(coalitions, axis=1)]
        new_rows: dict[bytes, int] = {}
        for row, key in enumerate(keys):
            if key not in self.table and key not in new_rows:
                new_rows[key] = row
        if len(self.table) + len(new_rows) > self.budget:
            raise BudgetExhausted(f"{len(new_rows)} new coalitions exceed the remaining budget")
        if new_rows:
            fresh = evaluate(self.game, coalitions[list(new_rows.values())])
            self.table.update(zip(new_rows, fresh.tolist()))
        return np.array([self.table[key] for key in keys])
