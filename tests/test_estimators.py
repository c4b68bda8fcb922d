"""Estimators against exact enumeration; budgets, efficiency, reproducibility, bad input."""

from __future__ import annotations

import itertools
import re
import warnings
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


def dense_ridge_pairs(game, rows: np.ndarray, shrinkage: float) -> np.ndarray:
    """The kernel Shapley–Taylor ridge solved densely from its definition, for the design ``rows``:
    minimise ``Σ w_s (t_s − z_s·Φ)² + λ UᵀEU`` over pair values ``Φ = total/P + U`` with ``Σ U = 0``,
    ``w_s = mass(|s|) / count(|s|)``, ``E = Σ_size mass · E[z zᵀ]`` and
    ``λ = shrinkage · (sampled mass / total mass) · P / (sampled rows)``, by one KKT system."""
    n = rows.shape[1]
    mass = {s: (n - 1) / (comb(s, 2) * (n - s)) for s in range(2, n)}
    pairs = list(itertools.combinations(range(n), 2))
    indicators = lambda coalitions: np.array([[c[i] and c[j] for i, j in pairs] for c in coalitions], float)  # noqa: E731
    sizes = rows.sum(axis=1)
    counts = np.bincount(sizes, minlength=n + 1)
    weights = np.array([mass[s] / counts[s] for s in sizes])
    sampled = np.array([counts[s] < comb(n, s) for s in sizes])
    expected_gram = sum(mass[s] * np.mean([np.outer(z, z) for z in indicators(
        [np.isin(np.arange(n), members) for members in itertools.combinations(range(n), s)])], axis=0) for s in mass)
    empty, full = game(np.zeros((1, n), bool))[0], game(np.ones((1, n), bool))[0]
    main = game(np.eye(n, dtype=bool)) - empty
    targets = game(rows) - empty - rows @ main
    n_pairs = len(pairs)
    uniform = (full - empty - main.sum()) / n_pairs
    ridge = shrinkage * weights[sampled].sum() / sum(mass.values()) * n_pairs / sampled.sum()
    z = indicators(rows)
    kkt = np.zeros((n_pairs + 1, n_pairs + 1))
    kkt[:n_pairs, :n_pairs] = z.T @ (weights[:, None] * z) + ridge * expected_gram
    kkt[:n_pairs, n_pairs] = kkt[n_pairs, :n_pairs] = 1.0
    rhs = np.append(z.T @ (weights * (targets - z.sum(axis=1) * uniform)), 0.0)
    values = uniform + np.linalg.solve(kkt, rhs)[:n_pairs]
    out = np.zeros((n, n))
    for (i, j), value in zip(pairs, values):
        out[i, j] = out[j, i] = value
    return out


def recorded_design(n: int, game, budget: int, random_state: int, **options):
    """The estimate, and the sampled design rows it evaluated (after the n + 2 constraints)."""
    seen: list[np.ndarray] = []
    recording = FunctionGame(lambda c: seen.append(c.copy()) or game(c), n)
    estimate = KernelShapleyTaylor(**options).estimate(recording, budget, random_state=random_state)
    return estimate, np.concatenate(seen)[n + 2 :]


@pytest.mark.parametrize("shrinkage", [0.5, 1.0, 8.0])
def test_the_ridge_equals_a_dense_constrained_ridge_regression(shrinkage):
    """The shrinkage path against its definition (strength, kernel weights, target matrix E)."""
    n = 7
    game = relu_network_game(n, seed=3)
    estimate, rows = recorded_design(n, game, 60, 5, shrinkage=shrinkage)
    sizes = rows.sum(axis=1)
    assert len(rows) == 51 and {comb(n, s) > np.sum(sizes == s) for s in set(sizes)} == {True, False}  # both kinds
    np.testing.assert_allclose(estimate.pairs, dense_ridge_pairs(game, rows, shrinkage), atol=1e-9)
    unshrunk = dense_ridge_pairs(game, rows, 0.0)
    assert np.abs(estimate.pairs - unshrunk).max() > 1e-3  # the ridge does something here


