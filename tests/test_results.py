"""Result objects: shap layout, projection, pixel mapping."""

from __future__ import annotations

import numpy as np
import pytest

from axiomatic_search import FirstOrderResult, SecondOrderResult


def second_order(n_query: int | None = 2) -> SecondOrderResult:
    pairs = np.array([[0, 1, 2, 0], [1, 0, 0, 3], [2, 0, 0, 4], [0, 3, 4, 0]], dtype=float)
    return SecondOrderResult(np.array([1.0, 0, 0, 0]), pairs, 0.0, 11.0, 16, n_query=n_query)


def test_shap_layout_halves_the_pairs():
    matrix = second_order().as_shap_matrix()
    assert matrix[0, 0] == 1.0 and matrix[0, 1] == matrix[1, 0] == 0.5
    assert matrix.sum() == pytest.approx(11.0)  # shap's matrices add up to v(N) − v(∅) too


def test_query_result_block_and_projection():
    result = second_order()
    np.testing.assert_array_equal(result.query_result_block, [[2, 0], [0, 3]])
    np.testing.assert_array_equal(result.project([1.0, 0.0]), [2.0, 0.0])
    assert result.efficiency_gap == pytest.approx(0.0)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        result.project([1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="not from a search game"):
        second_order(None).query_result_block
    with pytest.raises(ValueError, match="pixel layouts"):
        result.project_mask((0, 0))


def test_first_order_needs_players_for_pixels():
    with pytest.raises(ValueError, match="players"):
        FirstOrderResult(np.zeros(2), 0.0, 0.0, 4).to_pixels()
