"""Pictures for the HTML report as data URIs: photos, heatmaps on a symmetric colour scale, and
the per-query-cell projections of a correspondence."""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib import colormaps
from PIL import Image

COLORMAP = "bwr"
"""Blue for negative, white for zero, red for positive: the figures' scale too."""


def data_uri(image: np.ndarray) -> str:
    """An ``(H, W, 3|4)`` float array in [0, 1] as a PNG data URI."""
    pixels = (np.clip(image, 0.0, 1.0) * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def heat_overlay(image: np.ndarray, heat: np.ndarray, limit: float) -> np.ndarray:
    """``heat`` on the colour scale ``[−limit, limit]`` over a faded grey copy of ``image``."""
    colours = colormaps[COLORMAP](np.clip(heat / (limit or 1.0), -1.0, 1.0) * 0.5 + 0.5)[..., :3]
    grey = image.mean(axis=2, keepdims=True)
    return 0.35 * grey + 0.65 * colours


def heatmap_picture(image: np.ndarray, heat: np.ndarray) -> dict:
    """A heatmap's data URI and its scale (largest |value|)."""
    limit = float(np.abs(heat).max())
    return {"src": data_uri(heat_overlay(image, heat, limit)), "limit": limit}


def cell_boxes(labels: np.ndarray) -> list[dict]:
    """Each player's bounding box in percent of the image (for hover regions)."""
    height, width = labels.shape
    boxes = []
    for player in range(int(labels.max()) + 1):
        rows, cols = np.nonzero(labels == player)
        boxes.append({"top": 100 * rows.min() / height, "left": 100 * cols.min() / width,
                      "height": 100 * (rows.max() + 1 - rows.min()) / height,
                      "width": 100 * (cols.max() + 1 - cols.min()) / width})
    return boxes


def correspondence_pictures(result_image: np.ndarray, correspondence) -> tuple[list[str], float]:
    """For each query player, where it lands in the result (one data URI each), on one scale."""
    n_query = correspondence.query_result_block.shape[0]
    heats = [correspondence.result_players.to_pixels(correspondence.project(np.eye(n_query)[k]))
             for k in range(n_query)]
    limit = max(float(np.abs(h).max()) for h in heats)
    return [data_uri(heat_overlay(result_image, h, limit)) for h in heats], limit