def test_the_default_shrinkage_is_cross_validated_over_its_documented_grid():
    from axiomatic_search.estimators.kernel_shapley_taylor import CV_FOLDS, SHRINKAGE_GRID

    assert (SHRINKAGE_GRID, CV_FOLDS) == ((0.0, 0.5, 2.0, 8.0), 3)
    default = KernelShapleyTaylor()
    assert (default.shrinkage, default.allocation_power) == ("auto", 0.5)
    n = 7
    game = relu_network_game(n, seed=3)
    # too few sampled coalitions to cross-validate (3 < 2 folds' worth): the default is 2.0
    with pytest.warns(RuntimeWarning, match="underdetermined"):
        estimate, rows = recorded_design(n, game, n + 2 + 3, 1)
    assert len(rows) == 3
    np.testing.assert_allclose(estimate.pairs, dense_ridge_pairs(game, rows, 2.0), atol=1e-9)
    # enough to cross-validate: the answer is the dense ridge at one of the grid's strengths
    estimate, rows = recorded_design(n, game, 60, 5)
    gaps = [np.abs(estimate.pairs - dense_ridge_pairs(game, rows, s)).max() for s in SHRINKAGE_GRID]
    assert min(gaps) < 1e-9


@pytest.mark.parametrize("paired", [True, False])
def test_kernel_shap_plan_solved_on_the_games_values_is_estimate(paired):
    """``plan`` draws the coalitions ``estimate`` would evaluate (same random state), so solving
    them with the game's values gives ``estimate``'s answer; probing needs values, so it is refused."""
    game = relu_network_game(9, seed=6)
    plan = KernelShap(paired=paired).plan(9, budget=120, random_state=4)
    assert plan.coalitions.shape == (120, 9) and plan.coalitions[1].all() and not plan.coalitions[0].any()
    assert len({row.tobytes() for row in plan.coalitions}) == 120
    planned = plan.solve(game(plan.coalitions))
    estimated = KernelShap(paired=paired).estimate(game, 120, random_state=4)
    np.testing.assert_array_equal(planned.values, estimated.values)
    assert planned.n_evaluations == estimated.n_evaluations == 120
    with pytest.raises(ValueError, match="null_probes=0"):
        KernelShap(null_probes=1).plan(9, budget=120)
    with pytest.raises(ValueError, match="budget"):
        KernelShap(paired=paired).plan(9, budget=9)


def test_one_null_probe_finds_a_player_that_matters_only_between_the_empty_and_grand_coalitions():
    """``v = 1[|S| = 3]`` over 6 players is flat at ∅ and N: only random probes show every player
    matters; one probe (a random coalition) is a valid setting and costs (1 + 2)(n + 1)."""
    game = FunctionGame(lambda c: (c.sum(axis=1) == 3).astype(float), 6)
    null, spent = null_players(game, 6, probes=20, rng=np.random.default_rng(0))
    assert not null.any() and spent == 22 * 7
    null, spent = null_players(game, 6, probes=1, rng=np.random.default_rng(1))
    assert spent == 3 * 7 and null.shape == (6,)


def test_null_players_compare_changes_with_the_games_own_scale():
    """A contribution of 1e-9 is zero for a game of scale 1e6 (below 1e-12 of it) and not for a game
    of scale 1: the tolerance is relative."""
    weights = np.array([1.0, -2.0, 0.5, 1.5, 0.0, 0.0])
    large = FunctionGame(lambda c: 1e6 * np.tanh(c @ weights) + 1e-9 * c[:, 4], 6)
    small = FunctionGame(lambda c: np.tanh(c @ weights) + 1e-9 * c[:, 4], 6)
    found_large, _ = null_players(large, 6, probes=2, rng=np.random.default_rng(0))
    found_small, _ = null_players(small, 6, probes=2, rng=np.random.default_rng(0))
    assert found_large.tolist() == [False] * 4 + [True, True]
    assert found_small.tolist() == [False] * 5 + [True]


