"""Estimators against exact enumeration; budgets, efficiency, reproducibility, bad input."""

from __future__ import annotations

import re
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axiomatic_search import (
    FunctionGame,
    KernelShap,
    KernelShapleyTaylor,
    PermutationShapleyTaylor,
    exact_shapley_taylor,
    exact_shapley_values,
)
from axiomatic_search.estimators.pair_algebra import (
    design_times,
    design_transpose_times,
    johnson_eigenvalues,
    apply_spectral,
    solve_pairs,
)
from axiomatic_search.estimators.kernel_shapley_taylor import shapley_taylor_size_mass
from axiomatic_search.estimators.kernel_shap import null_players
from axiomatic_search.estimators.sampling import allocate, sample_size_stratum, stratified_design
from tests.conftest import relu_network_game

SECOND_ORDER = [KernelShapleyTaylor(), PermutationShapleyTaylor()]


def relative_mse(estimate, exact) -> float:
    both = lambda r: np.concatenate([r.main, r.pair_values])  # noqa: E731
    return float(np.mean((both(estimate) - both(exact)) ** 2) / np.mean(both(exact) ** 2))


@pytest.mark.parametrize("n_players", [2, 3, 4, 7, 10])
def test_kernel_at_full_budget_equals_exact(n_players):
    game = relu_network_game(n_players, seed=n_players)
    estimate = KernelShapleyTaylor().estimate(game, budget=2**n_players, random_state=0)
    exact = exact_shapley_taylor(game)
    assert estimate.n_evaluations == 2**n_players
    np.testing.assert_allclose(estimate.pairs, exact.pairs, atol=1e-8)
    np.testing.assert_allclose(estimate.main, exact.main, atol=1e-12)


def test_kernel_shap_at_full_budget_equals_exact():
    game = relu_network_game(9, seed=3)
    estimate = KernelShap().estimate(game, budget=2**9, random_state=0)
    np.testing.assert_allclose(estimate.values, exact_shapley_values(game).values, atol=1e-8)


def test_null_player_probes_find_ignored_players_and_spend_their_evaluations():
    rng = np.random.default_rng(2)
    weights = rng.normal(size=10)
    weights[[1, 4, 7]] = 0.0
    game = FunctionGame(lambda c: np.tanh(c @ weights) + c[:, 0] * c[:, 2], 10)
    null, spent = null_players(game, 10, probes=2, rng=np.random.default_rng(0))
    assert null.tolist() == [i in (1, 4, 7) for i in range(10)] and spent == (2 + 2) * 11
    estimate = KernelShap(null_probes=2).estimate(game, budget=300, random_state=0)
    assert (estimate.values[[1, 4, 7]] == 0.0).all() and estimate.efficiency_gap < 1e-12
    assert estimate.n_evaluations <= 300
    np.testing.assert_allclose(estimate.values, exact_shapley_values(game).values, atol=0.02)
    with pytest.raises(ValueError, match="null_probes"):
        KernelShap(null_probes=-1)
    with pytest.raises(ValueError, match="null-player probes"):
        KernelShap(null_probes=5).estimate(game, budget=40)


@pytest.mark.parametrize("seed", range(20))
def test_null_player_probes_keep_the_players_of_an_and_game(seed):
    """Random coalitions rarely hold all three players of an AND: the grand-coalition probe does."""
    game = FunctionGame(lambda c: c[:, :3].all(axis=1).astype(float), 10)
    null, _ = null_players(game, 10, probes=2, rng=np.random.default_rng(seed))
    assert null.tolist() == [False] * 3 + [True] * 7
    estimate = KernelShap(null_probes=2).estimate(game, budget=200, random_state=seed)
    np.testing.assert_allclose(estimate.values, [1 / 3] * 3 + [0.0] * 7, atol=1e-9)


def test_cross_validated_shrinkage_needs_no_ridge_on_a_game_of_order_two_and_helps_on_a_sparse_one():
    rng = np.random.default_rng(0)
    n = 12
    pair_weights = np.triu(rng.normal(size=(n, n)), 1)
    linear = rng.normal(size=n)
    game = FunctionGame(lambda c: c @ linear + np.einsum("mi,ij,mj->m", c * 1.0, pair_weights, c * 1.0), n)
    estimate = KernelShapleyTaylor().estimate(game, budget=400, random_state=1)  # shrinkage="auto"
    np.testing.assert_allclose(estimate.pairs, pair_weights + pair_weights.T, atol=1e-6)
    from benchmarks.game_families import make_game

    sparse = make_game("sparse30", 0, seed=2)
    errors = {s: np.mean([relative_mse(KernelShapleyTaylor(shrinkage=s).estimate(sparse.game, 600, random_state=k),
                                       sparse.exact) for k in range(2)]) for s in ("auto", 0.0)}
    assert errors["auto"] < errors[0.0] / 3


