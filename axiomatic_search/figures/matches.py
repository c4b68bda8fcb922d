"""Correspondences drawn as keypoint-matching figures do: query and result side by side, a line
from each strong query region to the result region it interacts with most."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

from .regions import display_image, number_regions, outline, region_centres

MATCH_COLOURS = "plasma"
MATCH_LABEL = "query×result interaction (Shapley–Taylor)"


def block_layout(found: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(block, query labels, result labels)`` of a ``Correspondence`` or ``SecondOrderResult``."""
    players = (getattr(found, "query_players", None), getattr(found, "result_players", None))
    if not all(hasattr(side, "labels") for side in players):
        raise ValueError("this correspondence has no image players (query_players and result_players with "
                         "label maps); draw_matches needs the label maps: pass them yourself")
    return check_block(found.query_result_block), players[0].labels, players[1].labels


def check_block(block: object) -> np.ndarray:
    """A finite 2-d query×result block as float64."""
    block = np.asarray(block, dtype=np.float64)
    if block.ndim != 2:
        raise ValueError(f"block must be a (query players, result players) matrix, got shape {block.shape}")
    if not np.isfinite(block).all():
        raise ValueError("block contains NaN or inf interactions; nothing to draw")
    return block


def strongest_matches(block: np.ndarray, top: int | None) -> list[tuple[int, int, float]]:
    """``(query player, its best result player, the interaction)`` for the ``top`` query players
    whose best interaction is largest (positive ones only), strongest first.

    >>> strongest_matches(np.array([[0.1, 0.5], [0.9, -1.0], [-0.2, -0.1]]), top=5)
    [(1, 0, 0.9), (0, 1, 0.5)]
    """
    best = block.argmax(axis=1)
    strength = block[np.arange(len(block)), best]
    order = [int(q) for q in np.argsort(-strength, kind="stable") if strength[q] > 0]
    return [(q, int(best[q]), float(strength[q])) for q in order[:top]]


def draw_matches(ax: Axes, query: object, result: object, query_labels: object, result_labels: object,
                 block: object, *, top: int = 8, gap: float = 0.06, title: str = "",
                 colorbar: bool = True) -> list[tuple[int, int, float]]:
    """Query (left) and result (right, scaled to the query's height) side by side, the players
    outlined, and a line from each of the ``top`` strongest query regions to its best result
    region, coloured and weighted by the interaction; both ends numbered. ``title`` prefixes the
    axes' title. Returns the matches."""
    query_image, result_image = display_image(query, "query"), display_image(result, "result")
    query_labels, result_labels = np.asarray(query_labels), np.asarray(result_labels)
    block = check_block(block)
    if query_labels.shape != query_image.shape[:2] or result_labels.shape != result_image.shape[:2]:
        raise ValueError(f"label maps {query_labels.shape} and {result_labels.shape} must match the images "
                         f"{query_image.shape[:2]} and {result_image.shape[:2]}")
    if block.shape != (int(query_labels.max()) + 1, int(result_labels.max()) + 1):
        raise ValueError(f"block has shape {block.shape}; expected (query players, result players) = "
                         f"({int(query_labels.max()) + 1}, {int(result_labels.max()) + 1})")
    height, width = query_image.shape[:2]
    scale = height / result_image.shape[0]
    left = width * (1 + gap)
    right = left + result_image.shape[1] * scale
    for picture, labels, extent in ((query_image, query_labels, (0, width, height, 0)),
                                    (result_image, result_labels, (left, right, height, 0))):
        ax.imshow(picture, extent=extent)
        ax.imshow(outline(labels), extent=extent)
    matches = strongest_matches(block, top)
    limit = max((value for *_, value in matches), default=1.0)
    norm = Normalize(0.0, limit)
    colours = ScalarMappable(norm=norm, cmap=MATCH_COLOURS)
    query_centres, result_centres = region_centres(query_labels), region_centres(result_labels)
    for query_player, result_player, value in matches[::-1]:  # strongest drawn last, on top
        (row_q, col_q), (row_r, col_r) = query_centres[query_player], result_centres[result_player]
        ax.plot([col_q, left + col_r * scale], [row_q, row_r * scale], color=colours.to_rgba(value),
                linewidth=0.8 + 2.2 * value / limit, marker="o", markersize=3, alpha=0.9)
    number_regions(ax, query_labels, np.array([q for q, _, _ in matches], dtype=int))
    number_regions(ax, result_labels, np.array(sorted({r for _, r, _ in matches}), dtype=int),
                   offset=(left, 0.0), scale=scale)
    ax.set_xlim(0, right)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    ax.set_title(f"{title}the {len(matches)} strongest query regions → their best result region", fontsize=9)
    if colorbar:
        bar = ax.figure.colorbar(colours, ax=ax, fraction=0.025, pad=0.01)
        bar.set_label(MATCH_LABEL, fontsize=8)
        bar.ax.tick_params(labelsize=7)
    return matches