def test_constrained_least_squares_on_tiny_designs_and_its_rank_warning():
    from axiomatic_search.estimators.kernel_shap import solve_constrained_linear

    assert solve_constrained_linear(np.ones((1, 1)), np.ones(1), np.array([5.0]), total=2.0).tolist() == [2.0]
    # two players, one row: x0 alone worth 3, total 4 -> (3, 1) exactly
    np.testing.assert_allclose(solve_constrained_linear(np.array([[1.0, 0.0]]), np.ones(1), np.array([3.0]), 4.0), [3, 1])
    # three players, one row: it pins u0 = 2 − 1 in φ = (1, 1, 1) + (u0, u1, −u0 − u1); u1 takes its
    # minimum norm, 0, so φ = (2, 1, 0)
    with pytest.warns(RuntimeWarning, match="pin down 1 of the 2 free values"):
        found = solve_constrained_linear(np.array([[1.0, 0.0, 0.0]]), np.ones(1), np.array([2.0]), 3.0)
    np.testing.assert_allclose(found, [2.0, 1.0, 0.0])
    design = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # full rank: no warning
        np.testing.assert_allclose(solve_constrained_linear(design, np.ones(2), np.array([1.0, 2.0]), 6.0), [1, 2, 3])


def test_kernel_shap_counts_its_probes_and_takes_any_numeric_values():
    game = relu_network_game(7, seed=8)
    estimate = KernelShap(null_probes=2).estimate(game, budget=100, random_state=0)
    assert estimate.n_evaluations == 100  # (2 + 2) · 8 probes, the rest on the design
    plan = KernelShap().plan(7, budget=40, random_state=0)
    assert plan.coalitions.dtype == bool
    yes_no = plan.coalitions[:, 0] & plan.coalitions[:, 1]  # an AND game's values, as booleans
    np.testing.assert_allclose(plan.solve(yes_no).values, plan.solve(yes_no.astype(float)).values)
    assert plan.solve(yes_no, spent=5).n_evaluations == 45


@pytest.mark.parametrize("paired, probes, n, smallest, what", [
    (True, 0, 5, 10, "the empty and grand coalitions and 4 pairs of coalitions for 4 free values"),
    (False, 0, 5, 6, "the empty and grand coalitions and 4 coalitions for 4 free values"),
    (True, 1, 5, 28, "the empty and grand coalitions, 18 null-player probes and 4 pairs of coalitions for 4 free values"),
    (True, 1, 3, 8, "the empty and grand coalitions, 12 null-player probes and 2 pairs of coalitions for 2 free values"),
])
def test_kernel_shap_smallest_budget_is_what_its_constraints_need(paired, probes, n, smallest, what):
    """The least budget Kernel SHAP takes, by hand: ∅ and N, the probes' (probes + 2)(n + 1), and
    one coalition (a pair when paired) per free value — never more than all 2ⁿ coalitions."""
    game = relu_network_game(n, seed=9)
    estimator = KernelShap(paired=paired, null_probes=probes)
    if smallest < 2**n:
        assert estimator.estimate(game, smallest, random_state=0).n_evaluations <= smallest
    with pytest.raises(ValueError, match=re.escape(f"budget={smallest - 1} is too small: Kernel SHAP over {n} players "
                                                   f"({what}) needs at least {smallest} evaluations")):
        estimator.estimate(game, smallest - 1, random_state=0)


def test_kernel_shap_of_a_game_that_ignores_everyone_and_at_a_budget_that_enumerates():
    flat = FunctionGame(lambda c: np.full(len(c), 0.7), 6)
    found = KernelShap(null_probes=1).estimate(flat, budget=40, random_state=0)
    assert found.values.tolist() == [0.0] * 6 and (found.base_value, found.full_value) == (0.7, 0.7)
    assert found.n_evaluations == 3 * 7 + 2  # the probes, then ∅ and N
    game = relu_network_game(6, seed=10)
    enumerated = KernelShap(null_probes=3).estimate(game, budget=64, random_state=0)  # probes are skipped: exact
    assert enumerated.n_evaluations == 64
    np.testing.assert_allclose(enumerated.values, exact_shapley_values(game).values, atol=1e-12)