def test_unshrunk_kernel_is_exact_on_games_of_order_two():
    """Without shrinkage, a game with only main effects and pair dividends is fitted exactly
    from a few samples (the regression's residual is zero)."""
    rng = np.random.default_rng(0)
    n = 12
    pair_weights = np.triu(rng.normal(size=(n, n)), 1)
    linear = rng.normal(size=n)
    game = FunctionGame(lambda c: c @ linear + np.einsum("mi,ij,mj->m", c * 1.0, pair_weights, c * 1.0), n)
    estimate = KernelShapleyTaylor(shrinkage=0.0).estimate(game, budget=400, random_state=1)
    np.testing.assert_allclose(estimate.pairs, pair_weights + pair_weights.T, atol=1e-8)


@pytest.mark.parametrize("estimator", [KernelShapleyTaylor(), KernelShapleyTaylor(1.0, 0.0), PermutationShapleyTaylor()])
def test_error_shrinks_as_the_budget_grows(estimator):
    game = relu_network_game(12, seed=5)
    exact = exact_shapley_taylor(game)
    errors = [np.mean([relative_mse(estimator.estimate(game, b, random_state=s), exact) for s in range(3)])
              for b in (300, 1000, 3000)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.01


def test_permutation_converges_to_exact():
    game = relu_network_game(6, seed=7)
    estimate = PermutationShapleyTaylor(max_permutations=500).estimate(game, budget=2**6, random_state=0)
    # with every coalition memoised, many permutations are free: the estimate gets close
    assert relative_mse(estimate, exact_shapley_taylor(game)) < 0.05


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 9), st.integers(0, 10**6), st.integers(0, 2**9), st.sampled_from([0, 1, 2]))
def test_efficiency_and_budget_for_every_estimator(n_players, seed, extra, which):
    game = relu_network_game(n_players, seed=seed % 97)
    estimator = [KernelShapleyTaylor(), PermutationShapleyTaylor(), KernelShap()][which]
    # the least each can do something with: one sampled coalition beyond the constraints, one
    # permutation (about n + n(n - 1) coalitions), a coalition pair per free Shapley value
    minimum = [n_players + 3, n_players * n_players + 2, 2 * n_players][which]
    budget = min(max(n_players + 2 + extra, minimum), 2**n_players)
    calls = []
    counted = FunctionGame(lambda c: calls.append(len(c)) or game(c), n_players)
    result = estimator.estimate(counted, budget, random_state=seed)
    assert result.efficiency_gap < 1e-9
    assert result.n_evaluations <= budget
    assert sum(calls) <= budget  # distinct coalitions only: the permutation's cache evaluates each once


def test_same_random_state_same_result_and_global_rng_untouched():
    game = relu_network_game(10, seed=1)
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    for estimator in SECOND_ORDER:
        first = estimator.estimate(game, 300, random_state=42)
        second = estimator.estimate(game, 300, random_state=42)
        np.testing.assert_array_equal(first.pairs, second.pairs)
    assert not np.array_equal(
        KernelShapleyTaylor().estimate(game, 300, random_state=1).pairs,
        KernelShapleyTaylor().estimate(game, 300, random_state=2).pairs,
    )
    np.testing.assert_array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize("estimator,too_small", [(KernelShapleyTaylor(), 7), (PermutationShapleyTaylor(), 7), (KernelShap(), 1)])
def test_budget_below_the_constraints_is_refused(estimator, too_small):
    game = relu_network_game(6, seed=0)
    with pytest.raises(ValueError, match=f"budget={too_small} is too small"):
        estimator.estimate(game, too_small, random_state=0)
    with pytest.raises(TypeError, match="budget must be an int"):
        estimator.estimate(game, 100.0)


def test_permutation_with_a_budget_above_all_coalitions_terminates():
    game = relu_network_game(5, seed=1)
    result = PermutationShapleyTaylor(max_permutations=200).estimate(game, budget=10**6, random_state=0)
    assert result.n_evaluations == 2**5
    assert relative_mse(result, exact_shapley_taylor(game)) < 0.05


def test_permutation_budget_too_small_for_one_permutation():
    with pytest.raises(ValueError, match="too small for one permutation"):
        PermutationShapleyTaylor().estimate(relu_network_game(8, seed=0), 20, random_state=0)


