"""Progress bars for long computations: ``with progress(total, "what"):`` opens a tqdm bar that
every game advances as it evaluates its batches (``advance``), so an estimator shows its
progress without knowing about it.

``enabled=None`` shows the bar only when stderr is a terminal (not in CI logs or pipes).

>>> import numpy as np
>>> from axiomatic_search.games import FunctionGame
>>> game = FunctionGame(lambda c: c.sum(axis=1) * 1.0, n_players=3)
>>> with progress(8, "demo", enabled=False):
...     float(game(np.ones((2, 3), bool)).sum())
6.0
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from tqdm.auto import tqdm

_current: ContextVar[tqdm | None] = ContextVar("axiomatic_search_progress", default=None)


def progress_enabled(enabled: bool | None) -> bool:
    """``enabled``, or (None) whether stderr is an interactive terminal."""
    if enabled is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(enabled)


@contextmanager
def progress(total: int | None, description: str, enabled: bool | None = None) -> Iterator[tqdm | None]:
    """A bar of ``total`` evaluations (None: open-ended) advanced by the games evaluated inside.
    Nested calls keep the outer bar."""
    if not progress_enabled(enabled) or _current.get() is not None:
        yield _current.get()
        return
    bar = tqdm(total=total, desc=description, unit="eval", leave=False, dynamic_ncols=True, file=sys.stderr)
    token = _current.set(bar)
    try:
        yield bar
    finally:
        _current.reset(token)
        bar.close()


def advance(count: int) -> None:
    """Count ``count`` evaluations on the open bar, if any."""
    bar = _current.get()
    if bar is not None:
        bar.update(count)
