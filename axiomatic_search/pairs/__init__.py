"""Many pairs per call: ``explain_pairs`` streams a retrieval run's explanations,
``explain_ranked`` explains one query against its ranked results with the query's masked
embeddings shared.

>>> from axiomatic_search.pairs import explain_pairs, explain_ranked
"""

from .explain import (FIRST_ORDER_BUDGET, ORDER_METHODS, PairExplanation, check_pair_options, explain_pairs,
                      explain_ranked)
from .first_order import first_order_pairs

__all__ = ["FIRST_ORDER_BUDGET", "ORDER_METHODS", "PairExplanation", "check_pair_options", "explain_pairs",
           "explain_ranked", "first_order_pairs"]