def test_nan_values_name_the_coalitions():
    game = FunctionGame(lambda c: np.where(c.sum(axis=1) == 3, np.nan, c.sum(axis=1) * 1.0), 5)
    with pytest.raises(ValueError, match=r"^FunctionGame returned \d+ non-finite value\(s\).*players \["):
        KernelShapleyTaylor().estimate(game, 32, random_state=0)
    plain = lambda c: np.where(c.sum(axis=1) == 3, np.nan, c.sum(axis=1) * 1.0)  # noqa: E731 - a bare callable
    for estimator in (KernelShapleyTaylor(), PermutationShapleyTaylor(), KernelShap()):
        with pytest.raises(ValueError, match=r"^game returned \d+ non-finite value\(s\).*players \["):
            estimator.estimate(plain, 32, random_state=0, n_players=5)


def test_wrong_coalition_shape_and_values():
    game = FunctionGame(lambda c: c.sum(axis=1) * 1.0, 4)
    with pytest.raises(ValueError, match=r"shape \(m, 4\)"):
        game(np.ones((3, 5), dtype=bool))
    with pytest.raises(ValueError, match="booleans or 0/1"):
        game(np.full((2, 4), 0.5))
    bad = FunctionGame(lambda c: np.zeros((len(c), 2)), 4)
    with pytest.raises(ValueError, match="returned values of shape"):
        bad(np.ones((3, 4), dtype=bool))


def test_random_state_type_is_checked():
    with pytest.raises(TypeError, match="random_state"):
        KernelShapleyTaylor().estimate(relu_network_game(4, 0), 16, random_state="seed")


# Building blocks.
def test_allocation_enumerates_what_the_budget_covers():
    mass = shapley_taylor_size_mass(15)
    capacity = {s: comb(15, s) for s in mass}
    counts = allocate(1000 - 17, capacity, mass)
    assert sum(counts.values()) == 1000 - 17
    for size in (2, 14):  # the heaviest kernel mass per coalition: enumerated whole
        assert counts[size] == capacity[size]
    assert counts[7] < capacity[7]
    assert all(counts[s] <= capacity[s] for s in counts)


@pytest.mark.parametrize("n_players,size,count", [(10, 4, 200), (40, 20, 300)])
def test_strata_are_distinct_and_of_the_right_size(n_players, size, count):
    rows = sample_size_stratum(n_players, size, count, np.random.default_rng(0))
    assert rows.shape == (count, n_players)
    assert (rows.sum(axis=1) == size).all()
    assert len(np.unique(rows, axis=0)) == count


def test_stratified_design_weights_sum_to_the_kernel_mass():
    mass = shapley_taylor_size_mass(20)
    for power in (1.0, 0.5):
        design = stratified_design(20, 3000, mass, np.random.default_rng(0), allocation_power=power)
        assert design.weights.sum() == pytest.approx(sum(mass.values()))
        assert len(np.unique(design.coalitions, axis=0)) == 3000
        assert 0 < design.sampled_mass < sum(mass.values())


def test_implicit_design_products_match_the_explicit_matrix():
    rng = np.random.default_rng(0)
    n = 7
    coalitions = rng.random((30, n)) < 0.5
    rows, cols = np.triu_indices(n, 1)
    explicit = (coalitions[:, rows] & coalitions[:, cols]).astype(float)
    pairs = np.zeros((n, n))
    pairs[rows, cols] = rng.normal(size=len(rows))
    pairs += pairs.T
    np.testing.assert_allclose(design_times(coalitions * 1.0, pairs), explicit @ pairs[rows, cols])
    u = rng.normal(size=30)
    np.testing.assert_allclose(design_transpose_times(coalitions * 1.0, u)[rows, cols], explicit.T @ u)


def test_johnson_eigenvalues_match_the_expected_gram_matrix():
    n = 6
    mass = shapley_taylor_size_mass(n)
    from itertools import combinations

    rows, cols = np.triu_indices(n, 1)
    gram = np.zeros((len(rows), len(rows)))
    for size, weight in mass.items():
        for members in combinations(range(n), size):
            z = np.isin(rows, members) & np.isin(cols, members)
            gram += weight / comb(n, size) * np.outer(z, z)
    rng = np.random.default_rng(1)
    pairs = np.zeros((n, n))
    pairs[rows, cols] = rng.normal(size=len(rows))
    pairs += pairs.T
    applied = apply_spectral(pairs, johnson_eigenvalues(n, mass))
    np.testing.assert_allclose(applied[rows, cols], gram @ pairs[rows, cols], atol=1e-12)