def test_kernel_shap_is_reproducible_from_its_random_state():
    game = relu_network_game(10, seed=11)
    first, again = (KernelShap().estimate(game, 200, random_state=5) for _ in range(2))
    np.testing.assert_array_equal(first.values, again.values)
    assert not np.array_equal(first.values, KernelShap().estimate(game, 200, random_state=6).values)


def coalitions_of_a_permutation(order: list[int]) -> set[frozenset]:
    """Every coalition one permutation's pair samples and prefixes need."""
    needed = {frozenset(order[:k]) for k in range(len(order) + 1)}
    for i, j in itertools.combinations(range(len(order)), 2):
        before = frozenset(order[: min(order.index(i), order.index(j))])
        needed |= {before, before | {i}, before | {j}, before | {i, j}}
    return needed


def permutation_reference(game, n: int, budget: int, seed: int, max_permutations: int):
    """Permutation sampling from its definition, with the same permutations (``default_rng(seed)``):
    ``φ_ij = v(T ∪ ij) − v(T ∪ i) − v(T ∪ j) + v(T)``, ``T`` the players before the first of
    ``i, j``; whole permutations while the distinct coalitions fit the budget. Returns the samples."""
    rng = np.random.default_rng(seed)
    value = lambda members: float(game(np.isin(np.arange(n), list(members))[None])[0])  # noqa: E731
    seen = {frozenset(), *(frozenset([i]) for i in range(n)), frozenset(range(n))}
    samples = []
    while len(samples) < max_permutations:
        order = list(rng.permutation(n))
        needed = coalitions_of_a_permutation(order)
        if len(seen | needed) > budget:
            break
        seen |= needed
        sample = np.zeros((n, n))
        for i, j in itertools.combinations(range(n), 2):
            before = frozenset(order[: min(order.index(i), order.index(j))])
            sample[i, j] = sample[j, i] = (value(before | {i, j}) - value(before | {i}) - value(before | {j})
                                           + value(before))
        samples.append(sample)
        if len(seen) >= budget:
            break
    return np.array(samples), len(seen)


@pytest.mark.parametrize("budget, max_permutations", [(45, 10_000), (64, 10_000), (10_000, 7), (10_000, 2), (10_000, 1)])
def test_permutation_estimate_and_its_variance_equal_the_definition(budget, max_permutations):
    n = 6
    game = relu_network_game(n, seed=12)
    estimator = PermutationShapleyTaylor(max_permutations=max_permutations)
    result, variance, count = estimator.estimate_with_variance(game, budget, random_state=3)
    samples, evaluations = permutation_reference(game, n, budget, 3, max_permutations)
    assert count == len(samples) and result.n_evaluations == evaluations
    np.testing.assert_allclose(result.pairs, samples.mean(axis=0), atol=1e-12)
    off = ~np.eye(n, dtype=bool)
    if count == 1:
        assert np.isinf(variance[off]).all()
    else:
        np.testing.assert_allclose(variance[off], (samples.var(axis=0, ddof=1) / count)[off], atol=1e-12)
        assert (np.diag(variance) == 0).all()
    np.testing.assert_array_equal(estimator.estimate(game, budget, random_state=3).pairs, result.pairs)


def test_permutation_defaults_and_its_smallest_budget_named():
    assert PermutationShapleyTaylor().max_permutations == 10_000
    with pytest.raises(ValueError, match="max_permutations must be positive"):
        PermutationShapleyTaylor(max_permutations=0)
    needed = len(coalitions_of_a_permutation(list(np.random.default_rng(0).permutation(8))))
    with pytest.raises(ValueError, match=rf"budget=20 is too small for one permutation of 8 players \(it needs "
                                         rf"{needed} distinct evaluations\)"):
        PermutationShapleyTaylor().estimate(relu_network_game(8, seed=0), 20, random_state=0)


