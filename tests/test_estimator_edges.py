"""The estimators' and exact indices' edges, each against a value known by hand: smallest and
largest sizes, chunk boundaries, plain callables, the branches a default run never takes."""

from __future__ import annotations

import itertools
import re
import warnings
from math import comb

import numpy as np
import pytest

from axiomatic_search import (
    FunctionGame,
    KernelShap,
    KernelShapleyTaylor,
    PermutationShapleyTaylor,
    exact_shapley_taylor,
    exact_shapley_values,
)
from axiomatic_search.estimators import kernel_shapley_taylor
from axiomatic_search.estimators.kernel_shap import null_players
from axiomatic_search.estimators.pair_algebra import (
    eigen_components,
    johnson_eigenvalues,
    solve_normal_equations,
    subset_probabilities,
)
from axiomatic_search.estimators.sampling import allocate, sample_size_stratum, stratified_design
from axiomatic_search.exact import MAX_EXACT_PLAYERS, _check_n, all_coalitions, harsanyi_dividends
from tests.conftest import relu_network_game


def quadratic_game(n: int, seed: int):
    """``v(S) = Σ_{i∈S} a_i + Σ_{i<j∈S} b_ij``: Shapley values ``a_i + ½ Σ_j b_ij``, pairs ``b``."""
    rng = np.random.default_rng(seed)
    linear, pairs = rng.normal(size=n), np.triu(rng.normal(size=(n, n)), 1)

    def value(c: np.ndarray) -> np.ndarray:
        x = c.astype(np.float64)
        return x @ linear + np.einsum("mi,ij,mj->m", x, pairs, x)

    return value, linear, pairs + pairs.T


def test_exact_indices_over_more_coalitions_than_one_chunk():
    """17 players: 2¹⁷ coalitions, two of the 2¹⁶-coalition chunks the tables and sums run in."""
    value, linear, pairs = quadratic_game(17, seed=0)
    game = FunctionGame(value, 17)
    np.testing.assert_allclose(exact_shapley_values(game).values, linear + pairs.sum(axis=1) / 2, atol=1e-9)
    np.testing.assert_allclose(exact_shapley_taylor(game).pairs, pairs, atol=1e-9)


def test_every_estimator_takes_a_plain_callable_with_its_player_count():
    value, _, _ = quadratic_game(5, seed=1)
    game = FunctionGame(value, 5)
    for estimate in (lambda g, **k: exact_shapley_values(g, **k).values,
                     lambda g, **k: exact_shapley_taylor(g, **k).pairs,
                     lambda g, **k: KernelShap().estimate(g, 20, random_state=0, **k).values,
                     lambda g, **k: KernelShapleyTaylor().estimate(g, 20, random_state=0, **k).pairs,
                     lambda g, **k: PermutationShapleyTaylor().estimate(g, 32, random_state=0, **k).pairs):
        np.testing.assert_array_equal(estimate(value, n_players=5), estimate(game))


def test_exact_player_counts_and_coalition_slices():
    assert _check_n(1) == 1 and _check_n(MAX_EXACT_PLAYERS) == MAX_EXACT_PLAYERS
    for bad in (0, MAX_EXACT_PLAYERS + 1):
        with pytest.raises(ValueError, match="n_players"):
            _check_n(bad)
    assert all_coalitions(3, 2, 5).astype(int).tolist() == [[0, 1, 0], [1, 1, 0], [0, 0, 1]]
    assert exact_shapley_values(FunctionGame(lambda c: c[:, 0] * 3.0, 1)).values.tolist() == [3.0]
    np.testing.assert_array_equal(harsanyi_dividends(np.array([1, 3, 4, 9])), [1.0, 2.0, 3.0, 3.0])


def test_the_second_order_estimators_keep_the_games_query_result_split():
    game = FunctionGame(lambda c: c[:, 0] * c[:, 3] * 1.0, 5)
    game.n_query = 2
    for found in (KernelShapleyTaylor().estimate(game, 32, random_state=0),
                  PermutationShapleyTaylor().estimate(game, 32, random_state=0)):
        assert found.n_query == 2 and found.query_result_block.shape == (2, 3)
        assert found.query_result_block[0, 1] == pytest.approx(1.0)


