"""What several benchmarks share: counting forward passes, shapiq's STII approximators, tables."""

from __future__ import annotations

import warnings

import numpy as np

SHAPIQ_METHODS = ("shapiq-permutation", "shapiq-svarmiq", "shapiq-shapiq")


class BackbonePasses:
    """Counts the images a model's backbone processes (forward passes, any method)."""

    def __init__(self, model) -> None:
        self.count = 0
        model.backbone.register_forward_hook(lambda module, inputs, output: self._add(len(output)))

    def _add(self, images: int) -> None:
        self.count += images


class CountingGame:
    """A joint game that remembers what it evaluated (it accepts the 1-d coalitions shapiq
    sends): distinct coalitions, and distinct halves (the forward passes of a factorised game,
    each side embedded once) when ``n_query`` is given."""

    def __init__(self, game, n_query: int | None = None) -> None:
        self.game, self.n_players, self.n_query = game, game.n_players, n_query
        self._rows: list[np.ndarray] = []

    def __call__(self, coalitions: np.ndarray) -> np.ndarray:
        coalitions = np.atleast_2d(np.asarray(coalitions, dtype=bool))
        self._rows.append(coalitions)
        return self.game(coalitions)

    @property
    def passes(self) -> int:
        if not self._rows:
            return 0
        rows = np.concatenate(self._rows)
        distinct = lambda part: len(np.unique(np.packbits(part, axis=1), axis=0))  # noqa: E731
        if self.n_query is None:
            return distinct(rows)
        return distinct(rows[:, : self.n_query]) + distinct(rows[:, self.n_query :])


def shapiq_estimate(method: str, game, budget: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(main effects, symmetric pair matrix)`` of shapiq's STII approximator ``method`` (one of
    ``SHAPIQ_METHODS``) on ``game`` with ``budget`` evaluations, repeats included."""
    from shapiq.approximator import SHAPIQ, SVARMIQ, PermutationSamplingSTII

    n = game.n_players
    if method == "shapiq-permutation":
        approximator = PermutationSamplingSTII(n=n, max_order=2, random_state=seed)
    else:
        approximator = (SVARMIQ if method == "shapiq-svarmiq" else SHAPIQ)(n=n, max_order=2, index="STII",
                                                                           random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "budget too small" warnings at low budgets
        values = approximator.approximate(budget, lambda coalitions: game(np.atleast_2d(coalitions)))
    main = np.array([values[(i,)] for i in range(n)])
    pairs = np.zeros((n, n))
    for i, j in zip(*np.triu_indices(n, 1)):
        pairs[i, j] = pairs[j, i] = values[(i, j)]
    return main, pairs


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
