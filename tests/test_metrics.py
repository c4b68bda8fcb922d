"""Metric functions on hand-made cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search.backgrounds import Blur
from axiomatic_search.metrics import (
    binary_miou,
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