def test_the_underdetermined_warning_fires_exactly_below_the_free_pair_count():
    n = 6  # 15 pairs, 14 free once their total is fixed
    game = relu_network_game(n, seed=2)
    with pytest.warns(RuntimeWarning, match="13 sampled coalitions for 14 free pair values"):
        KernelShapleyTaylor().estimate(game, n + 2 + 13, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KernelShapleyTaylor().estimate(game, n + 2 + 14, random_state=0)
        KernelShapleyTaylor().estimate(FunctionGame(lambda c: c[:, 0] * c[:, 1] * 1.0, 2), 4, random_state=0)


def test_a_loose_tolerance_changes_the_solve():
    game = relu_network_game(8, seed=3)
    tight = KernelShapleyTaylor(shrinkage=0.5).estimate(game, 120, random_state=0)
    loose = KernelShapleyTaylor(shrinkage=0.5, tol=0.5).estimate(game, 120, random_state=0)
    assert np.abs(tight.pairs - loose.pairs).max() > 1e-6


def test_cross_validation_runs_from_two_sampled_coalitions_per_fold(monkeypatch):
    """Fewer than 2 · CV_FOLDS sampled coalitions take the default strength (one solve); from exactly
    2 · CV_FOLDS on, every fold fits every grid strength first (1 + CV_FOLDS · len(grid) solves)."""
    calls: list[int] = []
    original = kernel_shapley_taylor.solve_pairs

    def counted(*args, **kwargs):
        calls[-1] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(kernel_shapley_taylor, "solve_pairs", counted)
    game = relu_network_game(7, seed=4)
    cross_validated = 1 + kernel_shapley_taylor.CV_FOLDS * len(kernel_shapley_taylor.SHRINKAGE_GRID)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for sampled, solves in ((5, 1), (6, cross_validated), (9, cross_validated)):
            calls.append(0)
            KernelShapleyTaylor().estimate(game, 7 + 2 + sampled, random_state=0)
            assert calls[-1] == solves, sampled


def test_kernel_shap_with_one_player_that_matters():
    game = FunctionGame(lambda c: 2.0 * c[:, 3] + 0.5, 6)
    found = KernelShap(null_probes=1).estimate(game, 40, random_state=0)
    assert found.values.tolist() == [0.0, 0.0, 0.0, 2.0, 0.0, 0.0] and (found.base_value, found.full_value) == (0.5, 2.5)
    plan = KernelShap().plan(6, budget=12, random_state=0)  # 2 + 5 pairs: the least a paired plan takes
    assert len(plan.coalitions) == 12


def test_null_players_probe_random_coalitions_of_about_half_the_players():
    game = FunctionGame(lambda c: (c.sum(axis=1) == 5).astype(float), 10)  # flat at ∅ and N, alive at size 5
    null, _ = null_players(game, 10, probes=200, rng=np.random.default_rng(0))
    assert not null.any()


def test_eigen_components_split_pair_matrices_into_three_orthogonal_parts():
    for n in (2, 3, 6):
        pairs = np.triu(np.random.default_rng(n).normal(size=(n, n)), 1)
        pairs += pairs.T
        constant, star, rest = eigen_components(pairs)
        np.testing.assert_allclose(constant + star + rest, pairs, atol=1e-12)
        assert np.allclose(np.diag(constant), 0) and len(set(np.round(constant[~np.eye(n, dtype=bool)], 12))) == 1
        np.testing.assert_allclose(rest.sum(axis=1), 0.0, atol=1e-12)  # the rest has zero row sums
        if n == 2:
            assert np.abs(star).max() == 0 and np.abs(rest).max() < 1e-12  # one pair: all of it is constant
        if n == 3:
            assert np.abs(rest).max() < 1e-12  # three pairs: constant and star span everything


def test_subset_probabilities_by_counting():
    for n, size in ((n, size) for n in (4, 7) for size in range(n + 1)):
        members = [set(c) for c in itertools.combinations(range(n), size)]
        counted = tuple(sum(set(range(k)) <= m for m in members) / len(members) for k in (2, 3, 4))
        np.testing.assert_allclose(subset_probabilities(n, size), counted, atol=1e-12)
    assert subset_probabilities(3, 2) == (pytest.approx(1 / 3), 0.0, 0.0)


def test_conjugate_gradients_stop_on_zero_curvature_and_count_their_iterations():
    n = 5
    rhs = np.triu(np.random.default_rng(5).normal(size=(n, n)), 1)
    rhs += rhs.T
    eigen = johnson_eigenvalues(n, kernel_shapley_taylor.shapley_taylor_size_mass(n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        flat = solve_normal_equations(lambda u: np.zeros_like(u), rhs, eigen)  # a gram with no curvature
    assert flat.shape == (n, n) and not flat.any()
    calls = []

    def counted(u: np.ndarray) -> np.ndarray:
        calls.append(1)
        return u + 0.1 * u.sum()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        solve_normal_equations(counted, rhs, eigen, max_iter=2, tol=1e-30)
    assert len(calls) == 2


def test_allocation_by_hand():
    assert allocate(6, {1: 4, 2: 6, 3: 4}, {1: 1.0, 2: 0.0, 3: 1.0}) == {1: 3, 3: 3}  # no mass: no budget
    assert allocate(7, {1: 4, 2: 0, 3: 4}, {1: 1.0, 2: 1.0, 3: 1.0}) == {1: 4, 3: 3}  # the sizes that fit first
    assert allocate(8, {1: 4, 3: 4}, {1: 1.0, 3: 1.0}) == {1: 4, 3: 4}  # exactly everything
    assert allocate(6, {1: 3, 2: 10}, {1: 1.0, 2: 1.0}) == {1: 3, 2: 3}  # a share equal to the capacity fills it
    # remainders: shares 2.4, 1.2, 2.4 -> floors 2, 1, 2 and the one left goes to the largest remainder first
    assert allocate(6, {1: 9, 2: 9, 3: 9}, {1: 2.0, 2: 1.0, 3: 2.0}) == {1: 3, 2: 1, 3: 2}
    # shares 0.625, 3.75, 0.625 -> floors 0, 3, 0; the two left go to remainders .75, then .625 (the first size)
    assert allocate(5, {1: 9, 2: 9, 3: 9}, {1: 0.5, 2: 3.0, 3: 0.5}) == {1: 1, 2: 4}


@pytest.mark.parametrize("n, size, count", [(30, 10, 50), (30, 20, 40), (8, 3, 56), (8, 6, 5)])
def test_stratum_draws_are_distinct_coalitions_of_the_size(n, size, count):
    """Small strata are drawn by index, large ones (above 200,000 coalitions) by random keys, and
    sizes above n/2 as complements; every path gives distinct coalitions of exactly ``size``."""
    rows = sample_size_stratum(n, size, count, np.random.default_rng(6))
    assert rows.shape == (count, n) and (rows.sum(axis=1) == size).all()
    assert len({row.tobytes() for row in rows}) == count
    if count == comb(n, size):  # the whole stratum: every coalition of the size, once
        assert {tuple(np.flatnonzero(row)) for row in rows} == set(itertools.combinations(range(n), size))


def test_paired_designs_draw_the_larger_size_first_and_mirror_it():
    mass = {s: 1.0 for s in range(1, 10)}
    design = stratified_design(10, 40, mass, np.random.default_rng(7), paired=True)
    sizes = design.coalitions.sum(axis=1)
    for small in range(1, 5):
        one, other = design.coalitions[sizes == small], design.coalitions[sizes == 10 - small]
        fewer, more = (one, other) if len(one) <= len(other) else (other, one)
        complements = {(~row).tobytes() for row in more}
        assert len(fewer) and all(row.tobytes() in complements for row in fewer)  # antithetic: complements
    assert design.sampled.dtype == bool and design.sampled.all()
    empty = stratified_design(4, 0, {2: 1.0}, np.random.default_rng(0))
    assert empty.coalitions.shape == (0, 4) and empty.coalitions.dtype == bool
    assert empty.weights.shape == (0,) and empty.sampled.shape == (0,) and empty.sampled.dtype == bool
    default = stratified_design(6, 20, {2: 4.0, 3: 1.0, 4: 4.0}, np.random.default_rng(0))  # allocation power 1
    assert np.bincount(default.coalitions.sum(axis=1), minlength=5).tolist() == [0, 0, 9, 2, 9]


def test_kernel_shap_when_the_probes_find_no_player_that_matters():
    """A plain callable sees boolean coalitions, and a threshold game the probes miss (the documented
    limit of the screen) keeps its own v(∅) = 0 and v(N) = 1, so the gap shows in the efficiency."""
    plain = lambda c: np.full(len(c), 0.7) + 0.0 * (c[:, 0] & c[:, 1])  # noqa: E731 - needs booleans
    flat = KernelShap(null_probes=1).estimate(plain, 40, random_state=0, n_players=6)
    assert flat.values.tolist() == [0.0] * 6 and (flat.base_value, flat.full_value) == (0.7, 0.7)
    threshold = FunctionGame(lambda c: (c.sum(axis=1) >= 3).astype(float), 6)
    missed = KernelShap(null_probes=1).estimate(threshold, 40, random_state=3)  # seed 3: its one probe misses
    assert missed.values.tolist() == [0.0] * 6 and (missed.base_value, missed.full_value) == (0.0, 1.0)
    assert missed.efficiency_gap == pytest.approx(1.0)


@pytest.mark.parametrize("paired", [True, False])
def test_a_kernel_shap_plan_solves_an_additive_game_exactly(paired):
    """With v(∅) = 3 the targets must be taken relative to it (paired designs cancel a constant
    offset between a coalition and its complement; unpaired ones do not)."""
    plan = KernelShap(paired=paired).plan(5, budget=20, random_state=1)
    weights = np.array([0.5, -1.0, 2.0, 0.25, 1.5])
    found = plan.solve(plan.coalitions @ weights + 3.0)
    np.testing.assert_allclose(found.values, weights, atol=1e-12)
    assert (found.base_value, found.full_value) == (3.0, 3.0 + weights.sum())


def test_estimates_scale_with_the_game():
    """Multiplying a game by 1e-6 multiplies every estimate by 1e-6: no threshold is absolute."""
    game = relu_network_game(8, seed=8)
    tiny = FunctionGame(lambda c: 1e-6 * game(c), 8)
    for estimator in (KernelShapleyTaylor(shrinkage=0.5), KernelShapleyTaylor(shrinkage=0.0)):
        np.testing.assert_allclose(estimator.estimate(tiny, 100, random_state=0).pairs,
                                   1e-6 * estimator.estimate(game, 100, random_state=0).pairs, rtol=1e-6, atol=1e-15)


def test_kernel_shap_on_two_players_enumerates_exactly():
    game = FunctionGame(lambda c: 1.0 * c[:, 0] + 3.0 * (c[:, 0] & c[:, 1]), 2)
    np.testing.assert_allclose(KernelShap().estimate(game, 4, random_state=0).values, [2.5, 1.5], atol=1e-12)


def test_the_underdetermined_warning_at_three_players():
    with pytest.warns(RuntimeWarning, match="1 sampled coalitions for 2 free pair values"):
        KernelShapleyTaylor().estimate(relu_network_game(3, seed=9), 6, random_state=0)


def test_exact_tables_evaluate_each_coalition_once_across_chunks():
    rows = []
    value, _, _ = quadratic_game(17, seed=10)
    exact_shapley_values(FunctionGame(lambda c: rows.append(len(c)) or value(c), 17))
    assert sum(rows) == 2**17


def test_allocation_keeps_sizes_of_one_coalition_and_ignores_sizes_without_mass():
    assert allocate(5, {0: 1, 1: 4}, {0: 1.0, 1: 1.0}) == {0: 1, 1: 4}
    assert allocate(4, {1: 3, 2: 3}, {1: 1.0}) == {1: 3}  # size 2 has no mass entry: it gets nothing


def test_paired_middle_size_draws_stay_distinct_near_the_whole_stratum():
    from axiomatic_search.estimators.sampling import _sample_complement_pairs

    rows = _sample_complement_pairs(8, 4, 68, np.random.default_rng(11))  # 70 coalitions of 4 in 8 players
    assert len({row.tobytes() for row in rows}) == 68 and (rows[:68].reshape(-1, 2, 8)[:, 0] == ~rows[:68].reshape(-1, 2, 8)[:, 1]).all()


def test_paired_designs_with_uneven_sizes_keep_their_counts():
    mass = {s: (10.0 if s > 5 else 1.0) for s in range(1, 10)}  # more budget for the larger sizes
    design = stratified_design(10, 300, mass, np.random.default_rng(12), allocation_power=1.0, paired=True)
    counts = allocate(300, {s: comb(10, s) for s in mass}, mass)
    assert len(design.coalitions) == 300 and len(design.weights) == 300
    assert np.bincount(design.coalitions.sum(axis=1), minlength=10)[1:].tolist() == [counts.get(s, 0) for s in range(1, 10)]
    assert len({row.tobytes() for row in design.coalitions}) == 300


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
