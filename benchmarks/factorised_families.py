"""Benchmark families of real factorised games with exact Shapley–Taylor indices.

* ``"feature-map"``: EfficientNet-Lite0 feature maps of two different offline photos at 128 px
  (4 × 4 locations a side, 32 players), backgrounds the features of the 25 px-blurred images,
  GAP + cosine head. Masked GAP embeddings are linear in the coalition, so every side coalition
  is one row of a matrix product; a forward pass here is one side coalition.
* ``"pixel"``: the pixel games of ``pixel_games`` (a photo and a known transform of it, 4 × 4
  grid cells a side at 224 px, 25 px blur), every side coalition embedded once and cached.

Both are dot products of L2-normalised side vectors, so ``exact_bilinear_shapley_taylor`` gives
the exact indices from ``2 · 2**16`` side vectors.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from axiomatic_search.backgrounds import Blur  # noqa: E402
from axiomatic_search.data import load_photo  # noqa: E402
from axiomatic_search.exact import all_coalitions  # noqa: E402
from axiomatic_search.factorised.exact import exact_bilinear_shapley_taylor  # noqa: E402
from benchmarks.game_families import BenchmarkGame  # noqa: E402
from benchmarks.pixel_games import TabulatedGame, pixel_game  # noqa: E402

FACTORISED_FAMILIES = ("feature-map", "pixel")
FEATURE_PAIRS = (("chelsea", "coffee"), ("astronaut", "rocket"), ("china", "flower"), ("grace_hopper", "camera"),
                 ("motorcycle", "astronaut"))
PIXEL_PAIRS = (("chelsea", "permute"), ("astronaut", "shift"))


@lru_cache(maxsize=1)
def _model():
    from axiomatic_search.zoo import efficientnet_lite0

    return efficientnet_lite0()


def feature_map_table(model, photo: str, size: int = 128) -> np.ndarray:
    """L2-normalised masked GAP embeddings of every coalition of ``photo``'s feature-map
    locations (blurred-image features where a location is left out), in bitmask order."""
    image = torch.from_numpy(load_photo(photo, size).transpose(2, 0, 1).copy())
    with torch.inference_mode():
        maps = model.feature_maps(image[None])[0].double()
        background = model.feature_maps(Blur(25)(image))[0].double()
    channels = maps.shape[0]
    n = maps.shape[1] * maps.shape[2]
    delta = (maps - background).reshape(channels, n).T / n  # (n, C)
    coalitions = torch.from_numpy(all_coalitions(n)).double()
    embeddings = background.mean(dim=(1, 2)) + coalitions @ delta
    return torch.nn.functional.normalize(embeddings, dim=1).float().numpy()


def make_factorised_game(family: str, index: int, size: int | None = None) -> BenchmarkGame:
    """Game ``index`` of a factorised family with its exact indices (``size``: the image side,
    128 for feature maps and 224 for pixels by default)."""
    if family == "feature-map":
        query_photo, result_photo = FEATURE_PAIRS[index % len(FEATURE_PAIRS)]
        query = feature_map_table(_model(), query_photo, size or 128)
        result = feature_map_table(_model(), result_photo, size or 128)
        game = TabulatedGame(query, result)
        return BenchmarkGame(family, index, game, exact_bilinear_shapley_taylor(query, result))
    if family == "pixel":
        photo, transform = PIXEL_PAIRS[index % len(PIXEL_PAIRS)]
        found = pixel_game(_model(), photo, transform, size or 224)
        return BenchmarkGame(family, index, found.game, found.exact)
    raise ValueError(f"unknown factorised family {family!r}; choose from {', '.join(FACTORISED_FAMILIES)}")
