"""From feature-map locations to image players: a block over the backbone's ``h × w`` cells
becomes a block over any player layout (grid cells, superpixels) by overlap weights."""

from __future__ import annotations

import numpy as np

from ..images import grid_segments


def cell_weights(feature_shape: tuple[int, int], labels: np.ndarray) -> np.ndarray:
    """``(h·w, n_players)``: the share of each feature cell's pixels (the cell upsampled to the
    image) inside each player of the ``(H, W)`` label map. Rows sum to 1.

    >>> cell_weights((1, 2), np.array([[0, 0, 1, 1]])).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    labels = np.asarray(labels)
    cells = grid_segments(*labels.shape, tuple(feature_shape)).ravel()
    weights = np.zeros((feature_shape[0] * feature_shape[1], int(labels.max()) + 1))
    np.add.at(weights, (cells, labels.ravel()), 1.0)
    return weights / weights.sum(axis=1, keepdims=True)


def players_block(block: np.ndarray, query_weights: np.ndarray, result_weights: np.ndarray) -> np.ndarray:
    """A feature-cell block ``(h_q w_q, h_r w_r)`` summed into players: ``W_qᵀ B W_r``. For a
    bilinear head this is exactly the players' interaction when a player masks its share of
    every cell."""
    return query_weights.T @ block @ result_weights
