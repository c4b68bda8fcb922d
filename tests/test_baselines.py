"""SBSM baselines on planted models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search.baselines import sbsm, sbsm_second_order, square_masks
from axiomatic_search.baselines.sbsm import SBSMCorrespondence
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


def linear_cosine(query_shape: tuple, result_shape: tuple, seed: int) -> CallableSimilarity:
    """Cosine of two random linear embeddings: a smooth model whose every pixel matters."""
    generator = torch.Generator().manual_seed(seed)
    wq = torch.randn(6, int(np.prod(query_shape)), generator=generator, dtype=torch.float64)
    wr = torch.randn(6, int(np.prod(result_shape)), generator=generator, dtype=torch.float64)
    return CallableSimilarity(lambda q, r: torch.cosine_similarity(q.flatten(1).double() @ wq.T,
                                                                   r.flatten(1).double() @ wr.T))


def reference_squares(height: int, width: int, window: int, stride: int) -> list[np.ndarray]:
    """SBSM's squares from the definition: side ``window``, centred on a ``stride`` grid, clipped."""
    squares = []
    for i in range(0, height, stride):
        for j in range(0, width, stride):
            mask = np.zeros((height, width), dtype=bool)
            rows = range(max(i - window // 2, 0), min(i - window // 2 + window, height))
            cols = range(max(j - window // 2, 0), min(j - window // 2 + window, width))
            mask[np.ix_(rows, cols)] = True
            squares.append(mask)
    return squares


def censored(image: torch.Tensor, mask: np.ndarray) -> torch.Tensor:
    """``image`` with ``mask`` in its mean colour (SBSM's default background)."""
    return torch.where(torch.from_numpy(mask), image.mean(dim=(1, 2), keepdim=True), image)


ODD_QUERY = torch.rand(3, 26, 17, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
ODD_RESULT = torch.rand(3, 23, 31, generator=torch.Generator().manual_seed(2), dtype=torch.float64)


def test_first_order_sbsm_defaults_equal_the_definition_on_non_square_images_of_different_shapes():
    """Window 20, stride 3 and the mean colour by default; the weighted average of the squares,
    each weighted by the similarity it removes (clipped at 0), whatever the batch size."""
    model = linear_cosine(ODD_QUERY.shape, ODD_RESULT.shape, seed=3)
    full = float(model(ODD_QUERY[None], ODD_RESULT[None])[0])
    squares = reference_squares(23, 31, window=20, stride=3)
    weights = [max(full - float(model(ODD_QUERY[None], censored(ODD_RESULT, m)[None])[0]), 0.0) for m in squares]
    expected = sum(w * m for w, m in zip(weights, squares)) / np.maximum(sum(squares), 1)
    assert 0 < sum(w == 0 for w in weights) < len(weights)  # some squares add similarity: the clip matters
    np.testing.assert_allclose(sbsm(model, ODD_QUERY, ODD_RESULT), expected, atol=1e-7)
    np.testing.assert_allclose(sbsm(model, ODD_QUERY, ODD_RESULT, batch_size=7), expected, atol=1e-7)
    np.testing.assert_array_equal(square_masks(23, 31), np.stack(squares))


def test_second_order_sbsm_weights_and_projection_equal_the_definition():
    model = linear_cosine(ODD_QUERY.shape, ODD_RESULT.shape, seed=4)
    found = sbsm_second_order(model, ODD_QUERY, ODD_RESULT, n_samples=40, window=9, stride=5, batch_size=6,
                              random_state=1)
    query_squares, result_squares = reference_squares(26, 17, 9, 5), reference_squares(23, 31, 9, 5)
    np.testing.assert_array_equal(found.query_masks, np.stack(query_squares))
    np.testing.assert_array_equal(found.result_masks, np.stack(result_squares))
    assert found.pairs.shape == (40, 2) and len(set(map(tuple, found.pairs))) > 30
    d = lambda q, r: float(model(q[None], r[None])[0])  # noqa: E731
    full = d(ODD_QUERY, ODD_RESULT)
    expected = [max(d(censored(ODD_QUERY, query_squares[a]), censored(ODD_RESULT, result_squares[b]))
                    - d(censored(ODD_QUERY, query_squares[a]), ODD_RESULT)
                    - d(ODD_QUERY, censored(ODD_RESULT, result_squares[b])) + full, 0.0) for a, b in found.pairs]
    np.testing.assert_allclose(found.weights, expected, atol=1e-7)
    assert (found.weights == 0).any() and (found.weights > 0).any()
    region = np.zeros((26, 17), dtype=bool)
    region[10:14, 3:6] = True
    for where in (region, (12, 4)):
        as_region = region if isinstance(where, np.ndarray) else np.eye(1, 26 * 17, 12 * 17 + 4, dtype=bool).reshape(26, 17)
        chosen = [k for k, (a, _) in enumerate(found.pairs) if (query_squares[a] & as_region).any()]
        weights = found.weights[chosen]
        projected = sum(w * result_squares[found.pairs[k, 1]] for w, k in zip(weights, chosen)) / weights.sum()
        np.testing.assert_allclose(found.project_mask(where), projected, atol=1e-7)
    nothing = SBSMCorrespondence(found.query_masks, found.result_masks, found.pairs, np.zeros(40))
    assert nothing.project_mask(region).shape == (23, 31) and not nothing.project_mask(region).any()


def test_second_order_sbsm_defaults():
    """20,000 sampled pairs of 20-pixel squares on a stride-3 grid, in the mean colour."""
    model = linear_cosine(ODD_QUERY.shape, ODD_RESULT.shape, seed=5)
    found = sbsm_second_order(model, ODD_QUERY, ODD_RESULT, random_state=0)
    assert found.pairs.shape == (20_000, 2)
    np.testing.assert_array_equal(found.query_masks, np.stack(reference_squares(26, 17, 20, 3)))
    a, b = found.pairs[0]
    d = lambda q, r: float(model(q[None], r[None])[0])  # noqa: E731
    q, r = censored(ODD_QUERY, found.query_masks[a]), censored(ODD_RESULT, found.result_masks[b])
    expected = max(d(q, r) - d(q, ODD_RESULT) - d(ODD_QUERY, r) + d(ODD_QUERY, ODD_RESULT), 0.0)
    assert found.weights[0] == pytest.approx(expected, abs=1e-7)


def test_first_order_sbsm_with_its_own_window_and_stride_averages_where_squares_overlap_once():
    model = linear_cosine(ODD_QUERY.shape, ODD_RESULT.shape, seed=6)
    full = float(model(ODD_QUERY[None], ODD_RESULT[None])[0])
    squares = reference_squares(23, 31, window=7, stride=4)
    assert (sum(squares) == 1).any()  # some pixels lie under one square only
    weights = [max(full - float(model(ODD_QUERY[None], censored(ODD_RESULT, m)[None])[0]), 0.0) for m in squares]
    expected = sum(w * m for w, m in zip(weights, squares)) / np.maximum(sum(squares), 1)
    np.testing.assert_allclose(sbsm(model, ODD_QUERY, ODD_RESULT, window=7, stride=4), expected, atol=1e-7)
    assert square_masks(5, 4, window=1, stride=1).shape == (20, 5, 4)
    for window, stride in ((0, 3), (3, 0)):
        with pytest.raises(ValueError, match="window and stride must be positive"):
            square_masks(8, 8, window, stride)


def test_sbsm_names_the_image_that_is_not_one_and_takes_a_float_region():
    model = linear_cosine(ODD_QUERY.shape, ODD_RESULT.shape, seed=7)
    for function in (sbsm, lambda *a: sbsm_second_order(*a, n_samples=4)):
        for name, arguments in (("query", (np.zeros(5), ODD_RESULT)), ("result", (ODD_QUERY, np.zeros(5)))):
            with pytest.raises(ValueError, match=rf"\b{name}\b"):
                function(model, *arguments)
    found = sbsm_second_order(model, ODD_QUERY, ODD_RESULT, n_samples=30, window=9, stride=5, random_state=2)
    region = np.zeros((26, 17))
    region[2:6, 2:6] = 1.0  # a mask read from an image file: floats
    np.testing.assert_array_equal(found.project_mask(region), found.project_mask(region.astype(bool)))
