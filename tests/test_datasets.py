"""The offline mosaic benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from axiomatic_search.datasets import mosaic_pair, mosaic_pairs


def test_mosaic_pairs_are_deterministic_distinct_and_masked():
    pairs = list(mosaic_pairs(60, size=32, grid=2, seed=3))
    assert len({p.query.tobytes() + p.result.tobytes() for p in pairs}) == 60
    again = mosaic_pair(7, size=32, grid=2, seed=3)
    np.testing.assert_array_equal(again.query, pairs[7].query)
    for pair in pairs[:5]:
        assert pair.query.shape == pair.result.shape == (32, 32, 3)
        assert pair.query_mask.sum() == pair.result_mask.sum() == 16 * 16


def test_the_masked_tiles_hold_the_same_photo():
    """The shared tiles' colour histograms match each other better than any distractor tile."""
    def histogram(pixels):
        return np.histogramdd(pixels.reshape(-1, 3), bins=4, range=[(0, 1)] * 3)[0].ravel() / len(pixels.reshape(-1, 3))

    hits = 0
    for pair in mosaic_pairs(20, size=64, grid=2, seed=1):
        shared = histogram(pair.query[pair.query_mask])
        distance = lambda mask: np.abs(shared - histogram(pair.result[mask])).sum()  # noqa: E731
        tiles = [np.zeros((64, 64), bool) for _ in range(4)]
        for k, tile in enumerate(tiles):
            tile[(k // 2) * 32 : (k // 2 + 1) * 32, (k % 2) * 32 : (k % 2 + 1) * 32] = True
        best = min(range(4), key=lambda k: distance(tiles[k]))
        hits += bool((tiles[best] == pair.result_mask).all())
    assert hits >= 16


def test_bad_arguments():
    with pytest.raises(ValueError, match="multiple of grid"):
        mosaic_pair(0, size=33, grid=2)
    with pytest.raises(ValueError, match="photos"):
        mosaic_pair(0, size=30, grid=3)
