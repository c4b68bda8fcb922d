"""lime_search: lime-native first- and second-order explanations of search models.

Needs lime: ``pip install "axiomatic-search[lime]"``.
"""

try:
    import lime as _lime  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("lime_search needs lime: install it with pip install 'axiomatic-search[lime]'") from error

from . import plots
from .explainers import LimeSearchExplainer, SecondOrderLimeExplainer
from .text import LimeTextSearchExplainer

__all__ = ["LimeSearchExplainer", "LimeTextSearchExplainer", "SecondOrderLimeExplainer"]
