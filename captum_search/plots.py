"""Figures for the grey-box attributions, shared with shap_search and lime_search: feature-map
cells are the players (a cell ``k`` of an ``h × w`` map is ``k = row · w + col``), drawn as a
numbered grid over the image.

>>> import torch
>>> figure = regions(torch.tensor([[[0.5, -0.2], [0.1, 0.0]]]), torch.rand(3, 32, 48))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from axiomatic_search.figures import display_image, plot_correspondence, plot_regions
from axiomatic_search.images import grid_segments
from axiomatic_search.results import Correspondence


def _first_image(image: object, name: str) -> np.ndarray:
    """The first image of a ``(B, C, H, W)`` batch (or the image itself) for drawing."""
    return display_image(image[0] if isinstance(image, torch.Tensor) and image.ndim == 4 else image, name)


def _first_map(attributions: object) -> np.ndarray:
    values = torch.as_tensor(attributions).detach().cpu().double()
    if values.ndim == 3:
        values = values[0]
    if values.ndim != 2:
        raise ValueError(f"attributions must be a feature-map attribution (B, h, w) or (h, w), got {tuple(values.shape)}")
    return values.numpy()


def regions(attributions: object, image: object, top: int = 10, value_label: str = "attribution to the similarity",
            path: str | Path | None = None):
    """A first-order attribution (``SAM``, ``IGSAM``, ``KernelSAM``, ... : ``(B, h, w)``; the
    first row is drawn) on its image: feature cells outlined and numbered, colour bar, bar plot
    (``value_label`` names the values: SAM and Kernel SAM give Shapley values, GradCAM does not).
    ``image``: the explained image, ``(C, H, W)`` / ``(1, C, H, W)`` tensor or ``(H, W, 3)`` array."""
    values = _first_map(attributions)
    picture = _first_image(image, "image")
    labels = grid_segments(*picture.shape[:2], values.shape)
    return plot_regions(picture, labels, values.ravel(), top=top, path=path, value_label=value_label,
                        names=[f"cell {k}" for k in range(values.size)])


def correspondence(block: object, query: object, result: object, query_map: tuple[int, int],
                   result_map: tuple[int, int] | None = None, n_regions: int = 3, top: int = 8,
                   path: str | Path | None = None):
    """A second-order block (``SecondOrderSAM``, ``SecondOrderIGSAM``, ``SecondOrderKernelSAM``:
    ``(B, hq·wq, hr·wr)``; the first row is drawn) as lines between feature cells and per-query
    heat. ``query_map`` / ``result_map``: the feature maps' ``(h, w)`` (result defaults to the query's)."""
    values = torch.as_tensor(block).detach().cpu().double()
    values = values[0] if values.ndim == 3 else values
    result_map = tuple(result_map or query_map)
    if values.ndim != 2 or values.shape != (query_map[0] * query_map[1], result_map[0] * result_map[1]):
        raise ValueError(f"block has shape {tuple(values.shape)}; with query_map={tuple(query_map)} and "
                         f"result_map={result_map} it must be ({query_map[0] * query_map[1]}, "
                         f"{result_map[0] * result_map[1]})")
    images = [_first_image(side, name) for side, name in ((query, "query"), (result, "result"))]
    found = Correspondence(values.numpy(), method="captum", n_forward_passes=0,
                           query_players=_Cells(grid_segments(*images[0].shape[:2], tuple(query_map))),
                           result_players=_Cells(grid_segments(*images[1].shape[:2], result_map)))
    return plot_correspondence(found, images[0], images[1], n_regions=n_regions, top=top, path=path)


class _Cells:
    """A feature-map grid as players: its label map."""

    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels
