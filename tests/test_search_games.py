"""Search games, maskers and backgrounds on tiny torch models with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search import exact_shapley_values
from axiomatic_search.backgrounds import Averaged, Blur, Constant, Counterfactual, MeanColor, get_background
from axiomatic_search.explain import explain_first_order, explain_second_order
from axiomatic_search.images import as_image_tensor, grid_segments, slic_segments
from axiomatic_search.masking import ImageMasker, VectorMasker
from axiomatic_search.models import CallableSimilarity, EmbeddingSimilarity, GreyBoxSimilarity, get_metric
from axiomatic_search.search_games import FirstOrderSearchGame, SecondOrderSearchGame


def patch_model(rows=slice(0, 4), cols=slice(0, 4)) -> CallableSimilarity:
    """Similarity that looks only at one patch: the dot product of the patch pixels."""
    return CallableSimilarity(lambda q, r: (q[:, :, rows, cols] * r[:, :, rows, cols]).flatten(1).sum(1))


def test_first_order_game_values_are_the_masked_similarities():
    rng = np.random.default_rng(0)
    query, result = rng.random((8, 8, 3)), rng.random((8, 8, 3))
    game = FirstOrderSearchGame.for_images(patch_model(), query, result, players=2, background="black")
    values = game(np.array([[True, False, False, False], [False, True, True, True]]))
    q, r = as_image_tensor(query), as_image_tensor(result)
    assert values[0] == pytest.approx(float((q[:, :4, :4] * r[:, :4, :4]).sum()), rel=1e-6)
    assert values[1] == pytest.approx(0.0)


def test_planted_patch_gets_all_the_credit_and_correspondence_finds_it():
    rng = np.random.default_rng(1)
    query, result = rng.random((8, 8, 3)), rng.random((8, 8, 3))
    model = patch_model()
    first = explain_first_order(
        FirstOrderSearchGame.for_images(model, query, result, players=2, background="black"), method="exact"
    )
    assert np.argmax(first.values) == 0 and np.allclose(first.values[1:], 0.0)
    assert first.to_pixels().shape == (8, 8)
    second = explain_second_order(
        SecondOrderSearchGame.for_images(model, query, result, players=2, background="black"), method="exact"
    )
    block = second.query_result_block
    assert np.unravel_index(np.argmax(block), block.shape) == (0, 0)
    projected = second.project_mask((1, 1))  # a point in the query's top-left cell
    assert projected[:4, :4].min() > 0 and np.allclose(projected[4:, :], 0) and np.allclose(projected[:, 4:], 0)


def test_query_side_explanation_and_averaged_backgrounds():
    rng = np.random.default_rng(2)
    query, result = rng.random((8, 8, 3)), rng.random((8, 8, 3))
    model = patch_model()
    twice = Averaged([Constant(0.0), Constant(1.0)])
    game = FirstOrderSearchGame.for_images(model, query, result, explain="query", players=2, background=twice)
    singles = [FirstOrderSearchGame.for_images(model, query, result, explain="query", players=2, background=b)
               for b in (Constant(0.0), Constant(1.0))]
    coalitions = np.array([[True, False, True, False], [False, False, False, False]])
    np.testing.assert_allclose(game(coalitions), (singles[0](coalitions) + singles[1](coalitions)) / 2, rtol=1e-6)


def test_evaluation_streams_in_batches():
    seen = []

    def similarity(q, r):
        seen.append(len(r))
        return (q * r).flatten(1).sum(1)

    image = np.random.default_rng(3).random((8, 8, 3))
    game = FirstOrderSearchGame.for_images(CallableSimilarity(similarity), image, image, players=4, batch_size=7)
    game(np.random.default_rng(0).random((50, 16)) < 0.5)
    assert max(seen) <= 7 and sum(seen) == 50


def test_vector_games_and_embedding_model():
    model = EmbeddingSimilarity(lambda x: x, metric="dot")
    masker = VectorMasker(np.array([1.0, 2.0, 3.0]), background=np.zeros(3))
    game = FirstOrderSearchGame(model, np.array([1.0, 1.0, 1.0]), masker)
    # d = x·y is additive: the Shapley values are the products
    np.testing.assert_allclose(exact_shapley_values(game).values, [1.0, 2.0, 3.0], atol=1e-6)
    grouped = VectorMasker(np.array([1.0, 2.0, 3.0]), background=np.zeros(3), groups=np.array([0, 0, 1]))
    assert grouped.n_players == 2


def test_metrics_and_grey_box_head():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]])
    assert get_metric("cosine")(a, b).item() == pytest.approx(2**-0.5)
    assert get_metric("neg_euclidean")(a, b).item() == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="unknown metric 'cos'"):
        get_metric("cos")
    model = GreyBoxSimilarity(torch.nn.Identity(), metric="dot")
    with pytest.raises(ValueError, match="channel"):
        model.head(torch.ones(1, 2, 3, 3), torch.ones(1, 3, 3, 3))


def test_backgrounds():
    image = torch.rand(3, 16, 16)
    assert Blur(25)(image).shape == (1, 3, 16, 16)
    assert torch.allclose(MeanColor()(image)[0, :, 0, 0], image.mean(dim=(1, 2)))
    assert get_background("black")(image).abs().sum() == 0
    with pytest.raises(ValueError, match="counterfactual background has shape"):
        Counterfactual(np.zeros((8, 8, 3)))(image)
    with pytest.raises(ValueError, match="unknown background"):
        get_background("gray")
    with pytest.raises(ValueError, match="positive odd"):
        Blur(4)


def test_segmentations():
    labels = slic_segments(np.random.default_rng(0).random((32, 32, 3)), n_segments=8)
    assert labels.shape == (32, 32) and labels.min() == 0 and len(np.unique(labels)) == labels.max() + 1
    assert len(np.unique(grid_segments(10, 10, (2, 5)))) == 10


def test_bad_inputs_get_clear_errors():
    image = np.random.default_rng(0).random((8, 8, 3))
    with pytest.raises(ValueError, match="players has shape"):
        ImageMasker(image, players=np.zeros((4, 4), dtype=int))  # players as a label map
    with pytest.raises(ValueError, match="integer labels"):
        ImageMasker(image, players=np.zeros((8, 8)))
    with pytest.raises(ValueError, match="image has int32 pixels; pass uint8"):
        as_image_tensor(np.zeros((8, 8, 3), dtype=np.int32))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        as_image_tensor(np.zeros((8, 8, 3, 2)))
    with pytest.raises(ValueError, match="NaN or inf"):
        as_image_tensor(np.full((8, 8, 3), np.nan))
    with pytest.raises(ValueError, match="unknown explain"):
        FirstOrderSearchGame.for_images(patch_model(), image, image, explain="both")
    wrong_shape = CallableSimilarity(lambda q, r: torch.zeros(len(q), 2))
    game = FirstOrderSearchGame.for_images(wrong_shape, image, image, players=2)
    with pytest.raises(ValueError, match=r"returned shape \(\d+, 2\).*expected"):
        game(np.ones((3, 4), dtype=bool))
    nan_model = CallableSimilarity(lambda q, r: torch.full((len(q),), float("nan")))
    game = FirstOrderSearchGame.for_images(nan_model, image, image, players=2)
    with pytest.raises(ValueError, match="non-finite"):
        game(np.ones((2, 4), dtype=bool))
    with pytest.raises(ValueError, match="unknown method"):
        explain_first_order(game, 10, method="lime")
    with pytest.raises(ValueError, match="explicit budget"):
        explain_second_order(game)