def test_paired_sampling_of_the_middle_size_draws_whole_complementary_pairs():
    from axiomatic_search.estimators.sampling import _sample_complement_pairs

    for count in (10, 11):  # an even count is whole pairs; an odd one adds one more coalition
        rows = _sample_complement_pairs(8, 4, count, np.random.default_rng(count))
        keys = {row.tobytes() for row in rows}
        assert rows.shape == (count, 8) and (rows.sum(axis=1) == 4).all() and len(keys) == count
        pairs = rows[: count - count % 2].reshape(-1, 2, 8)
        assert (pairs[:, 0] == ~pairs[:, 1]).all()


def cross_validated_reference(game, n: int, budget: int, seed: int) -> tuple[float, np.ndarray]:
    """``shrinkage="auto"`` from its definition: the design and then the folds drawn from the same
    generator, each grid strength fitted (densely) on two folds' sampled coalitions plus every
    enumerated size, scored by the kernel-weighted squared error on the third; the least total
    error wins (ties to the weaker ridge); returns that strength and the pairs at it."""
    from axiomatic_search.estimators.kernel_shapley_taylor import CV_FOLDS, SHRINKAGE_GRID

    rng = np.random.default_rng(seed)
    mass = shapley_taylor_size_mass(n)
    design = stratified_design(n, budget - (n + 2), mass, rng, 0.5)
    rows = design.coalitions
    empty, full = game(np.zeros((1, n), bool))[0], game(np.ones((1, n), bool))[0]
    main = game(np.eye(n, dtype=bool)) - empty
    targets = game(rows) - empty - rows @ main
    pairs = list(itertools.combinations(range(n), 2))
    sampled = np.flatnonzero(design.sampled)
    errors = np.zeros(len(SHRINKAGE_GRID))
    for fold in np.array_split(rng.permutation(sampled), CV_FOLDS):
        train = np.setdiff1d(np.arange(len(rows)), fold)
        for k, strength in enumerate(SHRINKAGE_GRID):
            fitted = dense_ridge_pairs(game, rows[train], strength)
            predicted = np.array([sum(fitted[i, j] for i, j in pairs if row[i] and row[j]) for row in rows[fold]])
            errors[k] += design.weights[fold] @ (targets[fold] - predicted) ** 2
    best = SHRINKAGE_GRID[int(np.argmin(np.round(errors / errors.max(), 12)))]
    return best, dense_ridge_pairs(game, rows, best)


@pytest.mark.parametrize("seed, budget, bias, strength", [(13, 60, True, 0.5), (0, 45, False, 8.0), (5, 50, False, 2.0),
                                                        (7, 45, False, 0.0)])
def test_cross_validated_shrinkage_equals_its_definition(seed, budget, bias, strength):
    """Cases whose cross-validation picks each strength of the grid."""
    n = 7
    game = relu_network_game(n, seed=seed, bias=bias)
    chosen, expected = cross_validated_reference(game, n, budget, seed)
    assert chosen == strength
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = KernelShapleyTaylor().estimate(game, budget, random_state=seed)
    np.testing.assert_allclose(found.pairs, expected, atol=1e-7)


