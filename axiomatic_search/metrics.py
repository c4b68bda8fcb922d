"""The paper's evaluation metrics (Sec. 6, A.2), for any explanation method.

- ``first_order_faithfulness``: blur the top 30 % of the explained image's pixels (by the
  heatmap) with a 25 px blur; the drop in similarity. Higher is more faithful.
- ``inefficiency``: ``|Σ attributions − (v(N) − v(∅))|``; zero for efficient methods.
- ``second_order_faithfulness``: keep only the query object and the result pixels most
  attended by its projection (as many as the result's ground-truth mask), blur the rest; the
  similarity that remains. Higher is more faithful.
- ``binary_miou``: mean intersection over union of the projected region and the ground-truth
  mask, foreground and background classes averaged (label propagation).
- ``cell_accuracy``: the share of query cells whose strongest interaction with the result is
  their true result cell (correspondence benchmark with known transforms).
"""

from __future__ import annotations

import numpy as np
import torch

from .backgrounds import Blur
from .images import as_image_tensor
from .models import SimilarityModel


def top_pixels(heatmap: np.ndarray, count: int) -> np.ndarray:
    """Boolean mask of the ``count`` highest pixels of ``heatmap`` (ties broken by position).

    >>> top_pixels(np.array([[3.0, 1.0], [2.0, 0.0]]), 2).tolist()
    [[True, False], [True, False]]
    """
    heatmap = np.asarray(heatmap, dtype=np.float64)
    if heatmap.ndim != 2:
        raise ValueError(f"heatmap must be an (H, W) array, got shape {heatmap.shape}")
    if not 0 <= count <= heatmap.size:
        raise ValueError(f"count must be between 0 and {heatmap.size}, got {count}")
    order = np.argsort(-heatmap.ravel(), kind="stable")[:count]
    mask = np.zeros(heatmap.size, dtype=bool)
    mask[order] = True
    return mask.reshape(heatmap.shape)


def _similarity(model: SimilarityModel, query: torch.Tensor, result: torch.Tensor) -> float:
    with torch.inference_mode():
        return float(model(query[None].to(model.device), result[None].to(model.device))[0])


def _blur_outside(image: torch.Tensor, keep: np.ndarray, blur: int) -> torch.Tensor:
    keep_tensor = torch.from_numpy(np.asarray(keep, dtype=bool)).to(image.device)
    if keep_tensor.shape != image.shape[1:]:
        raise ValueError(f"mask has shape {tuple(keep_tensor.shape)}; expected the image's {tuple(image.shape[1:])}")
    return torch.where(keep_tensor, image, Blur(blur)(image)[0])


def first_order_faithfulness(
    model: SimilarityModel, query: object, result: object, heatmap: np.ndarray,
    fraction: float = 0.3, blur: int = 25,
) -> float:
    """``d(q, r) − d(q, r with its top-`fraction` heatmap pixels blurred)``."""
    query, result = as_image_tensor(query, "query"), as_image_tensor(result, "result")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    heatmap = np.asarray(heatmap)
    if heatmap.shape != tuple(result.shape[1:]):
        raise ValueError(f"heatmap has shape {heatmap.shape}; expected the result's {tuple(result.shape[1:])}")
    top = top_pixels(heatmap, int(round(fraction * heatmap.size)))
    return _similarity(model, query, result) - _similarity(model, query, _blur_outside(result, ~top, blur))


def inefficiency(attribution_sum: float, full_value: float, base_value: float) -> float:
    """``|Σ attributions − (v(N) − v(∅))|``.

    >>> inefficiency(0.75, full_value=1.0, base_value=0.5)
    0.25
    """
    return float(abs(attribution_sum - (full_value - base_value)))


def second_order_faithfulness(
    model: SimilarityModel, query: object, result: object, query_mask: np.ndarray,
    projected: np.ndarray, result_mask_size: int, blur: int = 25,
) -> float:
    """Similarity left when only the query object and the ``result_mask_size`` result pixels
    most attended by its projection stay sharp (the rest blurred)."""
    query, result = as_image_tensor(query, "query"), as_image_tensor(result, "result")
    kept = top_pixels(projected, result_mask_size)
    return _similarity(model, _blur_outside(query, query_mask, blur), _blur_outside(result, kept, blur))


def binary_miou(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean IoU of a binary segmentation over its two classes.

    >>> binary_miou(np.array([True, True, False, False]), np.array([True, False, False, False]))
    0.5833333333333333
    """
    predicted, truth = np.asarray(predicted, dtype=bool), np.asarray(truth, dtype=bool)
    if predicted.shape != truth.shape:
        raise ValueError(f"predicted has shape {predicted.shape} but truth has {truth.shape}")
    scores = []
    for a, b in ((predicted, truth), (~predicted, ~truth)):
        union = (a | b).sum()
        scores.append((a & b).sum() / union if union else 1.0)
    return float(np.mean(scores))


def label_propagation_miou(projected: np.ndarray, truth: np.ndarray) -> float:
    """mIoU of the top pixels of a projected heatmap (as many as the true mask) against it."""
    truth = np.asarray(truth, dtype=bool)
    return binary_miou(top_pixels(projected, int(truth.sum())), truth)


def cell_accuracy(block: np.ndarray, true_cells: np.ndarray) -> float:
    """Share of query cells ``i`` (rows of the query×result ``block``) with
    ``argmax_j block[i, j] == true_cells[i]``; cells with ``true_cells[i] < 0`` are left out.

    >>> cell_accuracy(np.array([[1.0, 0.0], [2.0, 1.0]]), np.array([0, 1]))
    0.5
    """
    block = np.asarray(block, dtype=np.float64)
    true_cells = np.asarray(true_cells)
    if block.ndim != 2 or true_cells.shape != (block.shape[0],):
        raise ValueError(
            f"block must be (query cells, result cells) and true_cells one entry per query cell; got "
            f"{block.shape} and {true_cells.shape}"
        )
    if true_cells.max(initial=-1) >= block.shape[1]:
        raise ValueError(f"true_cells holds cell {true_cells.max()} but the block has {block.shape[1]} result cells")
    kept = true_cells >= 0
    if not kept.any():
        raise ValueError("no query cell has a true result cell (all true_cells are -1)")
    return float((block[kept].argmax(axis=1) == true_cells[kept]).mean())
