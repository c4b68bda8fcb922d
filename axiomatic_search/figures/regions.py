"""Region heatmaps: values painted on an image's players, outlined and numbered, with a colour bar.

A region's number is its player index, the ``k`` of shap's ``"region k"`` feature names, of
lime's segment ids and of row ``k`` of a correspondence block, so a bar plot and the picture
name the same thing.
"""

from __future__ import annotations

import matplotlib.patheffects as path_effects
import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from scipy import ndimage
from skimage.segmentation import find_boundaries

from ..images import as_image_tensor, to_numpy_image

HEAT = "bwr"
VALUE_LABEL = "similarity it adds (Shapley value)"


def display_image(image: object, name: str = "image") -> np.ndarray:
    """Any image the library takes, as an ``(H, W, 3)`` float array in [0, 1] for ``imshow``."""
    return to_numpy_image(as_image_tensor(image, name=name))  # always RGB: greyscale is repeated


def check_layout(labels: object, values: object, image: np.ndarray, name: str = "values") -> tuple[np.ndarray, np.ndarray]:
    """``(labels, values)`` as arrays, checked against each other and the image."""
    labels, values = np.asarray(labels), np.asarray(values, dtype=np.float64)
    if labels.shape != image.shape[:2]:
        raise ValueError(f"the players' label map is {labels.shape} but the image is {image.shape[:2]}; they must match")
    if values.ndim != 1 or len(values) != int(labels.max()) + 1:
        raise ValueError(f"{name} must hold one value per player ({int(labels.max()) + 1}), got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or inf")
    return labels, values


def region_centres(labels: np.ndarray) -> np.ndarray:
    """For each player, the ``(row, col)`` of its pixel farthest from its outline (a point
    inside it even for a crescent-shaped superpixel); ties go to the pixel nearest its centroid.

    >>> region_centres(np.array([[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1]])).tolist()
    [[1, 1], [1, 3]]
    """
    index = np.arange(1, int(labels.max()) + 2)
    inside = ~find_boundaries(labels + 1, mode="inner")
    depth = ndimage.distance_transform_edt(np.pad(inside, 1))[1:-1, 1:-1]
    centroids = np.array(ndimage.center_of_mass(np.ones(labels.shape), labels + 1, index)).reshape(-1, 2)
    rows, cols = np.indices(labels.shape)
    off_centre = np.hypot(rows - centroids[labels, 0], cols - centroids[labels, 1])
    score = depth - 1e-3 * off_centre / (1.0 + off_centre.max())
    return np.array(ndimage.maximum_position(score, labels + 1, index=index), dtype=int).reshape(-1, 2)


def strongest(values: np.ndarray, count: int | None) -> np.ndarray:
    """Indices of the ``count`` largest ``|values|`` (all when ``None``), largest first."""
    order = np.argsort(-np.abs(values), kind="stable")
    return order if count is None else order[:count]


def number_regions(ax: Axes, labels: np.ndarray, which: np.ndarray, offset: tuple[float, float] = (0.0, 0.0),
                   scale: float = 1.0, color: str = "white") -> None:
    """Write each player's number at its centre."""
    centres = region_centres(labels)
    for player in which:
        row, col = centres[player]
        ax.text(offset[0] + col * scale, offset[1] + row * scale, str(int(player)), ha="center", va="center",
                fontsize=7, color=color, fontweight="bold",
                path_effects=[path_effects.withStroke(linewidth=2, foreground="black")])


def outline(labels: np.ndarray) -> np.ndarray:
    """An RGBA layer drawing the players' outlines in thin dark lines."""
    layer = np.zeros((*labels.shape, 4))
    layer[find_boundaries(labels + 1, mode="inner"), 3] = 0.55
    return layer


def draw_regions(ax: Axes, image: object, labels: object, values: object, *, numbers: int | None = 10,
                 limit: float | None = None, title: str | None = None, colorbar: bool = True,
                 value_label: str = VALUE_LABEL) -> ScalarMappable:
    """Paint one value per player onto ``image`` (red adds similarity, blue takes it away), outline
    the players, number the ``numbers`` strongest (``None``: all) and add a labelled colour bar.
    The colour scale is symmetric about zero (``limit``: its end, default the largest |value|);
    ``value_label`` says what the values are."""
    picture = display_image(image)
    labels, values = check_layout(labels, values, picture)
    limit = float(limit if limit is not None else np.abs(values).max()) or 1.0
    norm = Normalize(-limit, limit)
    ax.imshow(picture.mean(axis=2), cmap="gray", vmin=0, vmax=1, alpha=0.4)
    ax.imshow(values[labels], cmap=HEAT, norm=norm, alpha=0.65)
    ax.imshow(outline(labels))
    number_regions(ax, labels, strongest(values, numbers))
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    mappable = ScalarMappable(norm=norm, cmap=HEAT)
    if colorbar:
        bar = ax.figure.colorbar(mappable, ax=ax, fraction=0.046, pad=0.02)
        bar.set_label(value_label, fontsize=8)
        bar.ax.tick_params(labelsize=7)
    return mappable


def draw_region_bars(ax: Axes, values: object, *, top: int = 10, names: list[str] | None = None,
                     limit: float | None = None, value_label: str = VALUE_LABEL) -> None:
    """Horizontal bars of the ``top`` strongest players, largest on top, coloured like the
    heatmap and labelled ``"region k"`` (or ``names[k]``)."""
    values = np.asarray(values, dtype=np.float64)
    chosen = strongest(values, top)[::-1]
    limit = float(limit if limit is not None else np.abs(values).max()) or 1.0
    colours = ScalarMappable(norm=Normalize(-limit, limit), cmap=HEAT).to_rgba(values[chosen])
    ax.barh(np.arange(len(chosen)), values[chosen], color=colours, edgecolor="black", linewidth=0.4)
    ax.set_yticks(np.arange(len(chosen)), [names[k] if names else f"region {k}" for k in chosen], fontsize=7)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(value_label, fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
