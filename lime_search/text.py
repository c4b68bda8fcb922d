"""lime-native first-order explanations of text similarity: lime's own ``LimeTextExplainer``
with the similarity to the fixed other text as its one-output "classifier" (label 0).

Words are the core's (``axiomatic_search.text.words.WORD``, the players of ``explain_text``),
masked by position (``bow=False``) with the model's mask token, so lime's perturbed strings
are the core masker's. Returns lime's ``Explanation``: ``as_list(label=0)``, ``as_pyplot_figure``,
``show_in_notebook`` all work.

>>> import torch
>>> from axiomatic_search.models import EmbeddingSimilarity
>>> vocabulary = ["cat", "dog", "sat", "mat"]
>>> bag = EmbeddingSimilarity(lambda texts: torch.tensor(
...     [[float(w in t.lower().split()) for w in vocabulary] for t in texts]), metric="cosine")
>>> explanation = LimeTextSearchExplainer().explain_instance("the cat", "a cat sat", bag,
...                                                         num_samples=200, random_state=0)
>>> word, weight = explanation.as_list(label=0)[0]
>>> print(word, weight > 0)
cat True
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from lime.explanation import Explanation
from lime.lime_text import LimeTextExplainer

from axiomatic_search._checks import as_generator, check_choice, check_count
from axiomatic_search.models import SimilarityModel
from axiomatic_search.text import TextMasker, as_text_model, check_text, text_scorer
from axiomatic_search.text.words import WORD


def similarity_to_text(model: SimilarityModel, fixed: str, side: str = "result",
                       batch_size: int = 64) -> Callable[[Sequence[str]], np.ndarray]:
    """The model as lime's text explainer calls it: a list of strings (results, or queries with
    ``side="query"``) to float64 similarities ``(n, 1)`` with the fixed other text; each distinct
    string is scored once (a short text has few distinct maskings), ``batch_size`` at a time."""
    scorer = text_scorer(model, fixed, side, batch_size)

    def classifier_fn(texts: Sequence[str]) -> np.ndarray:
        index: dict[str, int] = {}
        rows = [index.setdefault(text, len(index)) for text in texts]
        return scorer(list(index))[rows, None]

    return classifier_fn


class LimeTextSearchExplainer:
    """First-order LIME for text search, on lime's own ``LimeTextExplainer``.

    ``kernel_width``, ``kernel`` and ``feature_selection`` are lime's (an exponential kernel of
    width 25 on the cosine distance ×100 between the binary word masks).
    """

    def __init__(self, kernel_width: float = 25, kernel: Callable | None = None,
                 feature_selection: str = "auto", verbose: bool = False) -> None:
        self.kernel_width, self.kernel = kernel_width, kernel
        self.feature_selection, self.verbose = feature_selection, verbose

    def explain_instance(
        self,
        query: str,
        result: str,
        model: object,
        explain: str = "result",
        num_samples: int = 5000,
        num_features: int | None = None,
        random_state: int | np.random.Generator | None = None,
        batch_size: int = 64,
        distance_metric: str = "cosine",
        model_regressor: object = None,
    ) -> Explanation:
        """Explain the words of ``result`` (or of ``query``, ``explain="query"``); label 0 is the
        similarity. ``num_features=None`` keeps every word."""
        check_choice(explain, ("result", "query"), "explain")
        check_text(query, "query"), check_text(result, "result")
        model = as_text_model(model)
        explained, fixed = (result, query) if explain == "result" else (query, result)
        masker = TextMasker(explained, mask_token=getattr(model, "mask_token", None), name=explain)
        n_words = masker.n_players
        check_count(num_samples, "num_samples", minimum=n_words + 1)  # a surrogate over n words: n + 1 samples
        check_count(batch_size, "batch_size")
        num_features = n_words if num_features is None else check_count(num_features, "num_features")
        # an int seed: lime would otherwise use numpy's global RandomState
        seed = int(as_generator(random_state).integers(2**31 - 1))
        explainer = LimeTextExplainer(kernel_width=self.kernel_width, kernel=self.kernel, verbose=self.verbose,
                                      class_names=["similarity"], feature_selection=self.feature_selection,
                                      split_expression=WORD.findall, bow=False, mask_string=masker.mask_token,
                                      random_state=seed)
        return explainer.explain_instance(
            explained, similarity_to_text(model, fixed, explain, batch_size), labels=(0,), top_labels=None,
            num_features=num_features, num_samples=num_samples, distance_metric=distance_metric,
            model_regressor=model_regressor)
