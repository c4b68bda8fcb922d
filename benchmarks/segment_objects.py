"""Segment the object photos of the natural-pairs benchmark once, into
``axiomatic_search/objects/<photo>.png`` (256 × 256 masks, white = object), which the package
ships; ``axiomatic_search.natural_pairs`` pastes exactly those pixels, so its ground truth is exact
whatever the masks' quality.

The method: OpenCV's GrabCut (8 iterations, initialised with the box below, RNG seed 0) on the
photo at 256 px, then the largest connected component with its holes filled. The cat's face
fills its photo, leaving GrabCut no background to learn from, so it is an ellipse instead. The
cameraman (greyscale) was left out: GrabCut's mask of it changed from a person to a tripod leg
with a few pixels' change of the box.

    python benchmarks/segment_objects.py      # needs opencv-python-headless (the shap extra)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from axiomatic_search.data import load_photo

OUT = Path(__file__).resolve().parent.parent / "axiomatic_search" / "objects"
BOXES = {  # (left, top, right, bottom) as fractions of the photo
    "coffee": (0.02, 0.02, 0.98, 0.98),
    "astronaut": (0.05, 0.05, 0.75, 0.99),
    "motorcycle": (0.05, 0.30, 0.97, 0.93),
    "grace_hopper": (0.15, 0.02, 0.88, 0.99),
    "rocket": (0.38, 0.30, 0.62, 0.99),
}
SIZE = 256


def grabcut(name: str, box: tuple[float, float, float, float]) -> np.ndarray:
    import cv2

    photo = (load_photo(name, size=SIZE) * 255).astype(np.uint8)[..., ::-1].copy()  # OpenCV's BGR
    labels = np.zeros(photo.shape[:2], np.uint8)
    left, top, right, bottom = (int(round(v * SIZE)) for v in box)
    cv2.setRNGSeed(0)
    cv2.grabCut(photo, labels, (left, top, right - left, bottom - top), np.zeros((1, 65)), np.zeros((1, 65)), 8,
                cv2.GC_INIT_WITH_RECT)
    mask = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    components, count = ndimage.label(mask)
    if count:
        mask = components == np.bincount(components.ravel())[1:].argmax() + 1
    return ndimage.binary_fill_holes(mask)


def ellipse(centre: tuple[float, float], radii: tuple[float, float]) -> np.ndarray:
    rows, cols = np.mgrid[:SIZE, :SIZE]
    return ((rows - centre[0]) / radii[0]) ** 2 + ((cols - centre[1]) / radii[1]) ** 2 <= 1


def main() -> None:
    OUT.mkdir(exist_ok=True)
    masks = {name: grabcut(name, box) for name, box in BOXES.items()}
    masks["chelsea"] = ellipse((140, 120), (110, 105))
    for name, mask in masks.items():
        Image.fromarray(mask).save(OUT / f"{name}.png", optimize=True)
        print(f"{name}: {mask.mean():.2f} of the photo")


if __name__ == "__main__":
    main()
