"""The natural-pairs benchmark (real objects on real textures, exact masks) and the COCO harness
(on a COCO-format folder the test writes: polygons, uncompressed and compressed RLE)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from axiomatic_search import natural_pairs as natural
from axiomatic_search.coco import coco_pair, coco_pair_plan, coco_rle_mask, instance_mask


def test_natural_pairs_are_deterministic_and_share_one_object_with_exact_masks(monkeypatch):
    first, again, other = natural.natural_pair(7, size=96), natural.natural_pair(7, size=96), natural.natural_pair(7, size=96, seed=1)
    np.testing.assert_array_equal(first.query, again.query), np.testing.assert_array_equal(first.result_mask, again.result_mask)
    assert not np.array_equal(first.query, other.query)
    assert first.name.endswith(natural.OBJECTS[7 % len(natural.OBJECTS)])  # the shared object cycles
    assert first.query.shape == first.result.shape == (96, 96, 3) and first.query.min() >= 0 and first.query.max() <= 1
    # each object painted its own flat colour on a NaN background: the mask is exactly the shared object's
    # pixels, nothing occludes it, and the two distractors differ (only one object is shared)
    cutouts = {name: natural.object_cutout(name) for name in natural.OBJECTS}
    colour = {name: np.full(3, (k + 1) / 10) for k, name in enumerate(natural.OBJECTS)}
    monkeypatch.setattr(natural, "object_cutout", lambda name: (np.broadcast_to(colour[name], cutouts[name][0].shape).copy(),
                                                                cutouts[name][1]))
    monkeypatch.setattr(natural, "_background", lambda size, rng: np.full((size, size, 3), np.nan))
    both = 0
    for index in range(12):
        pair = natural.natural_pair(index, size=96)
        shared = natural.OBJECTS[index % len(natural.OBJECTS)]
        found = []
        for image, mask in ((pair.query, pair.query_mask), (pair.result, pair.result_mask)):
            assert mask.sum() > 20 and np.allclose(image[mask], colour[shared], atol=1e-6)
            rest = image[~mask & np.isfinite(image).all(axis=2)]
            found.append({round(float(v), 3) for v in rest[:, 0]} - {round(colour[shared][0], 3)})
        assert found[0].isdisjoint(found[1]) and len(found[0] | found[1]) >= 1  # never the same distractor twice
        both += bool(found[0] and found[1])
    assert both >= 9  # a distractor shows in both images of most pairs (the shared object may cover it)
    photo, cut = natural.object_cutout("coffee")  # cropped to the mask's box: every edge row and column holds object
    assert photo.shape[:2] == cut.shape and cut[0].any() and cut[-1].any() and cut[:, 0].any() and cut[:, -1].any()
    with pytest.raises(ValueError, match="index must be a non-negative int"):
        natural.natural_pair(-1)


def _encode_rle(counts: list[int]) -> str:
    """COCO's compressed RLE, as pycocotools writes it (the inverse of the decoder under test)."""
    text = []
    for i, value in enumerate(counts):
        value = value - counts[i - 2] if i > 2 else value
        more = True
        while more:
            chunk, value = value & 0x1F, value >> 5
            more = value != -1 if chunk & 0x10 else value != 0
            text.append(chr((chunk | (0x20 if more else 0)) + 48))
    return "".join(text)


def write_tiny_coco(root, size: int = 32) -> None:
    from PIL import Image

    (root / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images, annotations = [], []
    square = np.zeros((size, size), bool)
    square[4:20, 6:22] = True
    flat = square.T.ravel()  # column-major, as COCO's RLE runs
    changes = np.flatnonzero(np.diff(np.concatenate([[False], flat, [False]]).astype(int)))
    counts = np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()
    for k in range(4):
        Image.fromarray((rng.random((size, size, 3)) * 255).astype(np.uint8)).save(root / "images" / f"{k}.png")
        images.append({"id": 10 + k, "file_name": f"{k}.png", "height": size, "width": size})
        category = 1 if k % 2 == 0 else 2  # cats on even images, dogs on odd ones
        segmentation = ([[6, 4, 22, 4, 22, 20, 6, 20]] if k == 0 else
                        {"size": [size, size], "counts": counts} if k == 1 else
                        {"size": [size, size], "counts": _encode_rle(counts)})
        annotations.append({"id": k, "image_id": 10 + k, "category_id": category, "segmentation": segmentation,
                            "iscrowd": 0})
    (root / "instances.json").write_text(json.dumps({"images": images, "annotations": annotations,
                                                     "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}))


def test_coco_masks_pairs_and_plan_on_a_tiny_coco_folder(tmp_path):
    write_tiny_coco(tmp_path)
    index = json.loads((tmp_path / "instances.json").read_text())
    masks = [instance_mask(a, 32, 32) for a in index["annotations"]]
    assert masks[1].sum() == masks[2].sum() == 16 * 16 and (masks[1] == masks[2]).all()  # RLE: list and compressed
    assert masks[1][4:20, 6:22].all()
    assert abs(int(masks[0].sum()) - 17 * 17) <= 34  # a polygon rasterised, edges included
    plan = coco_pair_plan(str(tmp_path / "images"), str(tmp_path / "instances.json"), n_pairs=10, seed=0)
    assert sorted(result for _, result, _ in plan) == [10, 11, 12, 13]
    for query, result, category in plan:
        assert query != result and (query - 10) % 2 == (result - 10) % 2 == (category - 1)  # same category
    pair = coco_pair(str(tmp_path / "images"), str(tmp_path / "instances.json"), *plan[0], size=16)
    assert pair.query.shape == (16, 16, 3) and pair.query_mask.any() and pair.result_mask.any()
    assert coco_rle_mask({"size": [3, 2], "counts": _encode_rle([1, 2, 3])}).astype(int).tolist() == [[0, 0], [1, 0], [1, 0]]  # column-major runs
    with pytest.raises(ValueError, match="annotations: no such file"):
        coco_pair_plan(str(tmp_path), str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not COCO instances JSON: no images, annotations, categories"):
        coco_pair_plan(str(tmp_path), str(tmp_path / "bad.json"))
