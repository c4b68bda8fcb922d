"""Pairs of images with ground-truth correspondences, for the paper's evaluation and ours.

``mosaic_pair``: an offline benchmark from the photos that ship with installed packages. Query
and result are ``grid × grid`` mosaics that share one photo, placed in different cells, cropped
differently and mirrored at random, among distractor photos; the shared tile is the
ground-truth mask on each side. Deterministic in ``(index, seed)``.

``transformed_pair``: a real photo (query) and a known geometric transform of it (result):
its grid tiles permuted, mirrored, zoomed (cropped and rescaled) or shifted, so every query grid
cell has a true result cell (the cell its centre lands in). Deterministic in ``(photo, transform,
seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

import numpy as np
import torch

from .data import ALL_PHOTOS, PHOTOS, load_photo


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
    plan = voc_pair_plan(root, model, year, n_pairs, size, min_fraction, seed, download, batch_size)
    return [voc_pair(root, train, val, chosen, year, size) for train, val, chosen in plan]


def voc_pair_plan(
    root: str,
    model,
    year: str = "2012",
    n_pairs: int | None = None,
    size: int = 224,
    min_fraction: float = 0.05,
    seed: int = 0,
    download: bool = False,
    batch_size: int = 32,
) -> list[tuple[int, int, int]]:
    """``voc_pairs`` as ``(training index, validation index, class)`` triples, so that a
    cluster's workers can each load their own pairs (``voc_pair``) from one plan."""
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
    plan = []
    for v, (_, labels) in enumerate(val):
        classes = [c for c in np.unique(labels) if 0 < c < 255 and (labels == c).mean() > min_fraction]
        if not classes:
            continue
        chosen = int(rng.choice(classes))
        candidates = [t for t, (_, train_labels) in enumerate(train) if (train_labels == chosen).any()]
        if not candidates:
            continue
        similarity = train_features[candidates] @ val_features[v]
        plan.append((candidates[int(similarity.argmax())], v, chosen))
        if n_pairs is not None and len(plan) == n_pairs:
            break
    return plan


def voc_pair(root: str, train: int, val: int, chosen: int, year: str = "2012", size: int = 224) -> ImagePair:
    """One VOC pair of a ``voc_pair_plan``: training image ``train`` (the query) and validation
    image ``val`` (the result), with class ``chosen``'s masks."""
    from torchvision.datasets import VOCSegmentation

    def load(split: str, index: int) -> tuple[np.ndarray, np.ndarray]:
        image, labels = VOCSegmentation(root, year=year, image_set=split)[index]
        return _resize_image(np.asarray(image.convert("RGB")), size), _resize_labels(np.asarray(labels), size)

    (query, query_labels), (result, result_labels) = load("train", train), load("val", val)
    return ImagePair(query, result, query_labels == chosen, result_labels == chosen,
                     f"voc-{year}-val{val}-train{train}-class{chosen}")


TRANSFORMS = ("permute", "flip", "zoom", "shift")
"""Geometric transforms of ``transformed_pair``."""


@dataclass(frozen=True)
class CorrespondencePair:
    """A query, its transformed copy (the result), and for every query cell of a
    ``grid × grid`` layout (row-major, as ``grid_segments``) the result cell its centre lands
    in, or ``-1`` where it leaves the result; ``landed`` holds those centres' ``(row, col)``
    pixel coordinates in the result."""

    query: np.ndarray
    result: np.ndarray
    true_cells: np.ndarray
    grid: int
    name: str
    landed: np.ndarray


