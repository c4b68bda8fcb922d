"""Progress bars: the games advance the open bar by what they really evaluate."""

from __future__ import annotations

import sys

import numpy as np

from axiomatic_search import FunctionGame, KernelShap
from axiomatic_search.correspondence import explain_correspondence
from axiomatic_search.explain import explain_second_order
from axiomatic_search.factorised import FactorisedShapleyTaylor, FunctionFactorisedGame
from axiomatic_search.models import EmbeddingSimilarity
from axiomatic_search.progress import progress


def test_the_bar_counts_every_evaluation_of_a_joint_and_of_a_factorised_game():
    game = FunctionGame(lambda c: np.tanh(c @ np.arange(1.0, 9.0)), n_players=8)
    with progress(100, "first order", enabled=True) as bar:
        result = KernelShap().estimate(game, 100, random_state=0)
        assert bar.n == result.n_evaluations == 100
    sides = FunctionFactorisedGame(lambda c: c * 1.0 + 0.5, lambda c: c * 2.0 + 0.5, 6, 6)
    with progress(90, "second order", enabled=True) as bar:
        result = FactorisedShapleyTaylor().estimate(sides, 90, random_state=0)
        assert bar.n == result.n_evaluations  # side coalitions, the forward passes


def test_no_bar_off_a_terminal_or_when_switched_off_and_nested_calls_keep_the_outer_bar(capsys, monkeypatch):
    with progress(10, "pytest's stderr is no terminal") as bar:
        assert bar is None
    with progress(10, "off", enabled=False) as bar:
        assert bar is None
    with progress(10, "outer", enabled=True) as outer:
        with progress(5, "inner", enabled=True) as inner:
            assert inner is outer
    capsys.readouterr()
    game = FunctionGame(lambda c: c.sum(axis=1) * 1.0, n_players=4)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # as on a terminal: only progress=False hides it
    explain_second_order(game, 16, method="kernel", random_state=0, progress=False)
    assert capsys.readouterr().err == ""
    explain_second_order(game, 16, method="kernel", random_state=0)
    assert "second order (kernel)" in capsys.readouterr().err


def test_explain_correspondence_shows_its_bar_on_request(capsys):
    model = EmbeddingSimilarity(lambda x: x.flatten(2).mean(2), metric="dot")
    image = np.random.default_rng(0).random((8, 8, 3))
    explain_correspondence(model, image, image, players=2, budget=30, random_state=0, progress=True)
    assert "correspondence (factorised)" in capsys.readouterr().err
