"""Whole figures: first-order regions with their bar plot, a correspondence (matches and
per-query heat), and the combined explanation the command line writes. 150 dpi by default."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..results import Correspondence, FirstOrderResult, SecondOrderResult
from .matches import block_layout, draw_matches
from .regions import VALUE_LABEL, display_image, draw_region_bars, draw_regions

DPI = 150


def save(figure: Figure, path: str | Path | None, dpi: int = DPI) -> Figure:
    """Save ``figure`` to ``path`` (folders created) when given; return it."""
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=dpi, bbox_inches="tight")
    return figure


def plot_regions(image: object, labels: object, values: object, *, top: int = 10, title: str | None = None,
                 names: list[str] | None = None, value_label: str = VALUE_LABEL, path: str | Path | None = None,
                 dpi: int = DPI) -> Figure:
    """First order: the values on the image (outlined, the ``top`` strongest numbered, colour
    bar labelled ``value_label``) beside a bar plot of the same ``top`` regions under the same numbers.

    >>> labels = np.repeat([[0, 1], [2, 3]], 8, axis=0).repeat(8, axis=1)
    >>> figure = plot_regions(np.ones((16, 16, 3)), labels, np.array([0.3, -0.1, 0.0, 0.2]))
    >>> [ax.get_label() for ax in figure.axes]
    ['regions', 'bars', '<colorbar>']
    """
    figure = plt.figure(figsize=(7.6, 3.4), layout="constrained")
    heat_ax, bar_ax = figure.subplots(1, 2, width_ratios=[1.25, 1])
    heat_ax.set_label("regions")
    bar_ax.set_label("bars")
    draw_regions(heat_ax, image, labels, values, numbers=top, title=title, value_label=value_label)
    draw_region_bars(bar_ax, values, top=top, names=names, value_label=value_label)
    return save(figure, path, dpi)


def _correspondences(second_order: object) -> list:
    if second_order is None:
        return []
    return list(second_order) if isinstance(second_order, (list, tuple)) else [second_order]


def _draw_correspondence_row(figure: Figure, grid, row: int, found, query, result, n_regions: int, top: int,
                             label: str) -> None:
    block, query_labels, result_labels = block_layout(found)
    matches_ax = figure.add_subplot(grid[row, :2], label=f"matches {row}")
    matches = draw_matches(matches_ax, query, result, query_labels, result_labels, block, top=top, title=label)
    limit = float(np.abs(block).max()) or 1.0
    for column, (query_player, _, _) in enumerate(matches[:n_regions], start=2):
        ax = figure.add_subplot(grid[row, column], label=f"projection {row}.{column - 2}")
        draw_regions(ax, result, result_labels, block[query_player], numbers=1, limit=limit,
                     colorbar=column == 1 + min(n_regions, len(matches)),
                     value_label="interaction with the query region",
                     title=f"query region {query_player} → result")


def plot_correspondence(found: Correspondence | SecondOrderResult, query: object, result: object, *,
                        n_regions: int = 3, top: int = 8, title: str | None = None,
                        path: str | Path | None = None, dpi: int = DPI) -> Figure:
    """A correspondence: lines from the ``top`` strongest query regions to their best result
    regions, then for the ``n_regions`` strongest, the whole row of the block painted on the result."""
    return plot_explanation(query, result, None, found, n_regions=n_regions, top=top,
                            titles=[title] if title else None, path=path, dpi=dpi)


def plot_explanation(
    query: object,
    result: object,
    first_order: FirstOrderResult | None = None,
    second_order: Correspondence | SecondOrderResult | list | None = None,
    n_regions: int = 3,
    path: str | Path | None = None,
    titles: list[str] | None = None,
    query_first_order: FirstOrderResult | None = None,
    top: int = 8,
    dpi: int = DPI,
) -> Figure:
    """The whole explanation of a pair (paper Figs. 2 and 4): query and result; the first-order
    regions on the result (and on the query, with ``query_first_order``); then one row per
    correspondence (a ``Correspondence`` / ``SecondOrderResult`` or a list of them): matching
    lines, and where each of the ``n_regions`` strongest query regions lands in the result."""
    correspondences = _correspondences(second_order)
    first = [(r, image, side) for r, image, side in ((first_order, result, "result"),
                                                      (query_first_order, query, "query")) if r is not None]
    columns = max(2 + len(first), 2 + n_regions if correspondences else 0)
    rows = (1 if first or not correspondences else 0) + len(correspondences)
    figure = plt.figure(figsize=(3.3 * columns, 3.2 * rows), layout="constrained")
    grid = figure.add_gridspec(rows, columns)
    row = 0
    if first or not correspondences:
        for column, (picture, name) in enumerate(((query, "query"), (result, "result"))):
            ax = figure.add_subplot(grid[0, column], label=name)
            ax.imshow(display_image(picture, name))
            ax.set_title(name, fontsize=9)
            ax.set_axis_off()
        for column, (explained, image, side) in enumerate(first, start=2):
            if explained.players is None or not hasattr(explained.players, "labels"):
                raise ValueError(f"the first-order result on the {side} has no image players to draw")
            ax = figure.add_subplot(grid[0, column], label=f"first order on the {side}")
            draw_regions(ax, image, explained.players.labels, explained.values, title=f"first order on the {side}")
        row = 1
    for index, found in enumerate(correspondences):
        label = f"{titles[index]}: " if titles else ""
        _draw_correspondence_row(figure, grid, row + index, found, query, result, n_regions, top, label)
    return save(figure, path, dpi)
