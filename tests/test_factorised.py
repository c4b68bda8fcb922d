"""The factorised (dual-encoder) path: product Gram algebra, exactness against enumeration,
convergence, image games against the joint game, and clear errors."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
import torch

from axiomatic_search import FunctionGame, KernelShapleyTaylor, exact_shapley_taylor
from axiomatic_search.backgrounds import Averaged, Blur, Constant
from axiomatic_search.estimators.pair_algebra import design_times, design_transpose_times
from axiomatic_search.factorised import (
    EmbeddingSearchGame,
    FactorisedShapleyTaylor,
    FunctionFactorisedGame,
    ProductGram,
    product_design,
    stratum_mass,
)
from axiomatic_search.exact import all_coalitions
from axiomatic_search.factorised.design import allocate_sides, constraint_budget
from axiomatic_search.factorised.estimator import combine_within_pairs
from axiomatic_search.factorised.exact import exact_bilinear_shapley_taylor
from axiomatic_search.masking import ImageMasker
from axiomatic_search.metrics import cell_accuracy
from axiomatic_search.models import CallableSimilarity, EmbeddingSimilarity
from axiomatic_search.search_games import SecondOrderSearchGame


def side_network(n_players: int, seed: int, width: int = 6):
    """A random ReLU embedding of the present players' inputs (nonlinear, with a bias)."""
    rng = np.random.default_rng(seed)
    x, w1, b1 = rng.normal(size=n_players), rng.normal(size=(n_players, 10)), rng.normal(size=10)
    w2 = rng.normal(size=(10, width))
    return lambda coalitions: np.maximum((coalitions * x) @ w1 + b1, 0.0) @ w2 + 0.5


