"""SBSM (Dong et al.): sliding-square-mask saliency for similarity, and its second-order
generalisation (paper A.9).

First order: censor an ``s × s`` square (window 20, stride 3, mean-colour background) at every
position; its weight is the similarity it removes, ``w = max(d(q, r) − d(q, M(r)), 0)`` (the
paper's Eq. 10 writes ``min[·, 0]`` of the opposite difference; the text's "w > 0 for critical
areas" fixes the sign). The heatmap is the weighted average of the masks.

Second order: sampled pairs of squares, one on each image. A pair's weight is how much more
similarity censoring both squares keeps than censoring each alone predicts,
``w = max(d(M(q), M(r)) − d(M(q), r) − d(q, M(r)) + d(q, r), 0)``, which is positive for
corresponding regions (Eq. 11's intent). Projecting a query region averages the result squares
of the pairs whose query square overlaps it, weighted by ``w``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .._checks import as_generator
from ..backgrounds import Background, get_background
from ..images import as_image_tensor
from ..models import SimilarityModel


def square_masks(height: int, width: int, window: int = 20, stride: int = 3) -> np.ndarray:
    """Boolean ``(K, H, W)`` squares of side ``window`` centred on a ``stride`` grid.

    >>> square_masks(6, 6, window=2, stride=3).shape
    (4, 6, 6)
    """
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be positive, got {window} and {stride}")
    half = window // 2
    centres = [(i, j) for i in range(0, height, stride) for j in range(0, width, stride)]
    masks = np.zeros((len(centres), height, width), dtype=bool)
    for k, (i, j) in enumerate(centres):
        masks[k, max(i - half, 0) : i - half + window, max(j - half, 0) : j - half + window] = True
    return masks


def _censor(image: torch.Tensor, masks: np.ndarray, background: torch.Tensor) -> torch.Tensor:
    censored = torch.from_numpy(masks)[:, None].to(image.device)
    return torch.where(censored, background, image)


def _scores(model: SimilarityModel, queries: torch.Tensor, results: torch.Tensor) -> np.ndarray:
    with torch.inference_mode():
        return model(queries.to(model.device), results.to(model.device)).double().cpu().numpy()


def sbsm(
    model: SimilarityModel, query: object, result: object, window: int = 20, stride: int = 3,
    background: str | Background | object = "mean", batch_size: int = 64,
) -> np.ndarray:
    """First-order SBSM heatmap ``(H, W)`` of the result."""
    query, result = as_image_tensor(query, "query"), as_image_tensor(result, "result")
    fill = get_background(background)(result)[0]
    masks = square_masks(*result.shape[1:], window, stride)
    full = _scores(model, query[None], result[None])[0]
    weights = np.concatenate([
        np.maximum(full - _scores(model, query.expand(len(chunk), *query.shape), _censor(result, chunk, fill)), 0.0)
        for chunk in np.array_split(masks, max(1, -(-len(masks) // batch_size)))
    ])
    coverage = masks.sum(axis=0)
    return np.tensordot(weights, masks, axes=1) / np.maximum(coverage, 1)


@dataclass(frozen=True)
class SBSMCorrespondence:
    """Sampled square pairs and their weights; ``project_mask`` maps a query region onto the result."""

    query_masks: np.ndarray
    result_masks: np.ndarray
    pairs: np.ndarray  # (m, 2) indices into the query and result masks
    weights: np.ndarray  # (m,)

    def project_mask(self, query_region: np.ndarray | tuple[int, int]) -> np.ndarray:
        """Result heatmap for a boolean query region or a ``(row, col)`` point."""
        if isinstance(query_region, tuple):
            region = np.zeros(self.query_masks.shape[1:], dtype=bool)
            region[query_region] = True
        else:
            region = np.asarray(query_region, dtype=bool)
        overlapping = (self.query_masks & region).any(axis=(1, 2))
        selected = overlapping[self.pairs[:, 0]]
        weights = self.weights[selected]
        if weights.sum() == 0:
            return np.zeros(self.result_masks.shape[1:])
        return np.tensordot(weights, self.result_masks[self.pairs[selected, 1]], axes=1) / weights.sum()


def sbsm_second_order(
    model: SimilarityModel, query: object, result: object, n_samples: int = 20_000, window: int = 20,
    stride: int = 3, background: str | Background | object = "mean", batch_size: int = 64,
    random_state: int | np.random.Generator | None = None,
) -> SBSMCorrespondence:
    """Second-order SBSM from ``n_samples`` random square pairs (plus each square alone)."""
    query, result = as_image_tensor(query, "query"), as_image_tensor(result, "result")
    rng = as_generator(random_state)
    query_fill, result_fill = get_background(background)(query)[0], get_background(background)(result)[0]
    query_masks = square_masks(*query.shape[1:], window, stride)
    result_masks = square_masks(*result.shape[1:], window, stride)
    pairs = np.stack([rng.integers(len(query_masks), size=n_samples),
                      rng.integers(len(result_masks), size=n_samples)], axis=1)
    full = _scores(model, query[None], result[None])[0]

    def batched(score_chunk, count: int) -> np.ndarray:
        return np.concatenate([score_chunk(idx) for idx in np.array_split(np.arange(count), max(1, -(-count // batch_size)))])

    query_alone = batched(lambda idx: _scores(model, _censor(query, query_masks[idx], query_fill),
                                              result.expand(len(idx), *result.shape)), len(query_masks))
    result_alone = batched(lambda idx: _scores(model, query.expand(len(idx), *query.shape),
                                               _censor(result, result_masks[idx], result_fill)), len(result_masks))
    both = batched(lambda idx: _scores(model, _censor(query, query_masks[pairs[idx, 0]], query_fill),
                                       _censor(result, result_masks[pairs[idx, 1]], result_fill)), n_samples)
    weights = np.maximum(both - query_alone[pairs[:, 0]] - result_alone[pairs[:, 1]] + full, 0.0)
    return SBSMCorrespondence(query_masks, result_masks, pairs, weights)
