"""Joint evaluations of a factorised game that embed each side coalition once.

Any estimator written for joint games (the memoised permutation estimator, shapiq's) can run on
a ``SideCache``: a joint coalition costs nothing when both of its halves have been embedded
before, so the budget that binds is the number of distinct side coalitions, that is forward
passes. Past ``budget`` it raises ``BudgetExhausted`` before embedding anything.
"""

from __future__ import annotations

import numpy as np
import torch

from .._checks import check_coalitions
from ..estimators.cache import BudgetExhausted
from .game import FactorisedGame


class _Side:
    """One side's embedded coalitions: packed key → row of ``rows``."""

    def __init__(self) -> None:
        self.index: dict[bytes, int] = {}
        self.chunks: list[torch.Tensor] = []
        self._rows: torch.Tensor | None = None

    def missing(self, coalitions: np.ndarray) -> tuple[list[bytes], np.ndarray]:
        keys = [row.tobytes() for row in np.packbits(coalitions, axis=1)]
        fresh: dict[bytes, int] = {}
        for position, key in enumerate(keys):
            if key not in self.index and key not in fresh:
                fresh[key] = position
        return keys, np.array(list(fresh.values()), dtype=np.int64)

    def add(self, keys: list[bytes], embeddings: torch.Tensor) -> None:
        for key in keys:
            self.index[key] = len(self.index)
        self.chunks.append(embeddings)
        self._rows = None

    def rows(self, keys: list[bytes]) -> torch.Tensor:
        if self._rows is None:
            self._rows = torch.cat(self.chunks)
            self.chunks = [self._rows]
        return self._rows[torch.as_tensor([self.index[key] for key in keys])]


class SideCache:
    """A factorised game as a joint game (``(m, n) -> (m,)``), each side coalition embedded once,
    at most ``budget`` side coalitions in all.

    >>> from axiomatic_search.factorised import FunctionFactorisedGame
    >>> cache = SideCache(FunctionFactorisedGame(lambda c: c * 1.0, lambda c: c * 1.0, 2, 2), budget=4)
    >>> cache(np.array([[1, 0, 1, 0], [1, 0, 0, 1]], dtype=bool)).tolist(), cache.n_forward_passes
    ([1.0, 0.0], 3)
    """

    def __init__(self, game: FactorisedGame, budget: int) -> None:
        self.game, self.budget = game, budget
        self.n_players, self.n_query = game.n_players, game.n_query
        self.query, self.result = _Side(), _Side()

    @property
    def n_forward_passes(self) -> int:
        return len(self.query.index) + len(self.result.index)

    def __call__(self, coalitions: np.ndarray) -> np.ndarray:
        coalitions = check_coalitions(coalitions, self.n_players)
        halves = coalitions[:, : self.n_query], coalitions[:, self.n_query :]
        (query_keys, new_query), (result_keys, new_result) = self.query.missing(halves[0]), self.result.missing(halves[1])
        if self.n_forward_passes + len(new_query) + len(new_result) > self.budget:
            raise BudgetExhausted(f"{len(new_query) + len(new_result)} new side coalitions exceed the budget")
        if len(new_query):
            self.query.add([query_keys[k] for k in new_query], self.game.embed_query(halves[0][new_query]))
        if len(new_result):
            self.result.add([result_keys[k] for k in new_result], self.game.embed_result(halves[1][new_result]))
        return self.game.combine_rows(self.query.rows(query_keys), self.result.rows(result_keys))