def cosine_matrix(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    left = left / left.norm(dim=1, keepdim=True)
    right = right / right.norm(dim=1, keepdim=True)
    return left @ right.T


def cosine_game(n_query: int, n_result: int, seed: int = 0) -> FunctionFactorisedGame:
    return FunctionFactorisedGame(side_network(n_query, seed), side_network(n_result, seed + 100),
                                  n_query, n_result, combine=cosine_matrix)


def relative_error(estimate, exact) -> float:
    both = np.concatenate([estimate.main - exact.main, estimate.pair_values - exact.pair_values])
    return float(np.sum(both**2) / np.sum(np.concatenate([exact.main, exact.pair_values]) ** 2))


@pytest.mark.parametrize("n_query, n_result", [(3, 5), (4, 2)])
def test_product_gram_equals_the_gram_of_the_materialised_design(n_query, n_result):
    rng = np.random.default_rng(1)
    design = product_design(n_query, n_result, 14, rng)
    x, y = design.query.coalitions, design.result.coalitions
    joint = np.concatenate([np.repeat(x, len(y), axis=0), np.tile(y, (len(x), 1))], axis=1).astype(float)
    weights = design.weights[np.repeat(x.sum(1), len(y)), np.tile(y.sum(1), len(x))]
    pairs = rng.normal(size=(n_query + n_result,) * 2)
    pairs = pairs + pairs.T
    np.fill_diagonal(pairs, 0.0)
    expected = design_transpose_times(joint, weights * design_times(joint, pairs))
    np.testing.assert_allclose(ProductGram(x, y, design.weights)(pairs), expected, atol=1e-10)


def test_the_bilinear_right_hand_side_equals_the_one_from_every_joint_value():
    rng = np.random.default_rng(2)
    design = product_design(6, 5, 40, rng)
    u, v = rng.normal(size=(len(design.query.coalitions), 7)), rng.normal(size=(len(design.result.coalitions), 7))
    offset_x, offset_y = rng.normal(size=len(u)), rng.normal(size=len(v))
    gram = ProductGram(design.query.coalitions, design.result.coalitions, design.weights)
    dense = gram.right_hand_side(lambda rows: u[rows] @ v.T - offset_x[rows, None] - offset_y, 3)
    np.testing.assert_allclose(gram.bilinear_right_hand_side(u, v, offset_x, offset_y), dense, atol=1e-10)


@pytest.mark.parametrize("n_query, n_result", [(4, 3), (2, 5), (1, 4)])
def test_enumerating_both_sides_gives_the_exact_indices(n_query, n_result):
    game = cosine_game(n_query, n_result, seed=n_query)
    exact = exact_shapley_taylor(game)
    estimate = FactorisedShapleyTaylor(within_share=0).estimate(game, 2**n_query + 2**n_result, random_state=0)
    np.testing.assert_allclose(estimate.pairs, exact.pairs, atol=1e-9)
    np.testing.assert_allclose(estimate.main, exact.main, atol=1e-12)
    assert estimate.n_query == n_query
    assert estimate.n_evaluations == 2**n_query + 2**n_result


def test_efficiency_is_exact_and_the_budget_is_respected_at_every_budget():
    embedded = []  # side coalitions the game really computed

    def counted(side):
        return lambda coalitions: (embedded.append(len(coalitions)), side(coalitions))[1]

    game = FunctionFactorisedGame(counted(side_network(6, 0)), counted(side_network(5, 100)), 6, 5,
                                  combine=cosine_matrix)
    for within_share in (0.0, 0.5, 0.9):
        for budget in (constraint_budget(6, 5), 20, 40, 100, 300):
            embedded.clear()
            estimate = FactorisedShapleyTaylor(within_share).estimate(game, budget, random_state=3)
            assert estimate.efficiency_gap < 1e-12
            assert estimate.n_evaluations == sum(embedded) <= budget


@pytest.mark.parametrize("within_share", [0.0, 0.5])
def test_the_error_falls_with_the_budget_and_is_small_at_a_fraction_of_full_enumeration(within_share):
    game = cosine_game(8, 7, seed=5)
    exact = exact_shapley_taylor(game)

    def mean_error(budget: int) -> float:
        return float(np.mean([relative_error(FactorisedShapleyTaylor(within_share).estimate(game, budget, random_state=s),
                                             exact) for s in range(4)]))

    errors = [mean_error(b) for b in (60, 150, 300)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.05  # 300 forward passes: 78 % of full enumeration (384), 0.9 % of 2**15 joint values


def test_within_image_blocks_are_blended_by_their_estimated_errors_and_the_total_is_kept():
    rng = np.random.default_rng(0)
    n, n_query = 9, 4
    truth = rng.normal(size=(n, n))
    truth = truth + truth.T
    np.fill_diagonal(truth, 0.0)
    noisy = truth + 0.5 * (lambda e: e + e.T)(rng.normal(size=(n, n)))
    np.fill_diagonal(noisy, 0.0)
    sharp_permutations = combine_within_pairs(noisy, truth, np.full((n, n), 1e-6), n_query)
    np.testing.assert_allclose(sharp_permutations[:n_query, :n_query], truth[:n_query, :n_query], atol=1e-3)
    np.testing.assert_allclose(sharp_permutations[n_query:, n_query:], truth[n_query:, n_query:], atol=1e-3)
    noisy_permutations = combine_within_pairs(truth, noisy, np.full((n, n), 100.0), n_query)
    np.testing.assert_allclose(noisy_permutations, truth, atol=1e-12)  # regression kept, total unchanged
    for blended in (sharp_permutations, noisy_permutations):
        assert blended.sum() == pytest.approx(noisy.sum() if blended is sharp_permutations else truth.sum())
        np.testing.assert_allclose(blended, blended.T)


def test_the_blend_beats_both_of_its_sources_of_within_image_pairs():
    """10 + 10 players, 600 forward passes: the blended within-image pairs are closer to the exact
    ones than the permutation estimate and the regression it blends, each on its share."""
    u = side_network(10, 0, width=8)(all_coalitions(10))
    w = side_network(10, 50, width=8)(all_coalitions(10))
    powers = 1 << np.arange(10)
    game = FunctionFactorisedGame(lambda c: u[c @ powers], lambda c: w[c @ powers], 10, 10)
    exact = exact_bilinear_shapley_taylor(u, w)
    within = ~np.eye(20, dtype=bool) & (np.add.outer(np.arange(20) < 10, np.arange(20) < 10) != 1)
    errors = {"blend": [], "permutation": [], "regression": []}
    for seed in range(4):
        blended = FactorisedShapleyTaylor(0.5).estimate(game, 600, random_state=seed)
        assert blended.efficiency_gap < 1e-10 and blended.n_evaluations <= 600
        sampled, _, passes = FactorisedShapleyTaylor._within_pairs(game, (600 - constraint_budget(10, 10)) // 2,
                                                                   np.random.default_rng(seed))
        regression = FactorisedShapleyTaylor(0.0).estimate(game, 600 - passes, random_state=seed).pairs
        for name, pairs in (("blend", blended.pairs), ("permutation", sampled), ("regression", regression)):
            errors[name].append(np.mean((pairs - exact.pairs)[within] ** 2))
    mean = {name: float(np.mean(values)) for name, values in errors.items()}
    assert mean["blend"] < 0.8 * min(mean["permutation"], mean["regression"])


def test_the_factorised_estimator_beats_the_joint_kernel_at_equal_forward_passes():
    game = cosine_game(7, 7, seed=2)
    exact = exact_shapley_taylor(game)
    ours = np.mean([relative_error(FactorisedShapleyTaylor(within_share=0).estimate(game, 120, random_state=s), exact)
                    for s in range(3)])
    joint = np.mean([relative_error(KernelShapleyTaylor().estimate(game, 60, random_state=s), exact)
                     for s in range(3)])  # each joint coalition embeds both sides: 2 forward passes
    assert ours < joint / 5


def test_exact_bilinear_indices_equal_enumeration_beyond_tiny_games():
    rng = np.random.default_rng(0)
    u, w = rng.normal(size=(2**5, 7)), rng.normal(size=(2**4, 7))
    powers_q, powers_r = 1 << np.arange(5), 1 << np.arange(4)
    game = FunctionGame(lambda c: np.einsum("md,md->m", u[c[:, :5] @ powers_q], w[c[:, 5:] @ powers_r]), 9)
    exact = exact_shapley_taylor(game)
    ours = exact_bilinear_shapley_taylor(u, w)
    np.testing.assert_allclose(ours.pairs, exact.pairs, atol=1e-10)
    np.testing.assert_allclose(ours.main, exact.main, atol=1e-12)
    assert ours.efficiency_gap < 1e-10


def test_same_seed_same_estimate_and_global_generators_untouched():
    game = cosine_game(6, 6)
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.random.get_rng_state().clone()
    first = FactorisedShapleyTaylor().estimate(game, 60, random_state=7)
    second = FactorisedShapleyTaylor().estimate(game, 60, random_state=7)
    np.testing.assert_array_equal(first.pairs, second.pairs)
    assert not np.array_equal(first.pairs, FactorisedShapleyTaylor().estimate(game, 60, random_state=8).pairs)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_allocation_spends_the_budget_within_capacity():
    for budget in (0, 10, 100, 1000, 10**6):
        query, result = allocate_sides(budget, 9, 6)
        spent = sum(query.values()) + sum(result.values())
        capacity = sum(comb(9, s) for s in range(2, 9)) + sum(comb(6, t) for t in range(2, 6))
        assert spent == min(budget, capacity)
        assert all(count <= comb(9, size) for size, count in query.items())
    mass = stratum_mass(3, 4)
    assert mass.shape == (4, 5) and mass[0, 0] == mass[1, 0] == mass[3, 4] == 0.0


def test_every_free_size_gets_a_coalition_once_the_budget_has_one_for_each():
    query, result = allocate_sides(64, 16, 16)  # the Neyman rule alone can leave middle sizes without any
    assert sorted(query) == sorted(result) == list(range(2, 16))
    assert sum(query.values()) + sum(result.values()) == 64
    query, result = allocate_sides(20, 16, 16)  # fewer than the 28 free sizes: the rule decides
    assert sum(query.values()) + sum(result.values()) == 20
    assert allocate_sides(964, 16, 16)[0][3] == 157  # budgets where it gives every size some: unchanged


# --- images -----------------------------------------------------------------------------------


def tiny_encoder(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten())


def test_image_game_values_equal_the_joint_search_game_for_non_square_images_and_two_backgrounds():
    rng = np.random.default_rng(0)
    query, result = rng.random((12, 16, 3)), rng.random((18, 10, 3))
    model = EmbeddingSimilarity(tiny_encoder(), metric="cosine")
    background = Averaged([Blur(5), Constant(0.3)])
    factorised = EmbeddingSearchGame(model, ImageMasker(query, players=(2), background=background),
                                     ImageMasker(result, players=3, background=background), batch_size=7)
    joint = SecondOrderSearchGame(model, ImageMasker(query, players=2, background=background),
                                  ImageMasker(result, players=3, background=background))
    coalitions = rng.random((13, 4 + 9)) < 0.5
    np.testing.assert_allclose(factorised(coalitions), joint(coalitions), atol=1e-6)
    every = factorised.combine(factorised.embed_query(coalitions[:, :4]), factorised.embed_result(coalitions[:, 4:]))
    np.testing.assert_allclose(np.diag(every), joint(coalitions), atol=1e-6)


def colour_cells(order: np.ndarray, colours: np.ndarray, cell: int = 6) -> np.ndarray:
    """A 3 × 3 image of flat colour cells: cell ``k`` holds colour ``order[k]``."""
    image = np.zeros((3 * cell, 3 * cell, 3))
    for k, colour in enumerate(order):
        row, col = divmod(k, 3)
        image[row * cell : (row + 1) * cell, col * cell : (col + 1) * cell] = colours[colour]
    return image


def test_a_planted_permutation_is_recovered_from_a_few_hundred_forward_passes():
    """A dual encoder of random colour features: query cell k matches the result cell that
    holds its colour, and the factorised correspondence finds every one."""
    rng = np.random.default_rng(4)
    colours = rng.random((9, 3))
    permutation = rng.permutation(9)  # query cell k lands in result cell permutation[k]
    query = colour_cells(np.arange(9), colours)
    result = colour_cells(np.argsort(permutation), colours)
    features = torch.from_numpy(rng.normal(size=(3, 64)) * 6.0).float()

    def embed(images: torch.Tensor) -> torch.Tensor:
        pixels = images.flatten(2).transpose(1, 2)  # (B, HW, 3)
        return torch.relu(torch.cos(pixels @ features)).mean(dim=1)

    model = EmbeddingSimilarity(embed, metric="cosine")
    game = EmbeddingSearchGame.for_images(model, query, result, players=3, background="black")
    estimate = FactorisedShapleyTaylor().estimate(game, 300, random_state=0)
    assert cell_accuracy(estimate.query_result_block, permutation) == 1.0


# --- errors -----------------------------------------------------------------------------------


def test_embedding_models_that_misbehave_get_errors_naming_the_model():
    image = np.random.default_rng(0).random((8, 8, 3))

    def run(embed):
        game = EmbeddingSearchGame.for_images(EmbeddingSimilarity(embed), image, image, players=2)
        return FactorisedShapleyTaylor().estimate(game, 20, random_state=0)

    def wrong_shape(images):
        return images.flatten(1)[:, :5][:1]

    with pytest.raises(ValueError, match=r"embedding model EmbeddingSimilarity\(embed=.*wrong_shape.*returned shape"):
        run(wrong_shape)
    with pytest.raises(ValueError, match="NaN or inf embeddings"):
        run(lambda images: images.flatten(1) * float("nan"))
    width = {"calls": 0}

    def widths(images):
        width["calls"] += 1
        return images.flatten(1)[:, : 4 + width["calls"] % 2]

    with pytest.raises(ValueError, match="query embeddings of width .* result embeddings of width"):
        run(widths)


def test_models_and_games_that_cannot_factorise_are_refused_clearly():
    image = np.zeros((8, 8, 3))
    with pytest.raises(TypeError, match="must be an EmbeddingSimilarity"):
        EmbeddingSearchGame.for_images(CallableSimilarity(lambda q, r: (q * r).sum((1, 2, 3))), image, image)
    with pytest.raises(TypeError, match="needs a factorised game"):
        FactorisedShapleyTaylor().estimate(FunctionGame(lambda c: c.sum(1) * 1.0, 4), 20)
    with pytest.raises(ValueError, match="budget=5 is too small"):
        FactorisedShapleyTaylor().estimate(cosine_game(3, 3), 5)
    with pytest.raises(ValueError, match="allocation_power"):
        FactorisedShapleyTaylor(allocation_power=2.0)
    with pytest.raises(ValueError, match=r"players as a tuple must be \(query players, result players\)"):
        EmbeddingSearchGame.for_images(EmbeddingSimilarity(tiny_encoder()), image, image, players=(2, 2, 2))
