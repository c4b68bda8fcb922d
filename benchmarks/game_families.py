"""Benchmark game families with known order-2 Shapley–Taylor indices.

Families (``FAMILIES``):

* ``"relu"``: the paper's setting. 15 players; a random ReLU network ``15 → 20 → 20 → 1``
  (three linear layers, ReLU after the first two) with Glorot-uniform weights
  ``U(±sqrt(6 / (fan_in + fan_out)))`` and zero biases, explaining an input ``x ~ N(0, I)``:
  a present player keeps ``x_i``, an absent one is set to 0. Exact indices by enumeration.
* ``"relu-bias"``: the same network with PyTorch-default biases ``U(±1/sqrt(fan_in))``.
* ``"sparse30"``: 30 players, a sum of 20–40 unanimity games ``c_T [T ⊆ S]`` with
  ``c_T ~ N(0, 1)`` and ``T`` a uniform random subset of uniform size 1..10. Exact indices in
  closed form (``unanimity_shapley_taylor``).

Every game is drawn from its own ``numpy.random.default_rng`` seeded by
``SeedSequence([seed, family, index])``; the global RNGs are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from axiomatic_search import FunctionGame, SecondOrderResult, exact_shapley_taylor

FAMILIES: tuple[str, ...] = ("relu", "relu-bias", "sparse30")

RELU_LAYERS: tuple[int, ...] = (15, 20, 20, 1)


@dataclass(frozen=True)
class BenchmarkGame:
    """A game of a family, its exact indices and where it came from."""

    family: str
    index: int
    game: FunctionGame
    exact: SecondOrderResult

    @property
    def n_players(self) -> int:
        return self.game.n_players


def indices_vector(result: SecondOrderResult) -> np.ndarray:
    """All order-≤2 indices of a result: main effects, then pairs in ``triu_indices`` order."""
    return np.concatenate([result.main, result.pair_values])


# ---------------------------------------------------------------------------------------------
# ReLU networks


@dataclass(frozen=True)
class ReluNetwork:
    """A fully connected ReLU network: ReLU after every layer but the last."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        """Outputs ``(m,)`` of a batch of inputs ``(m, n_in)``."""
        hidden = np.asarray(inputs, dtype=np.float64)
        last = len(self.weights) - 1
        for k, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            hidden = hidden @ weight + bias
            if k < last:
                hidden = np.maximum(hidden, 0.0)
        return hidden[:, 0]


def random_relu_network(
    rng: np.random.Generator, layers: tuple[int, ...] = RELU_LAYERS, bias: bool = False
) -> ReluNetwork:
    """Glorot-uniform weights; zero biases, or PyTorch-default ``U(±1/sqrt(fan_in))`` ones."""
    weights, biases = [], []
    for fan_in, fan_out in zip(layers[:-1], layers[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, size=(fan_in, fan_out)))
        bound = 1.0 / np.sqrt(fan_in)
        biases.append(rng.uniform(-bound, bound, size=fan_out) if bias else np.zeros(fan_out))
    return ReluNetwork(tuple(weights), tuple(biases))


def masked_input_game(network: ReluNetwork, x: np.ndarray) -> FunctionGame:
    """The game ``v(S) = network(x ⊙ 1_S)``: absent players are set to 0."""
    x = np.asarray(x, dtype=np.float64)

    def value(coalitions: np.ndarray) -> np.ndarray:
        return network(np.atleast_2d(coalitions) * x)

    return FunctionGame(value, n_players=len(x))


def relu_game(rng: np.random.Generator, bias: bool = False) -> FunctionGame:
    """A random network of ``RELU_LAYERS`` explaining a standard normal input."""
    network = random_relu_network(rng, RELU_LAYERS, bias=bias)
    x = rng.standard_normal(RELU_LAYERS[0])
    return masked_input_game(network, x)


# ---------------------------------------------------------------------------------------------
# Sums of unanimity games


@dataclass(frozen=True)
class UnanimitySum:
    """``v(S) = Σ_k c_k [T_k ⊆ S]``; ``members[k]`` is the boolean indicator of ``T_k``."""

    members: np.ndarray
    coefficients: np.ndarray

    @property
    def n_players(self) -> int:
        return self.members.shape[1]

    def __call__(self, coalitions: np.ndarray) -> np.ndarray:
        coalitions = np.atleast_2d(coalitions).astype(np.int64)
        hits = coalitions @ self.members.T.astype(np.int64)
        covered = hits == self.members.sum(axis=1)
        return covered.astype(np.float64) @ self.coefficients


def random_unanimity_sum(
    rng: np.random.Generator,
    n_players: int = 30,
    n_terms: tuple[int, int] = (20, 40),
    max_order: int = 10,
) -> UnanimitySum:
    """``K ~ U{n_terms}`` terms, each of size ``U{1..max_order}``, coefficients ``N(0, 1)``."""
    n_terms_drawn = int(rng.integers(n_terms[0], n_terms[1] + 1))
    members = np.zeros((n_terms_drawn, n_players), dtype=bool)
    for row in members:
        size = int(rng.integers(1, max_order + 1))
        row[rng.choice(n_players, size=size, replace=False)] = True
    return UnanimitySum(members, rng.standard_normal(n_terms_drawn))


def unanimity_shapley_taylor(game: UnanimitySum) -> SecondOrderResult:
    """Closed-form order-2 Shapley–Taylor indices of a sum of unanimity games.

    A term ``c [T ⊆ S]`` has a single Harsanyi dividend ``c`` at ``T``: for ``|T| = 1`` it is
    the main effect of its player; for ``|T| ≥ 2`` it is split equally over the ``C(|T|, 2)``
    pairs inside ``T``. ``v(∅) = 0`` and ``v(N) = Σ c``.
    """
    n = game.n_players
    main = np.zeros(n)
    pairs = np.zeros((n, n))
    for member, coefficient in zip(game.members, game.coefficients):
        players = np.flatnonzero(member)
        if len(players) == 1:
            main[players[0]] += coefficient
        else:
            share = coefficient / comb(len(players), 2)
            block = np.ix_(players, players)
            pairs[block] += share
    np.fill_diagonal(pairs, 0.0)
    return SecondOrderResult(main, pairs, 0.0, float(game.coefficients.sum()), n_evaluations=0)


# ---------------------------------------------------------------------------------------------
# Families


def game_rng(family: str, index: int, seed: int) -> np.random.Generator:
    """The generator of game ``index`` of ``family``: independent across all three."""
    return np.random.default_rng(np.random.SeedSequence([seed, FAMILIES.index(family), index]))


def make_game(family: str, index: int, seed: int = 0) -> BenchmarkGame:
    """Game ``index`` of ``family`` with its exact indices."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose from {', '.join(FAMILIES)}")
    rng = game_rng(family, index, seed)
    if family == "sparse30":
        terms = random_unanimity_sum(rng)
        game = FunctionGame(terms, n_players=terms.n_players)
        return BenchmarkGame(family, index, game, unanimity_shapley_taylor(terms))
    game = relu_game(rng, bias=family == "relu-bias")
    return BenchmarkGame(family, index, game, exact_shapley_taylor(game))


def make_games(family: str, n_games: int, seed: int = 0) -> list[BenchmarkGame]:
    """The first ``n_games`` games of ``family``."""
    return [make_game(family, index, seed) for index in range(n_games)]
