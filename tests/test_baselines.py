"""SBSM baselines on planted models."""

from __future__ import annotations

import numpy as np

from axiomatic_search.baselines import sbsm, sbsm_second_order, square_masks
from axiomatic_search.models import CallableSimilarity

RNG = np.random.default_rng(0)
QUERY, RESULT = RNG.random((24, 24, 3)), RNG.random((24, 24, 3))


def test_square_masks_cover_the_image():
    masks = square_masks(24, 24, window=6, stride=3)
    assert masks.any(axis=0).all() and masks[0, :3, :3].all()


def test_first_order_sbsm_lights_up_the_only_region_the_model_sees():
    model = CallableSimilarity(lambda q, r: (r[:, :, :8, :8] ** 2).flatten(1).sum(1))
    heat = sbsm(model, QUERY, RESULT, window=6, stride=2, background="black")
    assert heat[:8, :8].mean() > 5 * heat[12:, 12:].mean() and heat[16:, 16:].max() == 0


def test_second_order_sbsm_projects_the_planted_correspondence():
    # the query's top-left patch matches the result's bottom-right patch
    model = CallableSimilarity(lambda q, r: (q[:, :, :8, :8] * r[:, :, 16:, 16:]).flatten(1).sum(1))
    correspondence = sbsm_second_order(model, QUERY, RESULT, n_samples=3000, window=6, stride=3,
                                       background="black", random_state=0)
    projected = correspondence.project_mask((3, 3))
    assert projected[16:, 16:].mean() > 3 * projected[:12, :12].mean()
    again = sbsm_second_order(model, QUERY, RESULT, n_samples=3000, window=6, stride=3,
                              background="black", random_state=0)
    np.testing.assert_array_equal(again.weights, correspondence.weights)
