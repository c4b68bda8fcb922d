"""Metric functions on hand-made cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search.backgrounds import Blur
from axiomatic_search.metrics import (
    binary_miou,
    cell_accuracy,
    first_order_faithfulness,
    inefficiency,
    label_propagation_miou,
    second_order_faithfulness,
    top_pixels,
)
from axiomatic_search.models import CallableSimilarity

# similarity = energy of the result's left half (ignores the query); blurring texture lowers it
LEFT_HALF = CallableSimilarity(lambda q, r: (r[:, :, :, :5] ** 2).flatten(1).sum(1))


def test_top_pixels_counts_and_ties():
    heat = np.arange(16.0).reshape(4, 4)
    assert top_pixels(heat, 4)[3].all() and top_pixels(heat, 4).sum() == 4
    with pytest.raises(ValueError, match="count"):
        top_pixels(heat, 17)


def test_first_order_faithfulness_blurs_exactly_the_top_pixels():
    result = np.random.default_rng(0).random((10, 10, 3))
    heat_left = np.zeros((10, 10))
    heat_left[:, :3] = 1.0  # top 30 % = the three left columns
    heat_right = np.zeros((10, 10))
    heat_right[:, 7:] = 1.0  # top 30 % = the three right columns, which the model ignores
    drop_left = first_order_faithfulness(LEFT_HALF, result, result, heat_left, blur=3)
    drop_right = first_order_faithfulness(LEFT_HALF, result, result, heat_right, blur=3)
    assert drop_right == pytest.approx(0.0, abs=1e-5)
    image = torch.tensor(result, dtype=torch.float32).permute(2, 0, 1)
    blurred = Blur(3)(image)[0]
    censored = torch.cat([blurred[:, :, :3], image[:, :, 3:5]], dim=2)
    expected = float((image[:, :, :5] ** 2).sum() - (censored**2).sum())
    assert drop_left > 0 and drop_left == pytest.approx(expected, rel=1e-5)


def test_inefficiency():
    assert inefficiency(2.0, 3.0, 1.0) == 0.0 and inefficiency(1.0, 3.0, 1.0) == 1.0


def test_binary_miou_and_label_propagation():
    truth = np.zeros((4, 4), dtype=bool)
    truth[:2, :2] = True
    assert binary_miou(truth, truth) == 1.0
    assert binary_miou(~truth, truth) == 0.0
    projected = np.zeros((4, 4))
    projected[:2, :2] = 1.0
    assert label_propagation_miou(projected, truth) == 1.0
    projected = np.zeros((4, 4))
    projected[:2, 1:3] = 1.0  # half overlap: fg IoU 2/6, bg IoU 10/14
    assert label_propagation_miou(projected, truth) == pytest.approx((2 / 6 + 10 / 14) / 2)
    with pytest.raises(ValueError, match="shape"):
        binary_miou(truth, truth[:2])


def test_second_order_faithfulness_keeps_the_projected_region():
    model = CallableSimilarity(lambda q, r: (q * r).flatten(1).sum(1))
    image = np.zeros((8, 8, 3))
    image[:4, :4] = 1.0
    mask = np.zeros((8, 8), dtype=bool)
    mask[:4, :4] = True
    right = np.zeros((8, 8))
    right[:4, :4] = 1.0
    wrong = np.zeros((8, 8))
    wrong[4:, 4:] = 1.0
    kept = second_order_faithfulness(model, image, image, mask, right, 16, blur=3)
    lost = second_order_faithfulness(model, image, image, mask, wrong, 16, blur=3)
    assert kept > lost


def test_top_pixels_breaks_ties_by_position_and_reads_unsigned_heatmaps():
    ties = np.ones((5, 7))
    assert np.flatnonzero(top_pixels(ties, 10)).tolist() == list(range(10))  # the first ten, in order
    assert top_pixels(np.array([[0, 5, 3]], dtype=np.uint8), 1).tolist() == [[False, True, False]]
    assert not top_pixels(ties, 0).any() and top_pixels(ties, 35).all()
    many = np.random.default_rng(0).integers(0, 2, size=(40, 50)).astype(float)  # 2,000 values, ties everywhere
    ones = int(many.sum())
    chosen = np.flatnonzero(top_pixels(many, ones + 10))
    assert set(np.flatnonzero(many)) <= set(chosen)
    assert sorted(set(chosen) - set(np.flatnonzero(many))) == list(np.flatnonzero(many.ravel() == 0)[:10])


def test_binary_miou_of_empty_masks_and_of_0_1_and_0_255_arrays():
    empty = np.zeros((2, 3), dtype=bool)
    assert binary_miou(empty, empty) == 1.0  # no foreground anywhere: both classes agree exactly
    predicted, truth = np.array([[1, 1, 0, 0]]), np.array([[1, 0, 0, 0]])
    assert binary_miou(predicted, truth) == pytest.approx((1 / 2 + 2 / 3) / 2)
    mask = np.array([[0, 255, 255], [0, 0, 0]], dtype=np.uint8)  # a mask as an image file stores it
    assert label_propagation_miou(np.array([[0.0, 2.0, 1.0], [0.5, 0.0, 0.0]]), mask) == 1.0


def test_cell_accuracy_on_a_non_square_block_leaves_out_unknown_cells():
    block = np.array([[0.9, 0.1, 0.0, 0.2, 0.3],
                      [0.0, 0.1, 0.8, 0.2, 0.3],
                      [0.5, 0.6, 0.0, 0.2, 0.3]])  # 3 query cells × 5 result cells
    assert cell_accuracy(block, np.array([0, 2, 4])) == pytest.approx(2 / 3)
    assert cell_accuracy(block, np.array([0, -1, 0])) == 0.5  # the unknown cell is left out
    assert cell_accuracy(block, np.array([-1, 2, -1])) == 1.0
    assert cell_accuracy(np.array([[0.3], [0.1]]), np.array([0, 0])) == 1.0  # one result cell
    with pytest.raises(ValueError, match="one entry per query cell"):
        cell_accuracy(block, np.array([0, 1, 2, 3, 4]))
    with pytest.raises(ValueError, match="holds cell 5 but the block has 5 result cells"):
        cell_accuracy(block, np.array([0, 1, 5]))
    with pytest.raises(ValueError, match="no query cell"):
        cell_accuracy(block, np.array([-1, -1, -1]))


def test_faithfulness_defaults_blur_25_px_and_the_top_30_percent():
    rng = np.random.default_rng(3)
    query, result = rng.random((12, 9, 3)), rng.random((12, 9, 3))  # non-square
    heat = rng.random((12, 9))
    model = CallableSimilarity(lambda q, r: (q * r).flatten(1).sum(1))
    as_tensor = lambda a: torch.tensor(a, dtype=torch.float32).permute(2, 0, 1)  # noqa: E731
    q, r = as_tensor(query), as_tensor(result)
    top = top_pixels(heat, round(0.3 * heat.size))
    blurred = torch.where(torch.from_numpy(top), Blur(25)(r)[0], r)
    expected = float((q * r).sum() - (q * blurred).sum())
    assert first_order_faithfulness(model, query, result, heat) == pytest.approx(expected, rel=1e-5)
    assert first_order_faithfulness(model, query, result, heat, fraction=1.0) > expected
    for fraction in (0.0, 1.5):
        with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\]"):
            first_order_faithfulness(model, query, result, heat, fraction=fraction)
    query_mask = np.zeros((12, 9))  # a mask as floats, as read from an image file
    query_mask[:4] = 1.0
    kept = top_pixels(heat, 20)
    sharp_q = torch.where(torch.from_numpy(query_mask.astype(bool)), q, Blur(25)(q)[0])
    sharp_r = torch.where(torch.from_numpy(kept), r, Blur(25)(r)[0])
    assert second_order_faithfulness(model, query, result, query_mask, heat, 20) == pytest.approx(
        float((sharp_q * sharp_r).sum()), rel=1e-5)


@pytest.mark.parametrize("metric", ["first", "second"])
def test_metrics_name_the_image_that_is_not_one(metric):
    good, heat, mask = np.zeros((6, 6, 3)), np.zeros((6, 6)), np.zeros((6, 6), dtype=bool)
    call = {"first": lambda q, r: first_order_faithfulness(LEFT_HALF, q, r, heat),
            "second": lambda q, r: second_order_faithfulness(LEFT_HALF, q, r, mask, heat, 3)}[metric]
    for bad_query, name in ((True, "query"), (False, "result")):
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            call(np.zeros(5) if bad_query else good, good if bad_query else np.zeros(5))
