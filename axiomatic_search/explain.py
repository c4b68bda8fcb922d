"""One call from a search game to a result that knows its pixels.

>>> from axiomatic_search.games import FunctionGame
>>> result = explain_second_order(FunctionGame(lambda c: c.all(axis=1) * 1.0, 3), method="exact")
>>> round(float(result.pair_values.sum()), 12)
1.0
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._checks import check_choice
from .estimators import KernelShap, KernelShapleyTaylor, PermutationShapleyTaylor
from .exact import exact_shapley_taylor, exact_shapley_values
from .factorised import FactorisedGame, FactorisedShapleyTaylor
from .games import GameLike, n_players_of
from .progress import progress as progress_bar
from .results import FirstOrderResult, SecondOrderResult

FIRST_ORDER_METHODS = ("kernel", "exact")
SECOND_ORDER_METHODS = ("auto", "factorised", "kernel", "permutation", "exact")


def _require_budget(budget: int | None, method: str, n_players: int) -> int:
    """The evaluations ``method`` will spend: ``2^n`` for ``"exact"`` (a smaller explicit budget
    is refused, not ignored), else the explicit ``budget``."""
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, np.integer))):
        raise TypeError(f"budget must be an int (distinct game evaluations) or None, got {budget!r}")
    if method == "exact":
        if budget is not None and budget < 2**n_players:
            raise ValueError(f"budget={budget} is too small for method='exact': enumerating {n_players} players "
                             f"takes 2^{n_players} = {2**n_players} evaluations; pass budget=None or use an estimator")
        return 2**n_players
    if budget is None:
        raise ValueError(f"method={method!r} needs an explicit budget (distinct game evaluations)")
    return budget


def explain_first_order(
    game: GameLike,
    budget: int | None = None,
    method: str = "kernel",
    random_state: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> FirstOrderResult:
    """Shapley values of a (search) game; ``method`` is ``"kernel"`` or ``"exact"``.
    ``progress``: a tqdm bar of the evaluations (None: when stderr is a terminal)."""
    check_choice(method, FIRST_ORDER_METHODS, "method")
    n = n_players_of(game, None)
    total = _require_budget(budget, method, n)
    with progress_bar(total, "first order", progress):
        if method == "exact":
            result = exact_shapley_values(game, n)
        else:
            result = KernelShap().estimate(game, budget, random_state)
    return dataclasses.replace(result, players=getattr(game, "masker", None))


def explain_second_order(
    game: GameLike,
    budget: int | None = None,
    method: str = "auto",
    random_state: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> SecondOrderResult:
    """Order-2 Shapley–Taylor indices; ``method`` is ``"factorised"`` (a ``FactorisedGame``:
    budget in forward passes), ``"kernel"``, ``"permutation"``, ``"exact"``, or ``"auto"``
    (factorised where the game factorises, else kernel). ``progress``: a tqdm bar of the
    evaluations (None: when stderr is a terminal)."""
    check_choice(method, SECOND_ORDER_METHODS, "method")
    if method == "auto":
        method = "factorised" if isinstance(game, FactorisedGame) and game.factorises else "kernel"
    n = n_players_of(game, None)
    total = _require_budget(budget, method, n)
    with progress_bar(total, f"second order ({method})", progress):
        if method == "exact":
            result = exact_shapley_taylor(game, n)
        else:
            estimator = {"factorised": FactorisedShapleyTaylor, "kernel": KernelShapleyTaylor,
                         "permutation": PermutationShapleyTaylor}[method]()
            result = estimator.estimate(game, budget, random_state)
    return dataclasses.replace(
        result,
        n_query=getattr(game, "n_query", None),
        query_players=getattr(game, "query_masker", None),
        result_players=getattr(game, "result_masker", None),
    )
