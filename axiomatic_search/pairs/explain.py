"""``explain_pairs``: a retrieval run's pairs explained in one call, streamed as they finish;
``explain_ranked``: one query against its ranked results.

Pairs are read lazily, ``chunk_size`` at a time, so a queue of 10,000 pairs never holds 10,000
images. Within a chunk:

- first order (Kernel SHAP): the masked inputs of all the chunk's pairs are scored in shared
  batches (``first_order_pairs``);
- second order: pairs with the same query (the same path, or the same object) share the
  query's masked embeddings: the factorised method draws the query's coalitions first, from the
  pair's own seed, so results with as many players as each other ask for the same ones and
  only the first pays (how many depends on the result's player count).

Every pair starts from the same seed (``random_state``), so a pair's explanation does not depend
on its place in the list and equals the single-pair call (bit for bit in second order; first
order to the rounding of the model's batches, which mix pairs). Chunks are fixed runs of
``chunk_size`` consecutive pairs, so a caller that cuts the same chunks on the same kind of
device, threads and versions (the Ray path does) gets bit-identical values.
"""

from __future__ import annotations

import contextlib
import itertools
import time
import warnings
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from .._checks import check_choice, check_count, same_seed_per_item
from ..correspondence import explain_correspondence
from ..correspondence.explain import METHODS as CORRESPONDENCE_METHODS
from ..models import EmbeddingSimilarity
from ..explain import explain_first_order
from ..images import as_image_tensor
from ..progress import progress_enabled
from ..results import Correspondence, FirstOrderResult
from ..runtime import default_batch_size
from ..search_games import FirstOrderSearchGame
from .first_order import first_order_pairs

FIRST_ORDER_BUDGET = 5000
"""The paper's first-order budget (Sec. 6), the default for ``order=1``."""
ORDERS = (1, 2)
ORDER_METHODS = {1: ("auto", "kernel", "exact"), 2: CORRESPONDENCE_METHODS}
"""The methods each order takes."""
PRECISIONS = {"bfloat16": torch.bfloat16, "float16": torch.float16}


def _precision(model, precision: str | None):
    """``torch.autocast`` on the model's device for ``precision``, or nothing."""
    if precision is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(model.device).type, dtype=PRECISIONS[precision])


@dataclass(frozen=True)
class PairExplanation:
    """One pair's explanation: ``index`` in the input, the unmasked ``similarity``, the
    explanation (a ``FirstOrderResult`` for order 1, a ``Correspondence`` for order 2), the model
    inputs this pair cost (a ranked list's later results pay no query embeddings) and seconds."""

    index: int
    similarity: float
    explanation: FirstOrderResult | Correspondence
    n_forward_passes: int
    seconds: float

    @property
    def values(self) -> np.ndarray:
        """Per-player values (order 1) or the query×result block (order 2)."""
        return self.explanation.values if isinstance(self.explanation, FirstOrderResult) else self.explanation.block


def explain_pairs(
    model,
    pairs: Iterable[tuple[object, object]],
    order: int = 2,
    method: str = "auto",
    players: object = None,
    budget: int | None = None,
    background: object = "blur",
    n_segments: int = 50,
    explain: str = "result",
    chunk_size: int = 16,
    batch_size: int | None = None,
    random_state: int | np.random.Generator | None = None,
    progress: bool | None = None,
    total: int | None = None,
    precision: str | None = None,
) -> Iterator[PairExplanation]:
    """Explain ``(query, result)`` pairs, yielding each pair's ``PairExplanation`` as its chunk
    finishes (in input order).

    ``order=1``: which players of the ``explain`` side make the pair similar (``method``
    ``"kernel"``/``"auto"``: Kernel SHAP, batched across pairs; ``"exact"``), ``players``
    default ``"slic"``, ``budget`` default the paper's 5,000 coalitions. ``order=2``: the
    query×result correspondence, as ``explain_correspondence`` (its methods and defaults: 4 × 4
    grids, 2,000 forward passes for the sampling methods). ``progress``: a bar of pairs with an
    ETA (``total`` pairs, default ``len(pairs)`` where it has one). ``precision``:
    ``"bfloat16"`` or ``"float16"`` runs the torch forward passes under ``torch.autocast`` on
    the model's device (mixed precision; values are still combined in float64; an ONNX Runtime
    backbone ignores it, with a warning), None as the model is.

    >>> from axiomatic_search.models import EmbeddingSimilarity
    >>> model = EmbeddingSimilarity(lambda x: x.flatten(2).mean(2), metric="dot")
    >>> image = np.random.default_rng(0).random((8, 8, 3))
    >>> [p.values.shape for p in explain_pairs(model, [(image, image)] * 2, players=2, budget=12, random_state=0)]
    [(4, 4), (4, 4)]
    """
    check_pair_options(order, method, explain, chunk_size, budget, precision)
    if precision is not None and type(getattr(model, "backbone", getattr(model, "embed", None))).__name__ == "OnnxBackbone":
        warnings.warn(f"precision={precision!r} has no effect on an ONNX Runtime backbone (inference runs in ONNX "
                      "Runtime, not torch); use backend='torch' for mixed precision", UserWarning, stacklevel=2)
    fresh = same_seed_per_item(random_state)
    batch_size = batch_size or default_batch_size(model.device)
    total = total if total is not None else (len(pairs) if hasattr(pairs, "__len__") else None)
    bar = tqdm(total=total, desc=f"explaining pairs (order {order})", unit="pair", dynamic_ncols=True,
               disable=not progress_enabled(progress))
    stream = iter(pairs)
    try:
        for start in itertools.count(0, chunk_size):
            chunk = [_checked_pair(pair, start + k) for k, pair in enumerate(itertools.islice(stream, chunk_size))]
            if not chunk:
                return
            run = _first_order_chunk if order == 1 else _second_order_chunk
            with _precision(model, precision):
                done = list(run(model, chunk, start, method, players, budget, background, n_segments, explain,
                                batch_size, fresh))
            for explanation in done:
                bar.update(1)
                yield explanation
    finally:
        bar.close()


