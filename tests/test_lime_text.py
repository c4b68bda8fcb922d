"""lime_search.text: lime's own ``LimeTextExplainer`` explanation of a text pair's similarity."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lime.explanation import Explanation

from axiomatic_search.models import CallableSimilarity, EmbeddingSimilarity
from axiomatic_search.text import TextMasker, all_minilm_l6_v2, explain_text
from lime_search.text import LimeTextSearchExplainer

VOCABULARY = ["cat", "dog", "sat", "mat", "ran", "park", "sun"]
QUERY, RESULT = "The dog ran in the park.", "A dog sat on the mat in the sun."  # share only "dog" (and stop words)


def bag_model() -> EmbeddingSimilarity:
    """Cosine of bags of the vocabulary's words: only shared vocabulary words make a pair similar."""
    return EmbeddingSimilarity(lambda texts: torch.tensor(
        [[float(w in t.lower().replace(".", " ").split()) for w in VOCABULARY] for t in texts]), metric="cosine")


@pytest.fixture(scope="module")
def minilm():
    return all_minilm_l6_v2()


def test_planted_shared_word_is_lime_top_feature():
    explanation = LimeTextSearchExplainer().explain_instance(QUERY, RESULT, bag_model(), num_samples=500,
                                                             random_state=0)
    word, weight = explanation.as_list(label=0)[0]
    assert word == "dog" and weight > 0
    assert {w for w, _ in explanation.as_list(label=0)} == set(TextMasker(RESULT).words)
    query_side = LimeTextSearchExplainer().explain_instance(QUERY, RESULT, bag_model(), explain="query",
                                                            num_samples=500, random_state=0)
    assert query_side.as_list(label=0)[0][0] == "dog" and query_side.as_list(label=0)[0][1] > 0


@pytest.mark.parametrize("explain", ["result", "query"])
def test_real_model_agrees_with_shapley(minilm, explain):
    query, result = "A man is playing a guitar.", "Someone plays an instrument."
    explanation = LimeTextSearchExplainer().explain_instance(query, result, minilm, explain=explain,
                                                             num_samples=1000, random_state=0)
    assert isinstance(explanation, Explanation) and explanation.class_names == ["similarity"]
    ranked = explanation.as_list(label=0)
    words = TextMasker(result if explain == "result" else query).words
    assert sorted(w for w, _ in ranked) == sorted(words)  # each word once, by position (bow=False)
    shapley = explain_text(minilm, query, result, explain=explain)
    top_two = [shapley.players.words[i] for i in np.argsort(-shapley.values)[:2]]
    assert ranked[0][0] in top_two and ranked[0][1] > 0  # "instrument" / "guitar" in both
    assert explanation.predict_proba[0] == pytest.approx(shapley.full_value, abs=1e-5)


def test_reproducible_and_global_rngs_untouched():
    np.random.seed(5)
    torch.manual_seed(5)
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.random.get_rng_state().clone()
    explainer = LimeTextSearchExplainer()
    runs = [explainer.explain_instance(QUERY, RESULT, bag_model(), num_samples=200, random_state=seed)
            for seed in (3, 3, np.random.default_rng(3), None)]
    assert runs[0].local_exp == runs[1].local_exp and runs[0].intercept == runs[1].intercept
    assert runs[2].local_exp[0] and runs[3].local_exp[0]
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_scores_each_distinct_string_once_in_chunks_of_batch_size():
    sizes, scored = [], []

    def score(queries, results):
        sizes.append(len(results))
        scored.extend(results)
        return torch.tensor([float(len(r)) for r in results])

    result = "one two three four five six seven eight nine ten eleven twelve"
    explanation = LimeTextSearchExplainer().explain_instance("a query", result, CallableSimilarity(score),
                                                             num_samples=300, batch_size=16, random_state=0)
    assert max(sizes) <= 16 and sizes[:-1] == [16] * (len(sizes) - 1)  # full chunks, the last one what is left
    assert len(scored) == len(set(scored)) and 200 < len(scored) < 300  # each distinct one once: lime repeats some
    assert explanation.predict_proba[0] == len(result)  # lime's first sample is the text itself


def test_bad_inputs_name_the_argument():
    explain = LimeTextSearchExplainer().explain_instance
    model = bag_model()
    for name, bad, error in [("query", "", ValueError), ("query", "   ", ValueError), ("query", 3, TypeError),
                             ("result", "", ValueError), ("result", "\n\t", ValueError), ("result", None, TypeError)]:
        pair = {"query": QUERY, "result": RESULT, name: bad}
        with pytest.raises(error, match=name):
            explain(pair["query"], pair["result"], model)
    with pytest.raises(TypeError, match="model"):
        explain(QUERY, RESULT, object())
    with pytest.raises(ValueError, match="num_samples must be at least 10"):  # 9 words in RESULT
        explain(QUERY, RESULT, model, num_samples=9)
    with pytest.raises(ValueError, match="explain"):
        explain(QUERY, RESULT, model, explain="both")
    with pytest.raises(ValueError, match="batch_size"):
        explain(QUERY, RESULT, model, batch_size=0)
    with pytest.raises(ValueError, match="result has a single word"):
        explain(QUERY, "dog", model)
