"""Exact enumeration: agrees with shapiq and shap, and satisfies the Shapley axioms."""

from __future__ import annotations

import numpy as np
import pytest
import shap
from hypothesis import given, settings
from hypothesis import strategies as st
from shapiq import ExactComputer

from axiomatic_search import FunctionGame, exact_shapley_taylor, exact_shapley_values, harsanyi_dividends
from axiomatic_search.exact import MAX_EXACT_PLAYERS, all_coalitions, game_table
from tests.conftest import relu_network_game


@pytest.mark.parametrize("n_players", [6, 9, 12])
def test_shapley_taylor_matches_shapiq_exact_computer(n_players):
    game = relu_network_game(n_players, seed=n_players)
    ours = exact_shapley_taylor(game)
    theirs = ExactComputer(n_players=n_players, game=game)(index="STII", order=2)
    assert abs(theirs[()] - ours.base_value) < 1e-10
    for i in range(n_players):
        assert abs(theirs[(i,)] - ours.main[i]) < 1e-10
        for j in range(i + 1, n_players):
            assert abs(theirs[(i, j)] - ours.pairs[i, j]) < 1e-10


@pytest.mark.parametrize("n_players", [6, 8])
def test_shapley_taylor_matches_shap_exact_explainer_convention(n_players):
    game = relu_network_game(n_players, seed=1)
    explainer = shap.explainers.ExactExplainer(game, shap.maskers.Independent(np.zeros((1, n_players))))
    shap_matrix = explainer(np.ones((1, n_players)), interactions=2).values[0]
    np.testing.assert_allclose(exact_shapley_taylor(game).as_shap_matrix(), shap_matrix, atol=1e-10)


def test_shapley_values_match_shap_exact_explainer():
    game = relu_network_game(7, seed=2)
    explainer = shap.explainers.ExactExplainer(game, shap.maskers.Independent(np.zeros((1, 7))))
    np.testing.assert_allclose(exact_shapley_values(game).values, explainer(np.ones((1, 7))).values[0], atol=1e-10)


def test_dividends_of_a_unanimity_game():
    game = FunctionGame(lambda c: (c[:, 1] & c[:, 3]).astype(float) * 2.5, 4)
    dividends = harsanyi_dividends(game_table(game, 4))
    expected = np.zeros(16)
    expected[0b1010] = 2.5
    np.testing.assert_allclose(dividends, expected, atol=1e-12)


def test_unanimity_game_splits_its_dividend_over_its_pairs():
    game = FunctionGame(lambda c: c[:, :3].all(axis=1).astype(float), 5)
    result = exact_shapley_taylor(game)
    np.testing.assert_allclose(result.main, 0.0, atol=1e-12)
    assert result.pairs[0, 1] == pytest.approx(1 / 3) and result.pairs[1, 2] == pytest.approx(1 / 3)
    assert result.pairs[0, 3] == 0.0 and result.pairs[3, 4] == 0.0


def test_all_coalitions_bit_order():
    assert all_coalitions(3)[5].tolist() == [True, False, True]


def test_refuses_too_many_players():
    game = FunctionGame(lambda c: c.sum(axis=1) * 1.0, MAX_EXACT_PLAYERS + 1)
    with pytest.raises(ValueError, match="MAX_EXACT_PLAYERS"):
        exact_shapley_taylor(game)


# Property tests: the axioms on random games (a random table of values).
tables = st.integers(2, 6).flatmap(
    lambda n: st.lists(st.floats(-10, 10), min_size=2**n, max_size=2**n).map(np.array)
)


def table_game(values: np.ndarray) -> FunctionGame:
    n = int(np.log2(len(values)))
    weights = 1 << np.arange(n)
    return FunctionGame(lambda c: values[c.astype(np.int64) @ weights], n)


@settings(max_examples=40, deadline=None)
@given(tables)
def test_efficiency(values):
    game = table_game(values)
    assert exact_shapley_values(game).efficiency_gap < 1e-9
    assert exact_shapley_taylor(game).efficiency_gap < 1e-9


@settings(max_examples=40, deadline=None)
@given(tables)
def test_dummy_player_gets_nothing(values):
    n = int(np.log2(len(values)))
    inner = table_game(values)  # player n is a dummy of the extended game
    game = FunctionGame(lambda c: inner(c[:, :n]), n + 1)
    assert abs(exact_shapley_values(game).values[n]) < 1e-9
    second = exact_shapley_taylor(game)
    assert abs(second.main[n]) < 1e-9 and np.abs(second.pairs[n]).max() < 1e-9


@settings(max_examples=40, deadline=None)
@given(tables, st.data(), st.floats(-3, 3))
def test_linearity(first, data, scale):
    # the second table is drawn for the first one's player count, so every generated case checks
    second = np.array(data.draw(st.lists(st.floats(-10, 10), min_size=len(first), max_size=len(first))))
    combined = table_game(first + scale * second)
    exact_first, exact_second = exact_shapley_taylor(table_game(first)), exact_shapley_taylor(table_game(second))
    exact_combined = exact_shapley_taylor(combined)
    np.testing.assert_allclose(exact_combined.pairs, exact_first.pairs + scale * exact_second.pairs, atol=1e-8)
    np.testing.assert_allclose(exact_combined.main, exact_first.main + scale * exact_second.main, atol=1e-8)
    np.testing.assert_allclose(exact_shapley_values(combined).values, exact_shapley_values(table_game(first)).values
                               + scale * exact_shapley_values(table_game(second)).values, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(tables, st.data())
def test_symmetry_under_relabelling(values, data):
    n = int(np.log2(len(values)))
    permutation = np.array(data.draw(st.permutations(range(n))))
    game = table_game(values)
    relabelled = FunctionGame(lambda c: game(c[:, permutation]), n)
    # original player j is present iff relabelled player permutation[j] is: relabelled
    # player k is original player inverse[k]
    inverse = np.argsort(permutation)
    original, moved = exact_shapley_taylor(game), exact_shapley_taylor(relabelled)
    np.testing.assert_allclose(moved.main, original.main[inverse], atol=1e-9)
    np.testing.assert_allclose(moved.pairs, original.pairs[np.ix_(inverse, inverse)], atol=1e-9)
    np.testing.assert_allclose(
        exact_shapley_values(relabelled).values, exact_shapley_values(game).values[inverse], atol=1e-9
    )
