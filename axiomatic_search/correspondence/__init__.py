"""Query→result correspondences from any similarity model, by the cheapest faithful method.

>>> from axiomatic_search.correspondence import explain_correspondence, auto_method
"""

from .cells import cell_weights, players_block
from .explain import DEFAULT_BUDGET, METHODS, auto_method, explain_correspondence, sampled_correspondence
from .grey_box import SHAPLEY_TAYLOR_RATIO, background_features, integrated_hessians, second_order_sam

__all__ = [
    "DEFAULT_BUDGET",
    "METHODS",
    "SHAPLEY_TAYLOR_RATIO",
    "auto_method",
    "background_features",
    "cell_weights",
    "explain_correspondence",
    "integrated_hessians",
    "players_block",
    "sampled_correspondence",
    "second_order_sam",
]
