"""Factorised (dual-encoder) Shapley–Taylor correspondences.

For an embedding model the joint game of a query and a result factorises: ``m_q`` masked
queries and ``m_r`` masked results, embedded separately, give ``m_q · m_r`` joint values by one
matrix product. ``FactorisedShapleyTaylor`` regresses the paper's kernel on such product
designs, counting its budget in forward passes.

>>> from axiomatic_search.factorised import FactorisedShapleyTaylor, FunctionFactorisedGame
>>> game = FunctionFactorisedGame(lambda c: c * 1.0, lambda c: c * 1.0, n_query=3, n_result=3)
>>> FactorisedShapleyTaylor().estimate(game, budget=16, random_state=0).query_result_block.round(6).diagonal().tolist()
[1.0, 1.0, 1.0]
"""

from .design import ProductDesign, product_design, stratum_mass
from .estimator import FactorisedShapleyTaylor
from .exact import exact_bilinear_shapley_taylor
from .product_gram import ProductGram
from .side_cache import SideCache
from .game import EmbeddingSearchGame, FactorisedGame, FunctionFactorisedGame

__all__ = [
    "EmbeddingSearchGame",
    "FactorisedGame",
    "FactorisedShapleyTaylor",
    "FunctionFactorisedGame",
    "ProductDesign",
    "ProductGram",
    "SideCache",
    "exact_bilinear_shapley_taylor",
    "product_design",
    "stratum_mass",
]
