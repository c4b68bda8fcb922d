"""The kernel estimators and permutation sampling against references written from their
definitions: the ridge and its cross-validated strength as dense solves, conjugate gradients on
designs whose answer is known, permutation sampling replayed from the same permutations."""

from __future__ import annotations

import itertools
import warnings
from math import comb

import numpy as np
import pytest

from axiomatic_search import FunctionGame, KernelShapleyTaylor, PermutationShapleyTaylor, exact_shapley_taylor
from axiomatic_search.estimators.kernel_shapley_taylor import shapley_taylor_size_mass
from axiomatic_search.estimators.pair_algebra import design_times, johnson_eigenvalues, solve_pairs
from axiomatic_search.estimators.sampling import stratified_design
from tests.conftest import relu_network_game

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
    empty = game(np.zeros((1, n), bool))[0]
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
