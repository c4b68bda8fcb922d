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


def _resize_image(image: np.ndarray, size: int) -> np.ndarray:
    tensor = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]
    resized = torch.nn.functional.interpolate(tensor, size=(size, size), mode="bilinear", align_corners=False)
    return resized[0].permute(1, 2, 0).clamp(0, 1).numpy()


def _resize_labels(labels: np.ndarray, size: int) -> np.ndarray:
    tensor = torch.from_numpy(np.asarray(labels, dtype=np.int64))[None, None].float()
    return torch.nn.functional.interpolate(tensor, size=(size, size), mode="nearest")[0, 0].long().numpy()


def voc_pairs(
    root: str,
    model,
    year: str = "2012",
    n_pairs: int | None = None,
    size: int = 224,
    min_fraction: float = 0.05,
    seed: int = 0,
    download: bool = False,
    batch_size: int = 32,
) -> list[ImagePair]:
    """Pascal VOC pairs as in the paper (A.2), via ``torchvision.datasets.VOCSegmentation``.

    For each validation image: a random class covering more than ``min_fraction`` of it, and the
    training image of that class nearest by cosine similarity of ``model.embed`` features. The
    training image is the query (its class mask is the attention signal), the validation image
    the result. Images are bilinearly resized to ``size``; masks by nearest neighbour.
    """
    from torchvision.datasets import VOCSegmentation

    rng = np.random.default_rng(seed)

    def load(split: str) -> list[tuple[np.ndarray, np.ndarray]]:
        data = VOCSegmentation(root, year=year, image_set=split, download=download)
        return [(_resize_image(np.asarray(img.convert("RGB")), size), _resize_labels(np.asarray(seg), size))
                for img, seg in data]

    def embed(images: list[np.ndarray]) -> torch.Tensor:
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                batch = torch.from_numpy(np.stack(images[start : start + batch_size])).permute(0, 3, 1, 2)
                out.append(torch.nn.functional.normalize(model.embed(batch.to(model.device)).double(), dim=1).cpu())
        return torch.cat(out)

    train, val = load("train"), load("val")
    train_features, val_features = embed([img for img, _ in train]), embed([img for img, _ in val])
    pairs = []
    for v, (image, labels) in enumerate(val):
        classes = [c for c in np.unique(labels) if 0 < c < 255 and (labels == c).mean() > min_fraction]
        if not classes:
            continue
        chosen = int(rng.choice(classes))
        candidates = [t for t, (_, train_labels) in enumerate(train) if (train_labels == chosen).any()]
        if not candidates:
            continue
        similarity = train_features[candidates] @ val_features[v]
        nearest = candidates[int(similarity.argmax())]
        train_image, train_labels = train[nearest]
        pairs.append(ImagePair(train_image, image, train_labels == chosen, labels == chosen,
                               f"voc-{year}-val{v}-train{nearest}-class{chosen}"))
        if n_pairs is not None and len(pairs) == n_pairs:
            break
    return pairs
