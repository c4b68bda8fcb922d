"""Why two texts are similar: first order (which words of one make the pair similar) and second
order (which word of the query interacts with which word of the result), and search over a list
of documents.

The games and estimators are the image path's: ``FirstOrderSearchGame`` with Kernel SHAP (or
enumeration, the default up to 12 words), and ``explain_correspondence``'s methods over word
players: ``"factorised"`` for a bi-encoder (masked queries and results embedded on their own),
``"kernel"`` / ``"permutation"`` / ``"exact"`` on the joint game of any model, a cross-encoder's
included.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import Callable, Sequence

import numpy as np
import torch

from .._checks import check_choice, check_count
from ..correspondence import auto_method, sampled_correspondence
from ..explain import explain_first_order
from ..exact import all_coalitions
from ..factorised import EmbeddingSearchGame, exact_bilinear_shapley_taylor
from ..models import EmbeddingSimilarity, SimilarityModel, metric_vectors
from ..progress import progress as progress_bar
from ..results import Correspondence, FirstOrderResult
from ..search_games import FirstOrderSearchGame
from .models import as_text_model
from .words import TextMasker, check_text, word_spans

FIRST_ORDER_METHODS = ("auto", "exact", "kernel")
SECOND_ORDER_METHODS = ("auto", "factorised", "kernel", "permutation", "exact")
FIRST_ORDER_BUDGET = 5000
"""The paper's first-order samples; ``"auto"`` enumerates every coalition when that costs no more
(up to 12 words)."""
SECOND_ORDER_BUDGET = 5000
"""Forward passes of the second-order estimators by default."""
MAX_SIDE_WORDS = 16
"""Words a side that ``method="exact"`` enumerates for a bilinear dual encoder (2^16 strings)."""


def text_masker(model: SimilarityModel, text: str, name: str, players: str = "words",
                background: object = "mask") -> TextMasker:
    """The masker of one side, with the model's tokenizer and mask token."""
    return TextMasker(text, players=players, background=background, tokenizer=getattr(model, "tokenizer", None),
                      mask_token=getattr(model, "mask_token", None), name=name)


def text_maskers(model: SimilarityModel, query: str, result: str, players: str = "words",
                 background: object = "mask") -> tuple[TextMasker, TextMasker]:
    """The query's and the result's maskers. ``background``: one for both sides, or a
    ``(query background, result background)`` tuple (a counterfactual sentence fits one side)."""
    if isinstance(background, tuple):
        if len(background) != 2:
            raise ValueError(f"background as a tuple must be (query background, result background), got "
                             f"{len(background)} items; a list of backgrounds is averaged")
        query_background, result_background = background
    else:
        query_background = result_background = background
    return (text_masker(model, query, "query", players, query_background),
            text_masker(model, result, "result", players, result_background))


def explain_text(
    model: object,
    query: str,
    result: str,
    explain: str = "result",
    players: str = "words",
    background: object = "mask",
    method: str = "auto",
    budget: int | None = None,
    batch_size: int = 64,
    random_state: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> FirstOrderResult:
    """Shapley values of the words of ``result`` (or of ``query``, ``explain="query"``) for the
    pair's similarity: ``v(S) = d(query, mask(result, S))``. ``values`` add up to
    ``full_value − base_value``; ``players.words`` names them.

    ``method``: ``"exact"`` (all ``2^n`` coalitions), ``"kernel"`` (Kernel SHAP, ``budget``
    evaluations, default 5,000) or ``"auto"`` (exact when ``2^n ≤ budget``). ``background``:
    ``"mask"``, ``"delete"``, a counterfactual sentence with as many words as the explained text
    ("why this rather than that"), or a list of these, averaged.

    >>> from axiomatic_search.models import EmbeddingSimilarity
    >>> words = ["cat", "dog", "sat"]
    >>> bag = EmbeddingSimilarity(lambda texts: torch.tensor([[float(w in t.split()) for w in words] for t in texts]), "dot")
    >>> explain_text(bag, "the cat", "a cat sat").values.round(6).tolist()
    [0.0, 1.0, 0.0]
    """
    model = as_text_model(model)
    check_choice(method, FIRST_ORDER_METHODS, "method")
    check_choice(explain, ("result", "query"), "explain")
    check_text(query, "query"), check_text(result, "result")
    if budget is not None:
        check_count(budget, "budget", 3)
    explained, fixed = (result, query) if explain == "result" else (query, result)
    masker = text_masker(model, explained, explain, players, background)
    game = FirstOrderSearchGame(model, fixed, masker, explain=explain, batch_size=batch_size)
    limit = FIRST_ORDER_BUDGET if budget is None else budget
    if method == "auto":
        method = "exact" if 2**masker.n_players <= limit else "kernel"
    return explain_first_order(game, limit if method == "kernel" else budget, method, random_state, progress)


def explain_text_correspondence(
    model: object,
    query: str,
    result: str,
    players: str = "words",
    method: str = "auto",
    budget: int | None = None,
    background: object = "mask",
    batch_size: int = 64,
    random_state: int | np.random.Generator | None = None,
    progress: bool | None = None,
    query_cache: dict | None = None,
) -> Correspondence:
    """The word-to-word Shapley–Taylor interactions of a text pair: ``block[i, j]`` is what query
    word ``i`` and result word ``j`` add together beyond their own effects. ``query_players.words``
    and ``result_players.words`` name the rows and columns.

    ``method="auto"`` is ``"factorised"`` for a bi-encoder and ``"kernel"`` for a pair scorer
    (a cross-encoder); ``budget`` counts forward passes (strings embedded, or pairs scored;
    default 5,000). ``"exact"`` on a cosine or dot bi-encoder embeds every coalition of each
    side, ``2^n_query + 2^n_result`` passes (up to 16 words a side), and is exact; on other
    models it enumerates the joint game (up to 20 words in all). ``background`` as in
    ``explain_text``, or a ``(query, result)`` tuple of them. ``query_cache``: a dict shared by
    calls with one query and several results (``search_texts`` passes one).

    >>> from axiomatic_search.models import EmbeddingSimilarity
    >>> words = ["cat", "dog", "sat"]
    >>> bag = EmbeddingSimilarity(lambda texts: torch.tensor([[float(w in t.split()) for w in words] for t in texts]), "dot")
    >>> explain_text_correspondence(bag, "the cat", "a cat sat", budget=64, random_state=0).strongest_pairs(1)
    [('cat', 'cat', 1.0)]
    """
    model = as_text_model(model)
    method = check_choice(method, SECOND_ORDER_METHODS, "method")
    check_text(query, "query"), check_text(result, "result")
    if budget is not None:
        check_count(budget, "budget")
    query_masker, result_masker = text_maskers(model, query, result, players, background)
    method = auto_method(model) if method == "auto" else method
    started = time.perf_counter()
    if method == "exact" and bilinear(model):
        full, passes = _exact_bilinear(model, query_masker, result_masker, budget, batch_size, progress)
    else:
        full, passes = sampled_correspondence(model, method, budget, query_masker, result_masker, batch_size,
                                              random_state, progress, query_cache, default_budget=SECOND_ORDER_BUDGET)
    return Correspondence(full.query_result_block.copy(), method, passes, time.perf_counter() - started, full,
                          query_masker, result_masker)


def bilinear(model: SimilarityModel) -> bool:
    """Whether ``model`` is a dual encoder whose score is a dot product of side vectors (cosine
    or dot): then ``method="exact"`` enumerates each side on its own."""
    return isinstance(model, EmbeddingSimilarity) and metric_vectors(model.metric, torch.ones(1, 1)) is not None


def _exact_bilinear(model, query_masker, result_masker, budget, batch_size, progress):
    """Exact indices of a bilinear dual encoder from every coalition of each side:
    ``2^n_query + 2^n_result`` forward passes (per background)."""
    game = EmbeddingSearchGame(model, query_masker, result_masker, batch_size=batch_size)
    needed = query_masker.n_backgrounds * 2**game.n_query + result_masker.n_backgrounds * 2**game.n_result
    if max(game.n_query, game.n_result) > MAX_SIDE_WORDS:
        raise ValueError(f"method='exact' enumerates every coalition of each side; {game.n_query} and "
                         f"{game.n_result} words exceed {MAX_SIDE_WORDS} a side: use method='factorised'")
    if budget is not None and budget < needed:
        raise ValueError(f"budget={budget} is too small for method='exact': enumerating both sides takes "
                         f"{needed} forward passes")
    with progress_bar(needed, "correspondence (exact)", progress):
        u = game.side_vectors(game.embed_query(all_coalitions(game.n_query)))
        w = game.side_vectors(game.embed_result(all_coalitions(game.n_result)))
    result = exact_bilinear_shapley_taylor(u, w)
    return dataclasses.replace(result, query_players=query_masker, result_players=result_masker), game.n_forward_passes


def text_scorer(model: SimilarityModel, fixed: str, side: str = "result",
                batch_size: int = 64) -> Callable[[Sequence[str]], np.ndarray]:
    """The model as the hosts call it: a list of results (or of queries, ``side="query"``) to
    float64 similarities ``(n,)`` with the fixed other text, ``batch_size`` strings at a time;
    a wrong shape or a NaN is an error naming the model."""
    check_choice(side, ("result", "query"), "side")
    check_count(batch_size, "batch_size")
    with torch.inference_mode():
        scorer = model.fix_query(fixed) if side == "result" else model.fix_result(fixed)

    def score(texts: Sequence[str]) -> np.ndarray:
        texts, chunks = list(texts), []
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            with torch.inference_mode():
                scores = torch.as_tensor(scorer(batch))
            if scores.shape != (len(batch),):
                raise ValueError(f"the similarity model {model!r} returned shape {tuple(scores.shape)} for a batch of "
                                 f"{len(batch)} strings; expected ({len(batch)},)")
            chunks.append(scores.double().cpu().numpy())
        values = np.concatenate(chunks) if chunks else np.zeros(0)
        if not np.isfinite(values).all():
            raise ValueError(f"the similarity model {model!r} returned NaN or inf similarities")
        return values

    return score


def rank_texts(model: object, query: str, documents: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """The similarity of ``query`` to each document (float64, in the documents' order)."""
    model = as_text_model(model)
    check_text(query, "query")
    return text_scorer(model, query, "result", batch_size)(check_documents(documents))


def check_documents(documents: object, name: str = "documents") -> list[str]:
    """A non-empty list of non-empty strings, else an error naming ``name`` and the first bad item."""
    if isinstance(documents, str) or not isinstance(documents, Sequence):
        raise TypeError(f"{name} must be a list of strings, got {type(documents).__name__}")
    if len(documents) == 0:
        raise ValueError(f"{name} is empty; expected at least one document to rank")
    for index, document in enumerate(documents):
        check_text(document, f"{name}[{index}]")
    return list(documents)


@dataclasses.dataclass(frozen=True)
class TextMatch:
    """One ranked, explained document: its index in the list, rank (1 = most similar), score,
    first-order word values and word-to-word correspondence with the query."""

    index: int
    rank: int
    score: float
    document: str
    first_order: FirstOrderResult
    correspondence: Correspondence


def search_texts(
    model: object,
    query: str,
    documents: Sequence[str],
    top: int = 3,
    budget: int | None = None,
    first_budget: int | None = None,
    method: str = "auto",
    players: str = "words",
    background: object = "mask",
    random_state: int | np.random.Generator | None = None,
    progress: bool | None = None,
) -> tuple[np.ndarray, list[TextMatch]]:
    """Rank ``documents`` by similarity to ``query`` and explain the ``top`` best: ``(scores of
    every document, one TextMatch per explained document, best first)``. A query coalition one
    document's correspondence embedded is reused by the next (a shared ``query_cache``). A
    single-word document in the top is ranked, not explained (a warning names it)."""
    model = as_text_model(model)
    check_count(top, "top", 0)
    scores = rank_texts(model, query, documents)
    order = np.argsort(-scores, kind="stable")
    cache: dict = {}
    matches = []
    for rank, index in enumerate(order[:top], start=1):
        document = documents[index]
        if len(word_spans(document)) < 2 and players == "words":
            warnings.warn(f"documents[{index}] (rank {rank}, {document!r}) has a single word: ranked, not explained",
                          stacklevel=2)
            continue
        first = explain_text(model, query, document, players=players, background=background, budget=first_budget,
                             random_state=random_state, progress=progress)
        found = explain_text_correspondence(model, query, document, players=players, method=method, budget=budget,
                                            background=background, random_state=random_state, progress=progress,
                                            query_cache=cache)
        matches.append(TextMatch(int(index), rank, float(scores[index]), document, first, found))
    return scores, matches
