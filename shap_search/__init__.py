"""shap_search: shap-native explanations of similarity, search and retrieval models.

Needs shap (and OpenCV for shap's image masker): ``pip install "axiomatic-search[shap]"``.

>>> from shap_search import SearchExplainer, ShapleyTaylorExplainer  # doctest: +ELLIPSIS
"""

try:
    import shap as _shap  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("shap_search needs shap: install it with pip install 'axiomatic-search[shap]'") from error

from . import plots
from .explainers import SearchExplainer, ShapleyTaylorExplainer, to_shap_interactions
from .maskers import SuperpixelMasker, similarity_to
from .text import TextSearchExplainer

__all__ = ["SearchExplainer", "ShapleyTaylorExplainer", "SuperpixelMasker", "TextSearchExplainer", "plots",
           "similarity_to", "to_shap_interactions"]