def _cell_of(points: np.ndarray, size: int, grid: int) -> np.ndarray:
    """Row-major grid cell of ``(row, col)`` points, ``-1`` outside the image."""
    inside = ((points >= 0) & (points < size)).all(axis=1)
    cells = (points // (size / grid)).astype(int).clip(0, grid - 1)
    return np.where(inside, cells[:, 0] * grid + cells[:, 1], -1)


def _derangement(count: int, rng: np.random.Generator) -> np.ndarray:
    while True:
        order = rng.permutation(count)
        if not (order == np.arange(count)).any():
            return order


def _resample(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``image`` sampled bilinearly at pixel coordinates (reflected at the borders)."""
    grid = np.stack([(cols + 0.5) / image.shape[1] * 2 - 1, (rows + 0.5) / image.shape[0] * 2 - 1], axis=-1)
    sampled = torch.nn.functional.grid_sample(
        torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float(),
        torch.from_numpy(grid)[None].float(), mode="bilinear", padding_mode="reflection", align_corners=False,
    )
    return sampled[0].permute(1, 2, 0).clamp(0, 1).numpy()


def transformed_pair(photo: str, transform: str, size: int = 224, grid: int = 4, seed: int = 0) -> CorrespondencePair:
    """``photo`` (one of ``ALL_PHOTOS``) and its ``transform`` (one of ``TRANSFORMS``):

    - ``permute``: the ``grid × grid`` tiles shuffled (no tile stays in place);
    - ``flip``: mirrored left to right;
    - ``zoom``: a random 70 % crop rescaled to the full size (border cells leave the result);
    - ``shift``: translated by up to a third of a cell each way, borders reflected.

    >>> pair = transformed_pair("chelsea", "flip", size=32, grid=4)
    >>> pair.true_cells[:4].tolist()
    [3, 2, 1, 0]
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"unknown transform {transform!r}; expected one of {list(TRANSFORMS)}")
    if grid < 1 or size % grid:
        raise ValueError(f"size={size} must be a positive multiple of grid={grid}")
    if photo not in ALL_PHOTOS:
        raise ValueError(f"unknown photo {photo!r}; expected one of {list(ALL_PHOTOS)}")
    rng = np.random.default_rng([seed, ALL_PHOTOS.index(photo), TRANSFORMS.index(transform)])
    query = _photo(photo, size)
    cell = size // grid
    centres = (np.stack(np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij"), -1).reshape(-1, 2) + 0.5) * cell
    if transform == "permute":
        order = _derangement(grid * grid, rng)  # query tile k goes to result cell order[k]
        tiles = [query[r * cell : (r + 1) * cell, c * cell : (c + 1) * cell] for r in range(grid) for c in range(grid)]
        placed = [None] * len(tiles)
        for k, target in enumerate(order):
            placed[target] = tiles[k]
        landed = (np.stack(np.divmod(order, grid), axis=1) + 0.5) * cell
        return CorrespondencePair(query, np.ascontiguousarray(_mosaic(placed, grid)), order.astype(int), grid,
                                  f"{photo}-permute", landed)
    if transform == "flip":
        landed = np.stack([centres[:, 0], size - centres[:, 1]], axis=1)
        return CorrespondencePair(query, np.ascontiguousarray(query[:, ::-1]), _cell_of(landed, size, grid), grid,
                                  f"{photo}-flip", landed)
    rows, cols = np.meshgrid(np.arange(size, dtype=np.float64), np.arange(size, dtype=np.float64), indexing="ij")
    if transform == "zoom":
        scale = 0.7
        offset = rng.uniform(0, (1 - scale) * size, size=2)
        result = _resample(query, offset[0] + rows * scale, offset[1] + cols * scale)
        landed = (centres - offset) / scale
    else:
        shift = rng.uniform(-cell / 3, cell / 3, size=2)
        result = _resample(query, rows - shift[0], cols - shift[1])
        landed = centres + shift
    return CorrespondencePair(query, result, _cell_of(landed, size, grid), grid, f"{photo}-{transform}", landed)


def transformed_pairs(
    photos: tuple[str, ...] = ALL_PHOTOS, transforms: tuple[str, ...] = TRANSFORMS, size: int = 224, grid: int = 4,
    seed: int = 0,
) -> Iterator[CorrespondencePair]:
    """Every photo under every transform, generated one at a time."""
    for photo in photos:
        for transform in transforms:
            yield transformed_pair(photo, transform, size, grid, seed)
