"""Natural pairs with exact masks, offline: real objects cut out of the shipped photos
(``objects/<photo>.png``, segmented once by ``benchmarks/segment_objects.py``: GrabCut, or an
ellipse for the cat) pasted onto real textures (scikit-image's brick, grass and gravel, tinted)
at random positions, scales and flips. Query and result share one object; each also holds a
distractor object of another kind (the two distractors differ, so only one object is shared), pasted
first, so the shared object is never occluded and its mask is exactly the pixels pasted. Closer to VOC than the 2 × 2 mosaics: an object on a
background, not a tile in a grid. Deterministic in ``(index, seed)``.

>>> pair = natural_pair(0, size=64)
>>> pair.query.shape, pair.query_mask.dtype, bool(0.05 < pair.query_mask.mean() < 0.6)
((64, 64, 3), dtype('bool'), True)
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Iterator

import numpy as np
import torch
from PIL import Image

from .data import load_photo
from .datasets import ImagePair

OBJECTS = ("coffee", "astronaut", "motorcycle", "grace_hopper", "rocket", "chelsea")
"""The photos whose objects are pasted (their masks ship in ``axiomatic_search/objects``)."""
TEXTURES = ("brick", "grass", "gravel")
"""scikit-image's texture photos, the backgrounds."""
SHARED_SCALE = (0.45, 0.75)
"""The shared object's longer side, as a fraction of the image side."""
DISTRACTOR_SCALE = (0.3, 0.5)


@lru_cache(maxsize=None)
def object_cutout(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(photo, mask)`` of one object cropped to its mask's bounding box (256 px photo)."""
    if name not in OBJECTS:
        raise ValueError(f"unknown object {name!r}; expected one of {list(OBJECTS)}")
    with resources.files("axiomatic_search").joinpath(f"objects/{name}.png").open("rb") as file:
        mask = np.asarray(Image.open(file)).astype(bool)
    photo = load_photo(name, size=mask.shape[0])
    rows, cols = np.nonzero(mask)
    box = slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)
    return np.ascontiguousarray(photo[box]), np.ascontiguousarray(mask[box])


@lru_cache(maxsize=None)
def _texture(name: str) -> np.ndarray:
    import skimage.data

    return getattr(skimage.data, name)().astype(np.float32) / 255.0


def _resize(array: np.ndarray, height: int, width: int, mode: str) -> np.ndarray:
    tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
    tensor = tensor.permute(2, 0, 1)[None] if tensor.ndim == 3 else tensor[None, None]
    options = {"align_corners": False, "antialias": True} if mode == "bilinear" else {}
    resized = torch.nn.functional.interpolate(tensor, size=(height, width), mode=mode, **options)[0]
    return resized.permute(1, 2, 0).clamp(0, 1).numpy() if array.ndim == 3 else resized[0].numpy()


def _background(size: int, rng: np.random.Generator) -> np.ndarray:
    """A random crop of a random texture, rescaled to ``size`` and tinted."""
    texture = _texture(TEXTURES[rng.integers(len(TEXTURES))])
    side = int(rng.uniform(0.4, 1.0) * len(texture))
    top, left = rng.integers(0, len(texture) - side + 1, size=2)
    grey = _resize(texture[top : top + side, left : left + side], size, size, "bilinear")
    tint = rng.uniform(0.55, 1.0, size=3)
    return np.clip(grey[..., None] * tint, 0.0, 1.0)


def _paste(image: np.ndarray, name: str, scale: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Paste object ``name`` into ``image`` (in place) at a random scale, flip and position;
    returns the mask of the pasted pixels."""
    photo, mask = object_cutout(name)
    size = len(image)
    longer = max(2, int(rng.uniform(*scale) * size))
    ratio = longer / max(mask.shape)
    height, width = max(2, int(mask.shape[0] * ratio)), max(2, int(mask.shape[1] * ratio))
    photo, mask = _resize(photo, height, width, "bilinear"), _resize(mask.astype(np.float32), height, width, "nearest") > 0.5
    if rng.random() < 0.5:
        photo, mask = photo[:, ::-1], mask[:, ::-1]
    top, left = rng.integers(0, size - height + 1), rng.integers(0, size - width + 1)
    placed = np.zeros((size, size), dtype=bool)
    placed[top : top + height, left : left + width] = mask
    image[placed] = photo[mask]
    return placed


def natural_pair(index: int, size: int = 224, seed: int = 0) -> ImagePair:
    """The ``index``-th natural pair (any non-negative int): the shared object cycles through
    ``OBJECTS``; backgrounds, scales, flips, positions and distractors are drawn from ``(seed, index)``."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"index must be a non-negative int, got {index!r}")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    rng = np.random.default_rng([seed, index])
    shared = OBJECTS[index % len(OBJECTS)]
    others = [name for name in OBJECTS if name != shared]
    distractors = rng.choice(len(others), size=2, replace=False)  # two different ones: only one object is shared
    images, masks = [], []
    for distractor in distractors:
        image = _background(size, rng)
        _paste(image, others[distractor], DISTRACTOR_SCALE, rng)  # first: the shared one stays whole
        masks.append(_paste(image, shared, SHARED_SCALE, rng))
        images.append(image.astype(np.float32))
    return ImagePair(images[0], images[1], masks[0], masks[1], f"natural-{seed}-{index}-{shared}")


def natural_pairs(n_pairs: int = 100, size: int = 224, seed: int = 0) -> Iterator[ImagePair]:
    """``n_pairs`` natural pairs, generated one at a time."""
    for index in range(n_pairs):
        yield natural_pair(index, size, seed)