def test_kernel_shapley_taylor_settings_are_checked_at_their_bounds():
    for power in (0.0, 1.0):
        KernelShapleyTaylor(allocation_power=power)
    for shrinkage in (0, 0.0, 3):
        KernelShapleyTaylor(shrinkage=shrinkage)
    for bad in ({"allocation_power": 1.01}, {"allocation_power": -0.1}, {"shrinkage": -1.0}, {"shrinkage": np.inf},
                {"shrinkage": "none"}, {"tol": 0.0}, {"tol": np.inf}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            KernelShapleyTaylor(**bad)


def test_the_ridge_with_one_sampled_coalition_and_without_any():
    n = 6
    game = relu_network_game(n, seed=15)
    with pytest.warns(RuntimeWarning, match="underdetermined"):
        one, rows = recorded_design(n, game, n + 3, 2, shrinkage=2.0)
    assert len(rows) == 1
    np.testing.assert_allclose(one.pairs, dense_ridge_pairs(game, rows, 2.0), atol=1e-9)
    with pytest.warns(RuntimeWarning, match="underdetermined"):
        default, _ = recorded_design(n, game, n + 3, 2)  # one sampled coalition: too few to cross-validate, 2.0
    np.testing.assert_allclose(default.pairs, one.pairs, atol=1e-12)
    everything = KernelShapleyTaylor(shrinkage=8.0).estimate(game, 2**n, random_state=0)  # nothing sampled: no ridge
    np.testing.assert_allclose(everything.pairs, exact_shapley_taylor(game).pairs, atol=1e-9)


def enumerated_design(n: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Every coalition of each finite-weight size with weight mass / count: the kernel itself."""
    mass = shapley_taylor_size_mass(n)
    rows = [np.isin(np.arange(n), members) for s in mass for members in itertools.combinations(range(n), s)]
    weights = [mass[s] / comb(n, s) for s in mass for _ in range(comb(n, s))]
    return np.array(rows), np.array(weights), mass


@pytest.mark.parametrize("ridge", [0.0, 0.7])
def test_the_closed_form_preconditioner_solves_an_enumerated_design_in_one_step(ridge):
    """On the full kernel the Gram matrix is E itself, so ((1 + λ) E)⁻¹ is the exact inverse of
    G + λE: conjugate gradients end after one iteration (a wrong preconditioner does not)."""
    n = 6
    rows, weights, mass = enumerated_design(n)
    targets = np.random.default_rng(3).normal(size=len(rows))
    eigen = johnson_eigenvalues(n, mass)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one iteration must reach the tolerance
        once = solve_pairs(rows, weights, targets, 2.0, eigen, ridge=ridge, tol=1e-10, max_iter=1)
    many = solve_pairs(rows, weights, targets, 2.0, eigen, ridge=ridge, tol=1e-13)
    np.testing.assert_allclose(once, many, atol=1e-9)
    assert abs(np.triu(once, 1).sum() - 2.0) < 1e-12


def test_conjugate_gradients_say_when_they_stop_early_unless_told_not_to():
    rng = np.random.default_rng(4)
    n = 8
    coalitions = rng.random((60, n)) < 0.5
    weights, targets = rng.random(60), rng.normal(size=60)
    eigen = johnson_eigenvalues(n, shapley_taylor_size_mass(n))
    for scale in (1.0, 1e-6):  # the residual is relative: a small game warns as a large one does
        with pytest.warns(RuntimeWarning, match=r"conjugate gradients stopped after 2 iterations at relative residual"):
            solve_pairs(coalitions, weights, scale * targets, scale, eigen, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solve_pairs(coalitions, weights, targets, 1.0, eigen, max_iter=2, warn=False)
        solve_pairs(coalitions, weights, targets, 1.0, eigen)  # the default runs to convergence, silently


def test_pair_solves_on_the_smallest_designs():
    eigen = johnson_eigenvalues(3, shapley_taylor_size_mass(3))
    two = solve_pairs(np.ones((1, 2), bool), np.ones(1), np.array([5.0]), 0.8, johnson_eigenvalues(2, {}))
    assert two.tolist() == [[0.0, 0.8], [0.8, 0.0]]  # one pair: its value is the total
    uniform = np.where(~np.eye(3, dtype=bool), 0.5, 0.0)
    rows = np.array([[True, True, False]])
    # a target the equal split already meets: nothing to move
    np.testing.assert_array_equal(solve_pairs(rows, np.ones(1), np.array([0.5]), 1.5, eigen), uniform)
    # one row that asks for more: fitted exactly, the total kept
    fitted = solve_pairs(rows, np.ones(1), np.array([1.1]), 1.5, eigen)
    assert design_times(rows.astype(float), fitted)[0] == pytest.approx(1.1) and np.triu(fitted, 1).sum() == pytest.approx(1.5)
    assert solve_pairs(np.zeros((0, 3), bool), np.zeros(0), np.zeros(0), 1.5, eigen).tolist() == uniform.tolist()


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
