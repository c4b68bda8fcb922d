"""The offline mosaic benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from axiomatic_search.datasets import mosaic_pair, mosaic_pairs


def test_mosaic_pairs_are_deterministic_distinct_and_masked():
    pairs = list(mosaic_pairs(60, size=32, grid=2, seed=3))
    assert len({p.query.tobytes() + p.result.tobytes() for p in pairs}) == 60
    again = mosaic_pair(7, size=32, grid=2, seed=3)
    np.testing.assert_array_equal(again.query, pairs[7].query)
    for pair in pairs[:5]:
        assert pair.query.shape == pair.result.shape == (32, 32, 3)
        assert pair.query_mask.sum() == pair.result_mask.sum() == 16 * 16


def test_the_masked_tiles_hold_the_same_photo():
    """The shared tiles' colour histograms match each other better than any distractor tile."""
    def histogram(pixels):
        return np.histogramdd(pixels.reshape(-1, 3), bins=4, range=[(0, 1)] * 3)[0].ravel() / len(pixels.reshape(-1, 3))

    hits = 0
    for pair in mosaic_pairs(20, size=64, grid=2, seed=1):
        shared = histogram(pair.query[pair.query_mask])
        distance = lambda mask: np.abs(shared - histogram(pair.result[mask])).sum()  # noqa: E731
        tiles = [np.zeros((64, 64), bool) for _ in range(4)]
        for k, tile in enumerate(tiles):
            tile[(k // 2) * 32 : (k // 2 + 1) * 32, (k % 2) * 32 : (k % 2 + 1) * 32] = True
        best = min(range(4), key=lambda k: distance(tiles[k]))
        hits += bool((tiles[best] == pair.result_mask).all())
    assert hits >= 16


def test_bad_arguments():
    with pytest.raises(ValueError, match="multiple of grid"):
        mosaic_pair(0, size=33, grid=2)
    with pytest.raises(ValueError, match="photos"):
        mosaic_pair(0, size=30, grid=3)


def write_tiny_voc(root, n_train: int = 4, n_val: int = 2, size: int = 24) -> None:
    """A VOC2012-format folder: JPEGImages, SegmentationClass (index PNGs), ImageSets."""
    from PIL import Image

    base = root / "VOCdevkit" / "VOC2012"
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (base / folder).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = {"train": [f"2008_{k:06d}" for k in range(n_train)], "val": [f"2009_{k:06d}" for k in range(n_val)]}
    for split, split_names in names.items():
        (base / "ImageSets/Segmentation" / f"{split}.txt").write_text("\n".join(split_names) + "\n")
        for k, name in enumerate(split_names):
            image = (rng.random((size, size, 3)) * 255).astype(np.uint8)
            labels = np.zeros((size, size), np.uint8)
            labels[: size // 2, : size // 2] = 8 if k % 2 == 0 else 12  # cat or dog
            labels[-2:, :] = 255  # VOC's "void" border
            Image.fromarray(image).save(base / "JPEGImages" / f"{name}.jpg")
            Image.fromarray(labels).save(base / "SegmentationClass" / f"{name}.png")


def test_voc_pairs_on_a_tiny_voc_folder(tmp_path):
    from PIL import Image

    from axiomatic_search.datasets import _resize_image, voc_pairs
    from axiomatic_search.models import EmbeddingSimilarity

    write_tiny_voc(tmp_path)
    model = EmbeddingSimilarity(lambda x: x.flatten(1))
    pairs = voc_pairs(str(tmp_path), model, size=16, seed=0)
    assert len(pairs) == 2
    candidates = {8: [0, 2], 12: [1, 3]}  # train images holding each class
    jpegs = tmp_path / "VOCdevkit/VOC2012/JPEGImages"
    train_images = {t: _resize_image(np.asarray(Image.open(jpegs / f"2008_{t:06d}.jpg").convert("RGB")), 16)
                    for t in range(4)}
    for pair in pairs:
        assert pair.query.shape == pair.result.shape == (16, 16, 3)
        assert pair.query_mask.any() and pair.result_mask.any()
        chosen = int(pair.name.split("class")[-1])
        picked = int(pair.name.split("train")[1].split("-")[0])
        assert picked in candidates[chosen]
        cosine = {t: float(np.dot(train_images[t].ravel(), pair.result.ravel())
                           / np.linalg.norm(train_images[t]) / np.linalg.norm(pair.result)) for t in candidates[chosen]}
        assert picked == max(cosine, key=cosine.get)  # the nearest training image of the class