def test_conjugate_gradient_solution_matches_a_dense_kkt_solve():
    rng = np.random.default_rng(2)
    n = 8
    coalitions = rng.random((120, n)) < 0.5
    weights, targets, total = rng.random(120), rng.normal(size=120), 1.7
    rows, cols = np.triu_indices(n, 1)
    z = (coalitions[:, rows] & coalitions[:, cols]).astype(float)
    gram = z.T @ (weights[:, None] * z)
    kkt = np.block([[gram, np.ones((len(rows), 1))], [np.ones((1, len(rows))), np.zeros((1, 1))]])
    dense = np.linalg.solve(kkt, np.concatenate([z.T @ (weights * targets), [total]]))[:-1]
    mass = shapley_taylor_size_mass(n)
    eigen = johnson_eigenvalues(n, mass)
    ours = solve_pairs(coalitions, weights, targets, total, eigen)
    np.testing.assert_allclose(ours[rows, cols], dense, atol=1e-8)
    # with a ridge λ Uᵀ E U the solution matches the dense penalised KKT system
    expected_gram = np.stack([apply_spectral(_unit(n, k), eigen)[rows, cols] for k in range(len(rows))], axis=1)
    kkt[:-1, :-1] += 0.3 * expected_gram
    start = np.full(len(rows), total / len(rows))
    rhs = np.concatenate([z.T @ (weights * targets) + 0.3 * expected_gram @ start, [total]])
    ridged = np.linalg.solve(kkt, rhs)[:-1]
    np.testing.assert_allclose(solve_pairs(coalitions, weights, targets, total, eigen, ridge=0.3)[rows, cols],
                               ridged, atol=1e-8)


def _unit(n: int, k: int) -> np.ndarray:
    rows, cols = np.triu_indices(n, 1)
    out = np.zeros((n, n))
    out[rows[k], cols[k]] = out[cols[k], rows[k]] = 1.0
    return out


@pytest.mark.parametrize("n_players,budget", [(10, 300), (11, 500), (30, 2000)])
def test_paired_designs_hold_complements_and_stay_distinct(n_players, budget):
    from axiomatic_search.estimators.kernel_shap import shapley_size_mass

    mass = shapley_size_mass(n_players)
    design = stratified_design(n_players, budget, mass, np.random.default_rng(0), paired=True)
    rows = {row.tobytes() for row in design.coalitions}
    assert len(rows) == len(design.coalitions) == budget
    sampled = design.coalitions[design.sampled]
    complements_present = np.mean([(~row).tobytes() in rows for row in sampled])
    assert complements_present > 0.95  # all but, at most, one odd coalition per middle size
    assert design.weights.sum() == pytest.approx(sum(mass.values()))


def test_paired_kernel_shap_beats_unpaired_on_a_nonlinear_game():
    game = relu_network_game(14, seed=2)
    exact = exact_shapley_values(game).values
    error = lambda estimator: np.mean([np.mean((estimator.estimate(game, 300, random_state=s).values - exact) ** 2)  # noqa: E731
                                       for s in range(5)])
    assert error(KernelShap()) < error(KernelShap(paired=False))


def test_review_regressions_inputs():
    game = FunctionGame(lambda c: c.sum(axis=1) * 1.0, 4)
    np.testing.assert_array_equal(game(np.eye(4, dtype=bool)[::-1]), np.ones(4))  # negative strides
    nan_game = FunctionGame(lambda c: np.where(c.all(axis=1), np.nan, 1.0), 4)
    with pytest.raises(ValueError, match="non-finite"):
        exact_shapley_taylor(nan_game)
    with pytest.raises(ValueError, match="n_players must be a positive int"):
        KernelShapleyTaylor().estimate(lambda c: c.sum(axis=1), 10, n_players=0)
    with pytest.raises(ValueError, match="shrinkage"):
        KernelShapleyTaylor(shrinkage=float("nan"))


def test_paired_middle_stratum_is_unbiased():
    """With an odd count at size n/2, the unpaired last row must still be uniform."""
    inclusion = np.zeros(6)
    for seed in range(400):
        rows = stratified_design(6, 5, {3: 1.0}, np.random.default_rng(seed), paired=True).coalitions
        inclusion += rows[-1]
    assert np.abs(inclusion / 400 - 0.5).max() < 0.12


@pytest.mark.parametrize("estimator, extra, what", [
    (KernelShapleyTaylor(), 1, "the empty, grand and 6 singleton coalitions and 1 sampled one(s)"),
    (PermutationShapleyTaylor(), 0, "the empty, grand and 6 singleton coalitions"),
])
def test_second_order_smallest_budgets_say_what_they_pay_for(estimator, extra, what):
    game = relu_network_game(6, seed=0)
    smallest = 6 + 2 + extra
    with pytest.raises(ValueError, match=re.escape(f"budget={smallest - 1} is too small: {what} needs at least {smallest}")):
        estimator.estimate(game, smallest - 1, random_state=0)
    tiny = FunctionGame(lambda c: c.sum(axis=1) * 1.0, 2)  # 2 players: 4 coalitions, fewer than n + 2 + 1
    assert KernelShapleyTaylor().estimate(tiny, 4, random_state=0).n_evaluations == 4