def check_pair_options(order: int, method: str, explain: str, chunk_size: int, budget: int | None,
                       precision: str | None) -> None:
    """``explain_pairs``'s options checked, with errors naming them (a dataset run checks them
    before it starts)."""
    if check_count(order, "order") not in ORDERS:
        raise ValueError(f"order must be 1 (first order) or 2 (correspondence), got {order!r}")
    check_choice(explain, ("result", "query"), "explain")
    check_count(chunk_size, "chunk_size")
    check_choice(method, ORDER_METHODS[order], "method")
    if precision is not None:
        check_choice(precision, tuple(PRECISIONS), "precision")
    if budget is not None:
        check_count(budget, "budget")


def explain_ranked(model, query: object, results: Iterable[object], **options) -> list[PairExplanation]:
    """``explain_pairs`` of one query against its ranked ``results``, all in one chunk, so the
    query's masked embeddings are computed once (second order, factorised) and first-order
    inputs are batched across the results. Options as ``explain_pairs``.

    >>> from axiomatic_search.models import EmbeddingSimilarity
    >>> model = EmbeddingSimilarity(lambda x: x.flatten(2).mean(2), metric="dot")
    >>> rng = np.random.default_rng(0)
    >>> ranked = explain_ranked(model, rng.random((8, 8, 3)), [rng.random((8, 8, 3)) for _ in range(3)],
    ...                         players=2, budget=12, random_state=0)
    >>> [p.n_forward_passes for p in ranked]  # the query's side coalitions are embedded once
    [12, 6, 6]
    """
    results = list(results)
    if not results:
        raise ValueError("results must hold at least one result to explain against the query")
    if "chunk_size" in options:
        raise TypeError("explain_ranked explains every result in one chunk; chunk_size is not an option here")
    query = as_image_tensor(query, "query")
    return list(explain_pairs(model, [(query, result) for result in results], chunk_size=len(results), **options))


def _checked_pair(pair: object, index: int) -> tuple[object, object]:
    if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
        raise ValueError(f"pairs[{index}] must be a (query, result) pair, got {type(pair).__name__}")
    return pair[0], pair[1]


def _query_key(query: object) -> object:
    """Pairs with equal keys share the query: a path by its text, anything else by identity."""
    return str(query) if isinstance(query, str) or hasattr(query, "__fspath__") else id(query)


def _first_order_chunk(model, chunk, start, method, players, budget, background, n_segments, explain, batch_size,
                       fresh) -> Iterator[PairExplanation]:
    players = "slic" if players is None else players
    started = time.perf_counter()
    if method == "exact":
        for k, (query, result) in enumerate(chunk):
            began = time.perf_counter()
            game = FirstOrderSearchGame.for_images(model, query, result, explain=explain, players=players,
                                                   background=background, n_segments=n_segments,
                                                   batch_size=batch_size)
            first = explain_first_order(game, budget, method="exact", progress=False)
            passes = first.n_evaluations * game.masker.n_backgrounds + isinstance(model, EmbeddingSimilarity)
            yield PairExplanation(start + k, first.full_value, first, passes, time.perf_counter() - began)
        return
    budget = FIRST_ORDER_BUDGET if budget is None else budget
    done = first_order_pairs(model, chunk, budget, [fresh() for _ in chunk], explain, players, background,
                             n_segments, batch_size)
    seconds = (time.perf_counter() - started) / len(chunk)  # the chunk's time, shared evenly
    for k, (first, passes) in enumerate(done):
        yield PairExplanation(start + k, first.full_value, first, passes, seconds)


def _second_order_chunk(model, chunk, start, method, players, budget, background, n_segments, explain, batch_size,
                        fresh) -> Iterator[PairExplanation]:
    players = 4 if players is None else players
    caches: dict[object, dict] = {}
    for k, (query, result) in enumerate(chunk):
        began = time.perf_counter()
        cache = caches.setdefault(_query_key(query), {})
        found = explain_correspondence(model, query, result, players=players, method=method, budget=budget,
                                       background=background, n_segments=n_segments, batch_size=batch_size,
                                       random_state=fresh(), progress=False, query_cache=cache)
        full = found.second_order
        similarity = full.full_value if full is not None else _similarity(model, query, result)
        yield PairExplanation(start + k, similarity, found, found.n_forward_passes, time.perf_counter() - began)


@torch.inference_mode()
def _similarity(model, query: object, result: object) -> float:
    q, r = as_image_tensor(query, "query").to(model.device), as_image_tensor(result, "result").to(model.device)
    return float(torch.as_tensor(model(q[None], r[None])).double().reshape(-1)[0])


__all__ = ["FIRST_ORDER_BUDGET", "ORDER_METHODS", "PairExplanation", "check_pair_options", "explain_pairs",
           "explain_ranked"]
