"""Real photos that ship with installed packages, so every example runs offline."""

from __future__ import annotations

import numpy as np
import torch

from .images import as_image_tensor, to_numpy_image

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "camera", "china", "flower", "grace_hopper")
ALL_PHOTOS = PHOTOS + ("motorcycle",)
"""``PHOTOS`` (what the mosaic benchmark draws from) and the left view of scikit-image's stereo motorcycle."""


def load_photo(name: str, size: int | None = 224) -> np.ndarray:
    """An offline RGB photo as a float32 ``(H, W, 3)`` array in [0, 1], centre-cropped to a
    square and resized to ``size`` (``None`` keeps it as shipped).

    >>> load_photo("chelsea", size=64).shape
    (64, 64, 3)
    """
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        array = load_sample_image(f"{name}.jpg")
    elif name == "grace_hopper":
        import matplotlib.image
        from matplotlib import cbook

        with cbook.get_sample_data("grace_hopper.jpg") as handle:
            array = matplotlib.image.imread(handle)
    elif name == "motorcycle":
        from skimage import data

        array = data.stereo_motorcycle()[0]
    elif name in PHOTOS:
        from skimage import data

        array = getattr(data, name)()
    else:
        raise ValueError(f"unknown photo {name!r}; expected one of {list(ALL_PHOTOS)}")
    image = as_image_tensor(np.stack([array] * 3, axis=-1) if array.ndim == 2 else array)
    if size is not None:
        _, height, width = image.shape
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        image = image[:, top : top + side, left : left + side]
        image = torch.nn.functional.interpolate(
            image[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )[0].clamp(0, 1)
    return to_numpy_image(image)


def collage(tiles: list[np.ndarray], grid: int = 2) -> np.ndarray:
    """Tile ``grid × grid`` equally sized images into one (row-major)."""
    if len(tiles) != grid * grid:
        raise ValueError(f"collage needs {grid * grid} tiles for a {grid}×{grid} grid, got {len(tiles)}")
    rows = [np.concatenate(tiles[r * grid : (r + 1) * grid], axis=1) for r in range(grid)]
    return np.concatenate(rows, axis=0)


def sample_pair(size: int = 224) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The default pair: a photo of a cat (query) and a 2×2 collage (result) whose top-right
    tile is the same cat, mirrored, among coffee, a rocket and an astronaut. Returns
    ``(query, result, mask)`` with ``mask`` the cat tile in the result."""
    half = size // 2
    query = load_photo("chelsea", size)
    cat = load_photo("chelsea", half)[:, ::-1]
    tiles = [load_photo("coffee", half), cat, load_photo("rocket", half), load_photo("astronaut", half)]
    result = collage(tiles)
    mask = np.zeros(result.shape[:2], dtype=bool)
    mask[:half, half:] = True
    return query, np.ascontiguousarray(result), mask
