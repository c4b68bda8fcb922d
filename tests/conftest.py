"""Shared fixtures: small random games with known structure."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from axiomatic_search import FunctionGame

# two cores: one thread each when pytest-xdist runs two workers side by side, both otherwise
torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else 2)


def relu_network_game(n_players: int, seed: int, bias: bool = True) -> FunctionGame:
    """A random 2-layer ReLU network of the present inputs: nonlinear, non-quadratic."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n_players)
    w1 = rng.normal(size=(n_players, 12)) / np.sqrt(n_players)
    b1 = rng.normal(size=12) * bias
    w2 = rng.normal(size=12)

    def value(coalitions: np.ndarray) -> np.ndarray:
        return np.maximum((coalitions * x) @ w1 + b1, 0.0) @ w2 + 0.3

    return FunctionGame(value, n_players)


@pytest.fixture
def make_game():
    return relu_network_game
