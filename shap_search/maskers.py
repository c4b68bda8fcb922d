"""shap maskers over search players, so stock shap explainers run on search games.

``SuperpixelMasker`` implements shap's masker protocol for one image: a mask has one entry per
player (superpixel or grid cell); players left out take the background's pixels. Pair it with
``similarity_to(model, query)`` — the model as shap sees it, a function of result batches.

>>> import numpy as np, shap
>>> from axiomatic_search.models import CallableSimilarity
>>> image = np.random.default_rng(0).random((8, 8, 3))
>>> masker = SuperpixelMasker(image, players=2, background="black")
>>> model = CallableSimilarity(lambda q, r: (q * r).flatten(1).sum(1))
>>> explanation = shap.explainers.Exact(similarity_to(model, image), masker)(image[None])
>>> explanation.values.shape
(1, 4)
"""

from __future__ import annotations

import numpy as np
import shap
import torch
from scipy.cluster.hierarchy import linkage

from axiomatic_search.backgrounds import Background
from axiomatic_search.images import to_numpy_image
from axiomatic_search.masking import ImageMasker
from axiomatic_search.search_games import similarity_to


def centroid_clustering(labels: np.ndarray) -> np.ndarray:
    """A scipy linkage of the players' centroids (Ward): the hierarchy Partition SHAP walks."""
    n_players = int(labels.max()) + 1
    rows, cols = np.indices(labels.shape)
    counts = np.bincount(labels.ravel(), minlength=n_players)
    centroids = np.stack(
        [np.bincount(labels.ravel(), rows.ravel(), n_players) / counts,
         np.bincount(labels.ravel(), cols.ravel(), n_players) / counts], axis=1
    )
    return linkage(centroids, method="ward")


class SuperpixelMasker(shap.maskers.Masker):
    """shap masker over an image's superpixels (or grid cells) with a search background.

    ``hierarchical=True`` sets ``clustering`` (needed by ``shap.explainers.Partition``; note
    that shap's Exact explainer then returns Owen values instead of Shapley values).
    """

    def __init__(
        self,
        image: object,
        players: str | int | np.ndarray = "slic",
        background: str | Background | object = "blur",
        n_segments: int = 50,
        hierarchical: bool = False,
    ) -> None:
        self.players = ImageMasker(image, players=players, background=background, n_segments=n_segments)
        self.labels = self.players.labels
        self.n_players = self.players.n_players
        self.shape = (self.players.n_backgrounds, self.n_players)
        self.clustering = centroid_clustering(self.labels) if hierarchical else None
        self.image_data = True
        self._height_width = self.labels.shape
        self._image = to_numpy_image(self.players.input)

    def __call__(self, mask, image):
        mask = np.asarray(self._standardize_mask(mask, image), dtype=bool)
        if np.shape(image)[:2] != self._height_width:
            raise ValueError(
                f"this masker was built for {self._height_width[0]}×{self._height_width[1]} images, "
                f"got an image of shape {np.shape(image)}"
            )
        if not np.allclose(image, self._image, atol=1e-6):
            raise ValueError(
                "this masker masks the image it was built with (its players are that image's "
                "superpixels); build a SuperpixelMasker for each image you explain"
            )
        masked = self.players.mask(torch.from_numpy(mask[None]))[0]  # (K, C, H, W)
        return (masked.permute(0, 2, 3, 1).numpy(),)

    def mask_shapes(self, *args) -> list[tuple[int]]:
        return [(self.n_players,)]

    def feature_names(self, *args) -> list[list[str]]:
        return [[f"region {k}" for k in range(self.n_players)]]


__all__ = ["SuperpixelMasker", "centroid_clustering", "similarity_to"]
