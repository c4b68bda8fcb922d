"""explain_correspondence: the method auto picks for each kind of model, the grey-box closed
forms against the propositions they implement, players of any layout, and the benchmark pairs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search import exact_shapley_taylor
from axiomatic_search.correspondence import (
    SHAPLEY_TAYLOR_RATIO,
    auto_method,
    cell_weights,
    explain_correspondence,
    integrated_hessians,
    players_block,
    second_order_sam,
)
from axiomatic_search.datasets import TRANSFORMS, transformed_pair
from axiomatic_search.feature_games import SecondOrderFeatureMapGame
from axiomatic_search.images import grid_segments
from axiomatic_search.metrics import cell_accuracy
from axiomatic_search.models import CallableSimilarity, EmbeddingSimilarity, GreyBoxSimilarity
from axiomatic_search.search_games import SecondOrderSearchGame


def conv_backbone(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, stride=2, padding=1), torch.nn.ReLU())


def test_auto_picks_the_cheapest_faithful_method_for_each_kind_of_model():
    grey = GreyBoxSimilarity(conv_backbone())
    embedding = EmbeddingSimilarity(lambda x: x.flatten(1))
    scorer = CallableSimilarity(lambda q, r: (q * r).flatten(1).sum(1))
    assert [auto_method(m) for m in (grey, embedding, scorer)] == ["ig-sam", "factorised", "kernel"]
    image = np.random.default_rng(0).random((8, 12, 3))
    for model, expected in ((grey, "ig-sam"), (embedding, "factorised"), (scorer, "kernel")):
        found = explain_correspondence(model, image, image[:, ::-1], players=2, budget=60, random_state=0)
        assert found.method == expected
        assert found.block.shape == (4, 4)
        assert found.n_forward_passes <= 60
        assert found.project_mask((0, 0)).shape == (8, 12)


class CountingEmbedding:
    """``x -> mean colour per channel``, counting the images it embeds."""

    def __init__(self) -> None:
        self.images = 0

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        self.images += len(images)
        return images.flatten(2).mean(2) + torch.linspace(0.1, 0.3, 3)


@pytest.mark.parametrize("method", ["factorised", "kernel", "permutation", "ig-sam"])
@pytest.mark.parametrize("background", ["blur", "two backgrounds"])
def test_forward_passes_reported_are_the_images_the_model_embedded(method, background):
    from axiomatic_search.backgrounds import Averaged, Blur, Constant

    if background == "two backgrounds":
        background = Averaged([Blur(3), Constant(0.5)])
    embed = CountingEmbedding()
    model = GreyBoxSimilarity(lambda x: embed(x)[:, :, None, None].expand(-1, -1, 2, 2)) if method == "ig-sam" \
        else EmbeddingSimilarity(embed)
    image = np.random.default_rng(0).random((8, 12, 3))
    found = explain_correspondence(model, image, image[::-1], players=(2, (1, 3)), method=method, budget=300,
                                   background=background, random_state=0)
    if method == "ig-sam":  # the query, the result and their blurred backgrounds
        assert found.n_forward_passes == 4
    else:
        assert found.n_forward_passes == embed.images <= 300
    assert found.block.shape == (4, 3)


def test_cell_weights_split_feature_cells_over_players_and_sum_blocks_exactly():
    labels = grid_segments(12, 8, (3, 2))  # non-square image, non-square grid
    weights = cell_weights((4, 4), labels)
    assert weights.shape == (16, 6)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    block = np.random.default_rng(0).normal(size=(16, 9))
    result_weights = cell_weights((3, 3), grid_segments(9, 9, 3))  # one feature cell per player
    np.testing.assert_allclose(result_weights, np.eye(9))
    np.testing.assert_allclose(players_block(block, weights, result_weights).sum(), block.sum())


def test_sam_block_is_the_exact_shapley_taylor_block_of_gap_dot_on_players_that_are_feature_cells():
    """Prop. 5.1 through explain_correspondence: each player is one feature cell (stride 2,
    grid cells of 2 × 2 pixels), zero backgrounds, query and result of different shapes."""
    model = GreyBoxSimilarity(conv_backbone(1), metric="dot")
    rng = np.random.default_rng(1)
    query, result = rng.random((6, 4, 3)).astype(np.float32), rng.random((4, 6, 3)).astype(np.float32)
    found = explain_correspondence(model, query, result, players=((3, 2), (2, 3)), method="sam", background="zero")
    with torch.no_grad():
        x = model.feature_maps(torch.from_numpy(query.transpose(2, 0, 1))[None])[0]
        y = model.feature_maps(torch.from_numpy(result.transpose(2, 0, 1))[None])[0]
    exact = exact_shapley_taylor(SecondOrderFeatureMapGame(model, x, y))
    assert found.block.shape == (6, 6)
    np.testing.assert_allclose(found.block, exact.query_result_block, atol=1e-6)


def test_integrated_hessians_are_a_quarter_of_shapley_taylor_on_gap_dot_and_ig_sam_rescales_them():
    """A.12 with backgrounds, and explain_correspondence's ig-sam on the Shapley–Taylor scale."""
    model = GreyBoxSimilarity(conv_backbone(2), metric="dot")
    rng = np.random.default_rng(2)
    x, a = torch.from_numpy(rng.random((6, 3, 2))), torch.from_numpy(rng.random((6, 3, 2)))
    y, b = torch.from_numpy(rng.random((6, 2, 2))), torch.from_numpy(rng.random((6, 2, 2)))
    hessians = integrated_hessians(model.head, x, a, y, b, n_steps=6)  # float64 maps: the head is GAP + dot
    np.testing.assert_allclose(hessians.numpy(), SHAPLEY_TAYLOR_RATIO * second_order_sam(x, a, y, b).numpy(),
                               atol=1e-12)
    image = rng.random((8, 8, 3))
    ig = explain_correspondence(model, image, image[::-1], players=4, method="ig-sam").block
    sam = explain_correspondence(model, image, image[::-1], players=4, method="sam").block
    np.testing.assert_allclose(ig, sam, rtol=1e-5, atol=1e-7)


