"""The benchmark game families: closed-form indices and vectorised evaluators."""

from __future__ import annotations

import numpy as np
import pytest

from axiomatic_search import exact_shapley_taylor
from benchmarks.game_families import (
    FAMILIES,
    RELU_LAYERS,
    ReluNetwork,
    indices_vector,
    make_game,
    masked_input_game,
    random_relu_network,
    random_unanimity_sum,
    unanimity_shapley_taylor,
)


@pytest.mark.parametrize("seed", range(5))
def test_unanimity_closed_form_matches_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    terms = random_unanimity_sum(rng, n_players=10, n_terms=(8, 15), max_order=6)
    closed = unanimity_shapley_taylor(terms)
    exact = exact_shapley_taylor(terms, n_players=10)
    np.testing.assert_allclose(closed.main, exact.main, rtol=0, atol=1e-10)
    np.testing.assert_allclose(closed.pairs, exact.pairs, rtol=0, atol=1e-10)
    assert closed.base_value == pytest.approx(exact.base_value, abs=1e-10)
    assert closed.full_value == pytest.approx(exact.full_value, abs=1e-10)
    assert closed.efficiency_gap < 1e-10


def test_unanimity_terms_cover_orders_and_evaluate_by_hand() -> None:
    terms = random_unanimity_sum(np.random.default_rng(0), n_players=10, n_terms=(12, 12), max_order=6)
    sizes = terms.members.sum(axis=1)
    assert len(sizes) == 12 and sizes.min() >= 1 and sizes.max() <= 6
    coalition = np.zeros(10, dtype=bool)
    coalition[:7] = True
    expected = sum(c for t, c in zip(terms.members, terms.coefficients) if not (t & ~coalition).any())
    assert terms(coalition[None])[0] == pytest.approx(expected)


def test_relu_network_evaluates_coalitions_by_hand() -> None:
    network = ReluNetwork(
        weights=(np.array([[1.0, -1.0], [2.0, 1.0]]), np.array([[1.0], [3.0]])),
        biases=(np.array([0.5, 0.0]), np.array([-1.0])),
    )
    x = np.array([2.0, -1.0])
    game = masked_input_game(network, x)
    coalitions = np.array([[False, False], [True, False], [False, True], [True, True]])
    # hidden = relu(x_S @ W1 + b1); output = hidden @ w2 + b2
    expected = [
        0.5 * 1 + 0 * 3 - 1,  # x_S = (0, 0): hidden (0.5, 0)
        2.5 * 1 + 0 * 3 - 1,  # x_S = (2, 0): hidden (2.5, relu(-2))
        0.0 * 1 + 0 * 3 - 1,  # x_S = (0, -1): hidden (relu(-1.5), relu(-1))
        0.5 * 1 + 0 * 3 - 1,  # x_S = (2, -1): hidden (0.5, relu(-3))
    ]
    np.testing.assert_allclose(game(coalitions), expected)


def test_relu_game_is_vectorised_and_masks_absent_players() -> None:
    rng = np.random.default_rng(1)
    network = random_relu_network(rng, RELU_LAYERS, bias=True)
    x = rng.standard_normal(RELU_LAYERS[0])
    game = masked_input_game(network, x)
    coalitions = rng.random((50, RELU_LAYERS[0])) < 0.5
    batch = game(coalitions)
    one_by_one = np.array([game(row[None])[0] for row in coalitions])
    np.testing.assert_allclose(batch, one_by_one, rtol=1e-12)
    row = coalitions[0]
    by_hand = np.where(row, x, 0.0)
    for k, (weight, bias) in enumerate(zip(network.weights, network.biases)):
        by_hand = by_hand @ weight + bias
        by_hand = np.maximum(by_hand, 0.0) if k < len(network.weights) - 1 else by_hand
    assert batch[0] == pytest.approx(by_hand[0], rel=1e-12)


def test_relu_initialisation_scales() -> None:
    network = random_relu_network(np.random.default_rng(2), RELU_LAYERS, bias=True)
    for (fan_in, fan_out), weight, bias in zip(
        zip(RELU_LAYERS[:-1], RELU_LAYERS[1:]), network.weights, network.biases
    ):
        assert weight.shape == (fan_in, fan_out)
        assert np.abs(weight).max() <= np.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(bias).max() <= 1.0 / np.sqrt(fan_in)
    unbiased = random_relu_network(np.random.default_rng(2), RELU_LAYERS, bias=False)
    assert all((b == 0).all() for b in unbiased.biases)


@pytest.mark.parametrize("family", FAMILIES)
def test_families_are_reproducible_and_exact(family: str) -> None:
    first, again, other = make_game(family, 0, seed=3), make_game(family, 0, seed=3), make_game(family, 1, seed=3)
    coalitions = np.random.default_rng(0).random((20, first.n_players)) < 0.5
    np.testing.assert_array_equal(first.game(coalitions), again.game(coalitions))
    assert not np.allclose(first.game(coalitions), other.game(coalitions))
    exact = first.exact
    assert indices_vector(exact).shape == (first.n_players * (first.n_players + 1) // 2,)
    assert exact.efficiency_gap < 1e-8
    assert exact.full_value == pytest.approx(first.game.full_value)
    assert exact.base_value == pytest.approx(first.game.empty_value)
    np.testing.assert_allclose(exact.main, first.game(np.eye(first.n_players, dtype=bool)) - exact.base_value)


def test_relu_family_has_zero_empty_value_and_bias_family_does_not() -> None:
    assert make_game("relu", 0).game.empty_value == 0.0
    assert make_game("relu-bias", 0).game.empty_value != 0.0


def test_unknown_family_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown family"):
        make_game("nope", 0)
