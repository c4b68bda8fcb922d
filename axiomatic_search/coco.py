"""MS COCO pairs as in the paper's supplementary Table 2, from COCO-format instance annotations
(``instances_*.json``: images, categories, and per-instance polygons or run-length encodings).

As for VOC (A.2): each image (the result) gets a random category covering more than
``min_fraction`` of it, and the query is the other image holding that category nearest by cosine
similarity of ``model.embed`` features (a random one without a model). Unlike A.2, queries come
from the same annotation file as the results (A.2 takes them from the training split): pass a
file holding both splits' images to mirror it. The masks are the union of
the category's instances; compressed and uncompressed RLE are decoded here (no pycocotools).

>>> coco_rle_mask({"size": [2, 3], "counts": [1, 2, 3]}).astype(int).tolist()
[[0, 1, 0], [1, 0, 0]]
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from .datasets import ImagePair, _resize_image, _resize_labels


@lru_cache(maxsize=4)
def load_annotations(path: str) -> dict:
    """The annotation file indexed: ``images`` by id, ``instances`` per image id, ``categories`` by id."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"annotations: no such file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"annotations: {path} is not a JSON file ({error})") from None
    missing = [key for key in ("images", "annotations", "categories") if key not in data]
    if missing:
        raise ValueError(f"annotations: {path} is not COCO instances JSON: no {', '.join(missing)}")
    instances: dict[int, list] = {}
    for annotation in data["annotations"]:
        instances.setdefault(annotation["image_id"], []).append(annotation)
    return {"images": {image["id"]: image for image in data["images"]}, "instances": instances,
            "categories": {category["id"]: category for category in data["categories"]}}


def _rle_counts(counts: str) -> list[int]:
    """COCO's compressed RLE string (6-bit chunks, deltas after the second count) as run lengths."""
    runs, position = [], 0
    while position < len(counts):
        value, shift, more = 0, 0, True
        while more:
            chunk = ord(counts[position]) - 48
            value |= (chunk & 0x1F) << (5 * shift)
            more = bool(chunk & 0x20)
            position, shift = position + 1, shift + 1
            if not more and chunk & 0x10:
                value |= -1 << (5 * shift)
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def coco_rle_mask(rle: dict) -> np.ndarray:
    """A boolean ``(height, width)`` mask from a COCO RLE (``counts`` a list or a compressed
    string; runs alternate background and object, column by column)."""
    height, width = rle["size"]
    counts = _rle_counts(rle["counts"]) if isinstance(rle["counts"], str) else list(rle["counts"])
    flat = np.zeros(height * width, dtype=bool)
    position = 0
    for index, run in enumerate(counts):
        if index % 2:
            flat[position : position + run] = True
        position += run
    return flat.reshape(width, height).T


def instance_mask(annotation: dict, height: int, width: int) -> np.ndarray:
    """One instance's boolean mask (polygons or RLE)."""
    segmentation = annotation["segmentation"]
    if isinstance(segmentation, dict):
        return coco_rle_mask(segmentation)
    canvas = Image.new("1", (width, height))
    draw = ImageDraw.Draw(canvas)
    for polygon in segmentation:
        if len(polygon) >= 6:
            draw.polygon([(float(x), float(y)) for x, y in zip(polygon[::2], polygon[1::2])], fill=1)
    return np.asarray(canvas, dtype=bool)


def category_mask(index: dict, image_id: int, category: int) -> np.ndarray:
    image = index["images"][image_id]
    mask = np.zeros((image["height"], image["width"]), dtype=bool)
    for annotation in index["instances"].get(image_id, []):
        if annotation["category_id"] == category:
            mask |= instance_mask(annotation, image["height"], image["width"])
    return mask


def _load_image(images: str, index: dict, image_id: int) -> np.ndarray:
    path = Path(images) / index["images"][image_id]["file_name"]
    if not path.is_file():
        raise ValueError(f"images: no such file: {path} (image id {image_id} of the annotations)")
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def coco_pair_plan(images: str, annotations: str, model=None, n_pairs: int | None = None, size: int = 224,
                   min_fraction: float = 0.05, seed: int = 0, batch_size: int = 32) -> list[tuple[int, int, int]]:
    """``(query image id, result image id, category id)`` triples (see the module's protocol), so
    that a cluster's workers can each load their own pairs (``coco_pair``) from one plan."""
    index = load_annotations(str(annotations))
    rng = np.random.default_rng(seed)
    ids = sorted(index["images"])
    large: dict[int, list[int]] = {}  # image -> its categories covering more than min_fraction
    holding: dict[int, list[int]] = {}  # category -> the images holding it
    for image_id in ids:
        for category in sorted({a["category_id"] for a in index["instances"].get(image_id, [])}):
            holding.setdefault(category, []).append(image_id)
            if category_mask(index, image_id, category).mean() > min_fraction:
                large.setdefault(image_id, []).append(category)
    features = None
    if model is not None:
        rows = []
        with torch.inference_mode():
            for start in range(0, len(ids), batch_size):
                batch = np.stack([_resize_image(_load_image(images, index, i), size) for i in ids[start : start + batch_size]])
                embedded = model.embed(torch.from_numpy(batch).permute(0, 3, 1, 2).to(model.device))
                rows.append(torch.nn.functional.normalize(embedded.double(), dim=1).cpu())
        features = dict(zip(ids, torch.cat(rows)))
    plan = []
    for result in ids:
        if not large.get(result):
            continue
        chosen = int(rng.choice(large[result]))
        candidates = [i for i in holding[chosen] if i != result]
        if not candidates:
            continue
        if features is None:
            query = int(rng.choice(candidates))
        else:
            query = max(candidates, key=lambda i: float(features[i] @ features[result]))
        plan.append((query, result, chosen))
        if n_pairs is not None and len(plan) == n_pairs:
            break
    return plan


def coco_pair(images: str, annotations: str, query: int, result: int, category: int, size: int = 224) -> ImagePair:
    """One pair of a ``coco_pair_plan``, resized to ``size`` (masks by nearest neighbour)."""
    index = load_annotations(str(annotations))
    sides = []
    for image_id in (query, result):
        if image_id not in index["images"]:
            raise ValueError(f"image id {image_id} is not in {annotations}")
        image = _resize_image(_load_image(images, index, image_id), size)
        mask = _resize_labels(category_mask(index, image_id, category).astype(np.int64), size).astype(bool)
        sides.append((image, mask))
    name = index["categories"].get(category, {}).get("name", str(category))
    return ImagePair(sides[0][0], sides[1][0], sides[0][1], sides[1][1], f"coco-{result}-{query}-{name}")
