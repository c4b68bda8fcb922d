"""Pairs of images with ground-truth correspondence masks, for the paper's evaluation.

``mosaic_pair``: an offline benchmark from the photos that ship with installed packages. Query
and result are ``grid × grid`` mosaics that share one photo, placed in different cells, cropped
differently and mirrored at random, among distractor photos; the shared tile is the
ground-truth mask on each side. Deterministic in ``(index, seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

import numpy as np
import torch

from .data import PHOTOS, load_photo


@dataclass(frozen=True)
class ImagePair:
    """A (query, result) pair of ``(H, W, 3)`` float images and boolean object masks."""

    query: np.ndarray
    result: np.ndarray
    query_mask: np.ndarray
    result_mask: np.ndarray
    name: str


@lru_cache(maxsize=None)
def _photo(name: str, size: int) -> np.ndarray:
    return load_photo(name, size)


def _tile(name: str, tile: int, rng: np.random.Generator) -> np.ndarray:
    """The photo cropped to a random 75–100 % square, resized to the tile, maybe mirrored."""
    photo = _photo(name, 2 * tile)
    side = int(rng.uniform(0.75, 1.0) * len(photo))
    top, left = rng.integers(0, len(photo) - side + 1, size=2)
    crop = torch.from_numpy(np.ascontiguousarray(photo[top : top + side, left : left + side])).permute(2, 0, 1)
    resized = torch.nn.functional.interpolate(crop[None], size=(tile, tile), mode="bilinear", antialias=True,
                                              align_corners=False)[0].permute(1, 2, 0).clamp(0, 1).numpy()
    return resized[:, ::-1] if rng.random() < 0.5 else resized


def _mosaic(tiles: list[np.ndarray], grid: int) -> np.ndarray:
    return np.concatenate([np.concatenate(tiles[r * grid : (r + 1) * grid], axis=1) for r in range(grid)], axis=0)


def mosaic_pair(index: int, size: int = 224, grid: int = 2, seed: int = 0) -> ImagePair:
    """The ``index``-th mosaic pair (any non-negative int; all distinct in practice)."""
    if size % grid:
        raise ValueError(f"size={size} must be a multiple of grid={grid}")
    if grid * grid > len(PHOTOS):
        raise ValueError(f"grid={grid} needs {grid * grid} photos; {len(PHOTOS)} ship offline")
    rng = np.random.default_rng([seed, index])
    tile = size // grid
    shared, *others = rng.permutation(len(PHOTOS))
    cells = grid * grid
    images, masks = [], []
    for _ in range(2):
        cell = int(rng.integers(cells))
        distractors = rng.choice(others, size=cells - 1, replace=False)
        names = [PHOTOS[i] for i in distractors]
        names.insert(cell, PHOTOS[shared])
        images.append(np.ascontiguousarray(_mosaic([_tile(n, tile, rng) for n in names], grid)))
        mask = np.zeros((size, size), dtype=bool)
        row, col = divmod(cell, grid)
        mask[row * tile : (row + 1) * tile, col * tile : (col + 1) * tile] = True
        masks.append(mask)
    return ImagePair(images[0], images[1], masks[0], masks[1], f"mosaic-{seed}-{index}-{PHOTOS[shared]}")


def mosaic_pairs(n_pairs: int = 50, size: int = 224, grid: int = 2, seed: int = 0) -> Iterator[ImagePair]:
    """``n_pairs`` mosaic pairs, generated one at a time."""
    for index in range(n_pairs):
        yield mosaic_pair(index, size, grid, seed)
