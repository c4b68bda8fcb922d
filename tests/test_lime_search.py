"""lime_search: lime's own explanation objects for search, and second-order LIME."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search.images import grid_segments
from axiomatic_search.models import CallableSimilarity
from lime_search import LimeSearchExplainer, SecondOrderLimeExplainer

RNG = np.random.default_rng(0)
QUERY, RESULT = RNG.random((16, 16, 3)), RNG.random((16, 16, 3))


def planted_model() -> CallableSimilarity:
    """Looks only at the top-left 8×8 patch of both images."""
    return CallableSimilarity(lambda q, r: (q[:, :, :8, :8] * r[:, :, :8, :8]).flatten(1).sum(1))


def test_first_order_returns_lime_explanation_and_finds_the_planted_patch():
    explanation = LimeSearchExplainer().explain_instance(
        QUERY, RESULT, planted_model(), num_samples=300, segmentation=grid_segments(16, 16, 2), random_state=0)
    ranked = explanation.local_exp[0]
    assert ranked[0][0] == 0 and ranked[0][1] > 0  # superpixel 0 is the top-left patch
    image, mask = explanation.get_image_and_mask(0, positive_only=True, num_features=1, hide_rest=True)
    assert image.shape == (16, 16, 3) and mask[:8, :8].all() and not mask[8:].any()


def test_query_side_and_default_slic():
    explanation = LimeSearchExplainer(n_segments=6).explain_instance(
        QUERY, RESULT, planted_model(), explain="query", num_samples=100, random_state=1)
    np.testing.assert_allclose(explanation.image, QUERY.astype(np.float32), atol=1e-6)
    assert explanation.segments.shape == (16, 16)


def test_second_order_lime_finds_the_planted_pair():
    result = SecondOrderLimeExplainer(players=2).explain_instance(
        QUERY, RESULT, planted_model(), num_samples=600, random_state=0)
    block = result.query_result_block
    assert np.unravel_index(np.argmax(block), block.shape) == (0, 0)
    assert result.n_query == 4 and result.project_mask((1, 1)).shape == (16, 16)


def test_same_random_state_same_explanation_and_global_rngs_untouched():
    np.random.seed(5)
    torch.manual_seed(5)
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.random.get_rng_state().clone()
    runs = [LimeSearchExplainer(n_segments=6).explain_instance(QUERY, RESULT, planted_model(), num_samples=100,
                                                                random_state=3).local_exp[0] for _ in range(2)]
    assert runs[0] == runs[1]
    pairs = [SecondOrderLimeExplainer(players=2).explain_instance(QUERY, RESULT, planted_model(), num_samples=100,
                                                                  random_state=3).pairs for _ in range(2)]
    np.testing.assert_array_equal(pairs[0], pairs[1])
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)


def test_bad_inputs_get_clear_errors():
    explainer = LimeSearchExplainer()
    grey, stacked = (explainer.explain_instance(query, RESULT, planted_model(), num_samples=80, random_state=0)
                     for query in (QUERY[:, :, 0], np.repeat(QUERY[:, :, :1], 3, axis=2)))
    assert grey.local_exp == stacked.local_exp  # greyscale is RGB with equal channels, as everywhere
    with pytest.raises(ValueError, match="segmentation has shape"):
        explainer.explain_instance(QUERY, RESULT, planted_model(), segmentation=np.zeros((8, 8), int), num_samples=10)
    wrong = CallableSimilarity(lambda q, r: torch.zeros(len(r), 2))
    with pytest.raises(ValueError, match=r"returned shape \(\d+, 2\)"):
        explainer.explain_instance(QUERY, RESULT, wrong, segmentation=grid_segments(16, 16, 2), num_samples=10)
    with pytest.raises(ValueError, match="kernel_width"):
        SecondOrderLimeExplainer(kernel_width=0)
