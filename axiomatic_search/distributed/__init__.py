"""A whole retrieval run or benchmark explained on Ray Data, one Parquet row per pair.

>>> from axiomatic_search.distributed import explain_dataset, read_results
"""

from .run import DatasetRun, check_address, explain_dataset, run_chunks
from .store import block_of, finished_pairs, read_results
from .table import Pair, read_pairs
from .worker import ChunkExplainer, ChunkWorker, load_model

__all__ = ["ChunkExplainer", "ChunkWorker", "DatasetRun", "Pair", "block_of", "check_address", "explain_dataset", "finished_pairs", "load_model",
           "read_pairs", "read_results", "run_chunks"]