def test_sampled_methods_agree_with_enumeration_on_a_small_pair():
    backbone = torch.nn.Sequential(conv_backbone(3), torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten())
    model = EmbeddingSimilarity(backbone, metric="cosine")
    rng = np.random.default_rng(3)
    query, result = rng.random((8, 8, 3)), rng.random((8, 6, 3))
    exact = explain_correspondence(model, query, result, players=((2, 2), (2, 1)), method="exact")
    game = SecondOrderSearchGame.for_images(model, query, result, players=((2, 2), (2, 1)))
    np.testing.assert_allclose(exact.block, exact_shapley_taylor(game).query_result_block, atol=1e-12)
    full = explain_correspondence(model, query, result, players=((2, 2), (2, 1)), method="factorised", budget=20,
                                  random_state=0)
    assert full.n_forward_passes == 2**4 + 2**2
    np.testing.assert_allclose(full.block, exact.block, atol=1e-6)
    assert full.second_order.efficiency_gap < 1e-9


def test_errors_name_the_argument():
    image = np.zeros((8, 8, 3))
    embedding = EmbeddingSimilarity(lambda x: x.flatten(1))
    with pytest.raises(ValueError, match="unknown method 'fastest'"):
        explain_correspondence(embedding, image, image, method="fastest")
    with pytest.raises(TypeError, match="method='ig-sam' needs a GreyBoxSimilarity"):
        explain_correspondence(embedding, image, image, method="ig-sam")
    with pytest.raises(TypeError, match="budget must be an int"):
        explain_correspondence(embedding, image, image, budget=2.5)


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_transformed_pairs_know_where_every_cell_lands(transform):
    pair = transformed_pair("astronaut", transform, size=64, grid=4)
    assert pair.query.shape == pair.result.shape == (64, 64, 3)
    assert pair.true_cells.shape == (16,)
    kept = pair.true_cells >= 0
    assert kept.sum() >= 4
    if transform == "permute":  # the result's cells are exactly the query's tiles, moved
        assert sorted(pair.true_cells.tolist()) == list(range(16)) and (pair.true_cells != np.arange(16)).all()
        for k, target in enumerate(pair.true_cells):
            r, c, tr, tc = k // 4, k % 4, target // 4, target % 4
            np.testing.assert_array_equal(pair.query[16 * r : 16 * r + 16, 16 * c : 16 * c + 16],
                                          pair.result[16 * tr : 16 * tr + 16, 16 * tc : 16 * tc + 16])
    if transform == "flip":
        np.testing.assert_array_equal(pair.true_cells.reshape(4, 4), np.arange(16).reshape(4, 4)[:, ::-1])
    # the true cells are where the content went: the result's pixel where each query cell centre
    # lands is (up to interpolation) the query's pixel at that centre
    centres = (np.stack(np.meshgrid(np.arange(4), np.arange(4), indexing="ij"), -1).reshape(-1, 2) + 0.5) * 16
    for k in np.flatnonzero(kept):
        row, col = np.minimum(pair.landed[k].astype(int), 63)
        assert pair.true_cells[k] == (row // 16) * 4 + col // 16
        near = pair.result[max(row - 1, 0) : row + 2, max(col - 1, 0) : col + 2].reshape(-1, 3)
        source = pair.query[int(centres[k, 0]), int(centres[k, 1])]
        assert np.abs(near - source).sum(axis=1).min() < 0.25
    again = transformed_pair("astronaut", transform, size=64, grid=4)
    np.testing.assert_array_equal(again.result, pair.result)


def test_cell_accuracy_checks_its_inputs():
    with pytest.raises(ValueError, match="one entry per query cell"):
        cell_accuracy(np.zeros((4, 4)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="no query cell has a true result cell"):
        cell_accuracy(np.zeros((2, 2)), np.array([-1, -1]))
    with pytest.raises(ValueError, match="unknown transform"):
        transformed_pair("astronaut", "rotate")


def test_integrated_hessians_refuse_a_head_without_gradients_and_name_it():
    def detached_head(query_maps, result_maps):
        return (query_maps.mean((2, 3)) * result_maps.mean((2, 3))).sum(1).detach()

    maps = torch.rand(4, 2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="the head .*detached_head is not differentiable.*method='factorised'"):
        integrated_hessians(detached_head, maps, maps * 0, maps, maps * 0)
