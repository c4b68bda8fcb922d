"""Matplotlib figures for first-order heatmaps and query→result correspondences.

Works headless (Agg); every function returns the figure and can save it to a path.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .images import as_image_tensor, to_numpy_image
from .results import Correspondence, FirstOrderResult, SecondOrderResult


def _show_heatmap(ax, image: np.ndarray, heatmap: np.ndarray, title: str) -> None:
    limit = float(np.abs(heatmap).max()) or 1.0
    ax.imshow(image.mean(axis=2), cmap="gray", alpha=0.35)
    ax.imshow(heatmap, cmap="bwr", vmin=-limit, vmax=limit, alpha=0.65)
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def top_query_players(result: SecondOrderResult | Correspondence, count: int = 3) -> np.ndarray:
    """The query players with the largest total positive interaction with the result."""
    strength = np.clip(result.query_result_block, 0, None).sum(axis=1)
    return np.argsort(strength)[::-1][:count]


def plot_explanation(
    query: np.ndarray,
    result_image: np.ndarray,
    first_order: FirstOrderResult | None = None,
    second_order: SecondOrderResult | Correspondence | list | None = None,
    n_regions: int = 3,
    path: str | Path | None = None,
    titles: list[str] | None = None,
    query_first_order: FirstOrderResult | None = None,
):
    """Query, result, the first-order heatmap on the result (and on the query, with
    ``query_first_order``), and for the ``n_regions`` most interacting query regions, where each
    lands in the result (paper Figs. 2 and 4): one row per correspondence (a
    ``SecondOrderResult`` or ``Correspondence``, or a list of them)."""
    correspondences = [] if second_order is None else (
        list(second_order) if isinstance(second_order, (list, tuple)) else [second_order])
    columns = 2 + (first_order is not None) + (query_first_order is not None)
    width = max(columns, n_regions if correspondences else 0)
    fig, axes = plt.subplots(1 + len(correspondences), width, figsize=(3 * width, 3 * (1 + len(correspondences))),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    axes[0, 0].imshow(query)
    axes[0, 0].set_title("query", fontsize=9)
    axes[0, 1].imshow(result_image)
    axes[0, 1].set_title("result", fontsize=9)
    query_image = to_numpy_image(as_image_tensor(query, name="query"))
    column = 2
    if first_order is not None:
        _show_heatmap(axes[0, column], result_image, first_order.to_pixels(), "first order on the result")
        column += 1
    if query_first_order is not None:
        _show_heatmap(axes[0, column], query_image, query_first_order.to_pixels(), "first order on the query")
    for row, found in enumerate(correspondences, start=1):
        label = f"{titles[row - 1]}: " if titles else ""
        n_query = found.query_result_block.shape[0]
        for column, player in enumerate(top_query_players(found, n_regions)):
            weights = np.zeros(n_query)
            weights[player] = 1.0
            projected = found.result_players.to_pixels(found.project(weights))
            inset = query_image.copy()
            inset[found.query_players.labels != player] *= 0.25
            ax = axes[row, column]
            _show_heatmap(ax, result_image, projected, f"{label}query cell {player} → result")
            ax.inset_axes([0.0, 0.0, 0.35, 0.35]).imshow(inset)
            ax.child_axes[-1].axis("off")
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
    return fig
