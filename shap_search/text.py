"""shap-native explanations of text similarity: which words of the result (or the query) make
a pair similar, as a ``shap.Explanation`` that ``shap.plots.text`` renders unchanged.

``algorithm``: ``"auto"`` / ``"exact"`` / ``"kernel"`` run the core's Shapley values over words
(exact up to 12 words by default, Kernel SHAP beyond), so values add up to ``v(N) − v(∅)``;
``"partition"`` runs shap's own ``PartitionExplainer`` with shap's ``Text`` masker over the
model's tokenizer (shap's hierarchical Owen values over tokens).

>>> import torch
>>> from axiomatic_search.models import EmbeddingSimilarity
>>> vocabulary = ["guitar", "plays", "sings"]
>>> bag = EmbeddingSimilarity(lambda texts: torch.tensor([[float(w in t.split()) for w in vocabulary]
...                                                       for t in texts]), metric="dot")
>>> explanation = TextSearchExplainer(bag)("he plays guitar", ["she sings", "she plays guitar"])
>>> explanation[1].data.tolist(), explanation[1].values.round(6).tolist()
(['she ', 'plays ', 'guitar'], [0.0, 1.0, 1.0])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import shap

from axiomatic_search._checks import check_choice, check_count, same_seed_per_item
from axiomatic_search.text import as_text_model, check_documents, check_text, explain_text, text_scorer
from axiomatic_search.text.words import DEFAULT_MASK_TOKEN

from .explainers import isolated_global_rng

ALGORITHMS = ("auto", "exact", "kernel", "partition")


class TextSearchExplainer:
    """First-order explanations of a text similarity model (a ``SentenceTransformer``, a
    ``CrossEncoder`` or any ``SimilarityModel`` over strings) as ``shap.Explanation``.

    ``explainer(query, results)`` explains one result (a string) or a ranked list (a list of
    strings) against ``query`` (``explain="query"``: the query's words against each result).
    Rows have one value per word (per token for ``"partition"``); ``data`` holds the text cut
    into those pieces, so ``shap.plots.text(explanation[0])`` shows the sentence coloured by
    credit. ``base_values`` are ``v(∅)``: the similarity with every word masked.
    """

    def __init__(self, model: object, algorithm: str = "auto", background: str = "mask",
                 explain: str = "result", batch_size: int = 64) -> None:
        self.model = as_text_model(model)
        self.algorithm = check_choice(algorithm, ALGORITHMS, "algorithm")
        self.explain = check_choice(explain, ("result", "query"), "explain")
        self.background, self.batch_size = background, check_count(batch_size, "batch_size")

    def __call__(self, query: str, results: str | Sequence[str], max_evals: int | None = None,
                 random_state: int | np.random.Generator | None = None) -> shap.Explanation:
        """Explain ``results`` against ``query``; ``max_evals``: model evaluations per result
        (None: exact where ``2^n ≤ 5,000``, else 5,000; 500 for ``"partition"``, shap's default)."""
        check_text(query, "query")
        items = [check_text(results, "results")] if isinstance(results, str) else check_documents(results, "results")
        if max_evals is not None:
            check_count(max_evals, "max_evals", 3)
        fresh = same_seed_per_item(random_state)
        rows = [self._partition(query, item, max_evals or 500, fresh()) if self.algorithm == "partition"
                else self._shapley(query, item, max_evals, fresh()) for item in items]
        values, base, data = zip(*rows)
        explanation = shap.Explanation(values=_stack(values), base_values=np.array(base), data=_stack(data),
                                       output_names="similarity")
        return explanation[0] if isinstance(results, str) else explanation

    def _shapley(self, query: str, result: str, max_evals: int | None, rng) -> tuple:
        first = explain_text(self.model, query, result, explain=self.explain, background=self.background,
                             method=self.algorithm, budget=max_evals, batch_size=self.batch_size, random_state=rng,
                             progress=False)
        return first.values, first.base_value, np.array(first.players.segments(), dtype=object)

    def _partition(self, query: str, result: str, max_evals: int, rng) -> tuple:
        tokenizer = getattr(self.model, "tokenizer", None)
        if tokenizer is None:
            raise ValueError("algorithm='partition' needs the model's tokenizer (shap's Text masker); this model "
                             "has none: use algorithm='auto'")
        explained, fixed = (result, query) if self.explain == "result" else (query, result)
        scorer = text_scorer(self.model, fixed, self.explain, self.batch_size)

        def score(texts) -> np.ndarray:  # shap hands numpy string arrays
            return scorer([str(text) for text in texts])

        masker = shap.maskers.Text(tokenizer, mask_token=getattr(self.model, "mask_token", None) or DEFAULT_MASK_TOKEN,
                                   collapse_mask_token=False)
        with isolated_global_rng(rng):
            explanation = shap.explainers.Partition(score, masker)([explained], max_evals=max_evals,
                                                                   batch_size=self.batch_size, silent=True)
        return (np.asarray(explanation.values[0], dtype=np.float64), float(np.ravel(explanation.base_values)[0]),
                np.asarray(explanation.data[0], dtype=object))


def _stack(rows: Sequence[np.ndarray]) -> np.ndarray:
    """Rows of one length as a 2-d array, ragged rows as an object array of arrays (shap's layout
    for texts of different lengths)."""
    if len({len(row) for row in rows}) == 1:
        return np.stack(rows)
    stacked = np.empty(len(rows), dtype=object)
    stacked[:] = list(rows)
    return stacked


__all__ = ["ALGORITHMS", "TextSearchExplainer"]
