"""shap_search: shap-native first- and second-order search explanations."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import shap  # noqa: E402
import torch  # noqa: E402

from axiomatic_search import exact_shapley_values  # noqa: E402
from axiomatic_search.models import CallableSimilarity, EmbeddingSimilarity  # noqa: E402
from axiomatic_search.search_games import FirstOrderSearchGame  # noqa: E402
from shap_search import (  # noqa: E402
    SearchExplainer,
    ShapleyTaylorExplainer,
    SuperpixelMasker,
    plots,
    similarity_to,
    to_shap_interactions,
)

RNG = np.random.default_rng(0)
QUERY, RESULT, OTHER = RNG.random((12, 12, 3)), RNG.random((12, 12, 3)), RNG.random((12, 12, 3))


def embedding_model() -> EmbeddingSimilarity:
    """Cosine similarity of a fixed random nonlinear embedding: a non-additive game."""
    generator = torch.Generator().manual_seed(0)
    projection = torch.randn(12 * 12 * 3, 6, generator=generator)
    return EmbeddingSimilarity(lambda x: torch.tanh(x.flatten(1) @ projection), metric="cosine")


def dot_model() -> CallableSimilarity:
    """Additive over pixels: Shapley (and Owen) values are known in closed form."""
    return CallableSimilarity(lambda q, r: (q * r).flatten(1).sum(1))


def core_exact(model, background="blur"):
    game = FirstOrderSearchGame.for_images(model, QUERY, RESULT, players=3, background=background)
    return exact_shapley_values(game)


def players_of(algorithm: str, model, max_evals: int, **kwargs) -> shap.Explanation:
    explainer = SearchExplainer(model, algorithm=algorithm, players=3, **kwargs)
    return explainer(QUERY, RESULT, max_evals=max_evals, random_state=0, output="players")


@pytest.mark.parametrize("algorithm,max_evals,tolerance", [("exact", None, 1e-8), ("kernel", 2**9, 1e-8),
                                                           ("permutation", 10000, 0.1)])
def test_algorithms_equal_the_core_exact_values(algorithm, max_evals, tolerance):
    model = embedding_model()
    exact = core_exact(model)
    explanation = players_of(algorithm, model, max_evals)
    scale = np.abs(exact.values).max()
    np.testing.assert_allclose(explanation.values[0], exact.values, atol=tolerance * scale)
    assert explanation.base_values[0] == pytest.approx(exact.base_value, abs=1e-6)  # v(∅)
    assert explanation.values[0].sum() == pytest.approx(exact.full_value - exact.base_value, abs=1e-6)
    pixels = SearchExplainer(model, algorithm=algorithm, players=3)(QUERY, RESULT, max_evals=max_evals, random_state=0)
    assert pixels.values[0].sum() == pytest.approx(exact.full_value - exact.base_value, abs=1e-6)
    np.testing.assert_allclose(pixels.values[0, :4, :4, 0], explanation.values[0, 0] / 16, atol=1e-12)


def test_partition_on_an_additive_model_gives_its_closed_form():
    query, result = QUERY[:6, :6], RESULT[:6, :6]
    explanation = SearchExplainer(dot_model(), algorithm="partition", background="black")(
        query, result, max_evals=2000, random_state=0)
    # d = Σ q·r is additive over pixels: each pixel's Shapley (and Owen) value is q·(r − 0),
    # summed over channels; the budget lets the partition tree reach single pixels
    np.testing.assert_allclose(explanation.values[0, :, :, 0], (query * result).sum(axis=2), atol=1e-5)
    assert explanation.base_values[0] == pytest.approx(0.0, abs=1e-6)


def test_pixel_explanations_for_a_ranked_list_and_the_query_side():
    explainer = SearchExplainer(embedding_model(), algorithm="kernel", players=3)
    explanation = explainer(QUERY, [RESULT, OTHER, QUERY], max_evals=100, random_state=0)
    assert explanation.values.shape == (3, 12, 12, 1) and explanation.data.shape == (3, 12, 12, 3)
    query_side = SearchExplainer(embedding_model(), players=3, explain="query")(QUERY, RESULT, max_evals=100)
    np.testing.assert_allclose(query_side.data[0], QUERY, atol=1e-6)


def test_counterfactual_background_explains_why_this_result_beats_that_one():
    model = embedding_model()
    explanation = players_of("exact", model, None, background=OTHER)
    with torch.inference_mode():
        versus_other = model(torch.tensor(QUERY).permute(2, 0, 1)[None].float(),
                             torch.tensor(OTHER).permute(2, 0, 1)[None].float()).item()
    assert explanation.base_values[0] == pytest.approx(versus_other, abs=1e-6)


def test_stock_shap_explainers_run_on_the_superpixel_masker():
    model = embedding_model()
    masker = SuperpixelMasker(RESULT, players=3)
    exact = shap.explainers.Exact(similarity_to(model, QUERY), masker)(RESULT[None])
    np.testing.assert_allclose(exact.values[0], core_exact(model).values, atol=1e-6)
    hierarchical = SuperpixelMasker(RESULT, players=3, hierarchical=True)
    partition = shap.explainers.Partition(similarity_to(model, QUERY), hierarchical)(RESULT[None], max_evals=100)
    assert partition.values.shape == (1, 9)
    assert partition.values[0].sum() == pytest.approx(exact.values[0].sum(), abs=1e-6)


def test_planted_patch_first_and_second_order():
    planted = CallableSimilarity(lambda q, r: (q[:, :, :6, :6] * r[:, :, :6, :6]).flatten(1).sum(1))
    first = SearchExplainer(planted, algorithm="exact", players=2, background="black")(QUERY, RESULT, output="players")
    assert np.argmax(first.values[0]) == 0 and np.allclose(first.values[0, 1:], 0.0, atol=1e-9)
    second = ShapleyTaylorExplainer(planted, players=2, background="black", method="exact")(QUERY, RESULT)
    block = second.query_result_block
    assert np.unravel_index(np.argmax(block), block.shape) == (0, 0)
    projected = second.project_mask((2, 2))
    assert projected[:6, :6].min() > 0 and np.abs(projected[6:]).max() == 0


def test_kernel_second_order_matches_exact_at_full_budget_and_converts_to_shap_layout():
    model = embedding_model()
    exact = ShapleyTaylorExplainer(model, players=2, method="exact")(QUERY, RESULT)
    # auto on an embedding model: the factorised estimator, exact from 2**4 + 2**4 forward passes
    factorised = ShapleyTaylorExplainer(model, players=2)(QUERY, RESULT, max_evals=2**5, random_state=0)
    np.testing.assert_allclose(factorised.pairs, exact.pairs, atol=1e-6)  # float32 embeddings, combined in float64
    kernel = ShapleyTaylorExplainer(model, players=2, method="kernel")(QUERY, RESULT, max_evals=2**8, random_state=0)
    np.testing.assert_allclose(kernel.pairs, exact.pairs, atol=1e-8)
    interactions = to_shap_interactions(kernel)
    assert interactions.values.shape == (1, 8, 8)
    assert interactions.feature_names[0] == "query 0" and interactions.feature_names[4] == "result 0"
    assert interactions.values.sum() == pytest.approx(kernel.full_value - kernel.base_value, abs=1e-9)


def test_default_max_evals_counts_forward_passes_for_embedding_models_and_joint_evaluations_otherwise():
    model = embedding_model()
    small = ShapleyTaylorExplainer(model, players=3)(QUERY, RESULT, random_state=0)  # 9 + 9 players
    assert small.n_evaluations == 2**9 + 2**9  # within 2,000 forward passes: both sides enumerated, exact
    large = ShapleyTaylorExplainer(model, players=4)(QUERY, RESULT, random_state=0)  # 16 + 16 players
    assert 1500 < large.n_evaluations <= 2000
    planted = CallableSimilarity(lambda q, r: (q * r).flatten(1).sum(1))
    joint = ShapleyTaylorExplainer(planted, players=(2, (2, 3)))(QUERY, RESULT, random_state=0)  # 4 + 6 players
    assert joint.n_evaluations == 2**10  # the paper's 20,000 joint evaluations cover all 1,024 coalitions


def test_reproducible_and_global_rng_untouched():
    np.random.seed(7)
    state = np.random.get_state()[1].copy()
    explainer = SearchExplainer(embedding_model(), algorithm="permutation", players=3)
    first = explainer(QUERY, RESULT, max_evals=200, random_state=3)
    second = explainer(QUERY, RESULT, max_evals=200, random_state=3)
    np.testing.assert_array_equal(first.values, second.values)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_shap_plots_accept_the_explanations(tmp_path):
    model = embedding_model()
    pixels = SearchExplainer(model, players=3)(QUERY, RESULT, max_evals=200, random_state=0)
    per_region = players_of("kernel", model, 200)
    for name, draw in [("image", lambda: shap.plots.image(pixels, show=False)),
                       ("bar", lambda: shap.plots.bar(per_region[0], show=False)),
                       ("waterfall", lambda: shap.plots.waterfall(per_region[0], show=False))]:
        draw()
        plt.gcf().savefig(tmp_path / f"{name}.png")
        plt.close("all")
        assert (tmp_path / f"{name}.png").stat().st_size > 5_000
    query_side = SearchExplainer(model, players=3, explain="query")(QUERY, RESULT, max_evals=200)
    plots.side_by_side(query_side, pixels, path=tmp_path / "pair.png")
    second = ShapleyTaylorExplainer(model, players=2)(QUERY, RESULT, max_evals=200, random_state=0)
    plots.correspondence(second, QUERY, RESULT, path=tmp_path / "correspondence.png")
    plt.close("all")
    assert (tmp_path / "pair.png").stat().st_size > 5_000
    assert (tmp_path / "correspondence.png").stat().st_size > 5_000


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="unknown algorithm 'deep'"):
        SearchExplainer(dot_model(), algorithm="deep")
    with pytest.raises(ValueError, match="output='pixels'"):
        SearchExplainer(dot_model(), algorithm="partition")(QUERY, RESULT, output="players")
    masker = SuperpixelMasker(RESULT, players=3)
    with pytest.raises(ValueError, match="built for 12×12 images"):
        masker(np.ones(9, dtype=bool), np.zeros((8, 8, 3)))
    wrong = CallableSimilarity(lambda q, r: torch.zeros(len(r), 3))
    with pytest.raises(ValueError, match=r"returned shape \(\d+, 3\)"):
        SearchExplainer(wrong, players=3)(QUERY, RESULT, max_evals=50)
    with pytest.raises(ValueError, match="NaN or inf"):
        SearchExplainer(CallableSimilarity(lambda q, r: torch.full((len(r),), float("nan"))),
                        algorithm="permutation", players=3)(QUERY, RESULT, max_evals=50)
    checkerboard = np.kron(np.eye(2), np.ones((6, 6)))[..., None].repeat(3, axis=2)
    with pytest.raises(ValueError, match="different numbers of players"):  # SLIC finds 4 and 5 regions
        SearchExplainer(dot_model(), n_segments=4)(QUERY, [RESULT, checkerboard], max_evals=50, output="players")
    with pytest.raises(ValueError, match="different sizes"):
        SearchExplainer(dot_model(), players=3)(QUERY, [RESULT, np.zeros((15, 15, 3))], max_evals=50)
    with pytest.raises(ValueError, match="counterfactual background has shape"):
        SearchExplainer(dot_model(), players=3, background=np.zeros((6, 6, 3)))(QUERY, RESULT, max_evals=50)


def test_superpixel_masker_refuses_another_image():
    masker = SuperpixelMasker(RESULT, players=3)
    with pytest.raises(ValueError, match="build a SuperpixelMasker for each image"):
        masker(np.ones(9, dtype=bool), OTHER)


def test_a_ranked_list_of_results_shares_the_query_and_equals_single_calls():
    model = embedding_model()
    explainer = ShapleyTaylorExplainer(model, players=2, method="factorised")
    ranked = explainer(QUERY, [RESULT, OTHER], max_evals=40, random_state=2)
    alone = [explainer(QUERY, result, max_evals=40, random_state=2) for result in (RESULT, OTHER)]
    for shared, single in zip(ranked, alone):
        np.testing.assert_array_equal(shared.pairs, single.pairs)
        np.testing.assert_array_equal(shared.main, single.main)
    stacked = explainer(QUERY, np.stack([RESULT, OTHER]), max_evals=40, random_state=2)
    np.testing.assert_array_equal(stacked[1].pairs, alone[1].pairs)
    # Kernel SHAP over a ranked list: inputs batched across results, values as one call per result
    first = SearchExplainer(model, players=3, batch_size=5)
    together = first(QUERY, [RESULT, OTHER], max_evals=30, random_state=4, output="players")
    for k, result in enumerate((RESULT, OTHER)):
        single = first(QUERY, result, max_evals=30, random_state=4, output="players")
        np.testing.assert_allclose(together.values[k], single.values[0], atol=1e-12)
