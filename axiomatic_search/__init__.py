"""axiomatic-search: axiomatic explanations for similarity, search and retrieval models."""

from .estimators import KernelShap, KernelShapleyTaylor, PermutationShapleyTaylor
from .exact import exact_shapley_taylor, exact_shapley_values, harsanyi_dividends
from .games import FunctionGame, Game
from .results import FirstOrderResult, SecondOrderResult

__all__ = [
    "FirstOrderResult",
    "FunctionGame",
    "Game",
    "KernelShap",
    "KernelShapleyTaylor",
    "PermutationShapleyTaylor",
    "SecondOrderResult",
    "exact_shapley_taylor",
    "exact_shapley_values",
    "harsanyi_dividends",
]
