"""Plots for search explanations: shap's own ``shap.plots.image`` for pixel heatmaps, and the
library's shared figures (numbered regions with a colour bar, correspondences) for the rest.

Region numbers are shap's ``"region k"`` feature names, so ``plots.regions`` and
``shap.plots.bar`` / ``waterfall`` of the same explanation name the same regions.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import shap

from axiomatic_search.figures import DPI, plot_correspondence, plot_regions, save
from axiomatic_search.results import Correspondence, SecondOrderResult


def side_by_side(query_explanation: shap.Explanation, result_explanation: shap.Explanation,
                 path: str | Path | None = None):
    """First-order heatmaps of the query (top) and the result (bottom) through
    ``shap.plots.image``; both explanations must hold images of the same size."""
    if query_explanation.data.shape[1:] != result_explanation.data.shape[1:]:
        raise ValueError(
            f"query and result explanations hold images of shapes {query_explanation.data.shape[1:]} "
            f"and {result_explanation.data.shape[1:]}; side_by_side needs equal sizes"
        )
    both = shap.Explanation(
        values=np.concatenate([query_explanation.values[:1], result_explanation.values[:1]]),
        data=np.concatenate([query_explanation.data[:1], result_explanation.data[:1]]),
    )
    shap.plots.image(both, show=False)
    return save(plt.gcf(), path, DPI)


def regions(explanation: shap.Explanation, image: object, segmentation: object, top: int = 10,
            path: str | Path | None = None):
    """One explained image's regions, numbered as shap's ``"region k"``, with a colour bar and a
    bar plot. ``explanation`` is one row of a ``SearchExplainer`` output, per region
    (``output="players"``) or per pixel (region values are the sums of their pixels);
    ``segmentation`` is its label map, ``SearchExplainer.segmentation(image)``."""
    values = np.asarray(explanation.values, dtype=np.float64)
    labels = np.asarray(segmentation)
    n_players = int(labels.max()) + 1
    if values.ndim == 1 and len(values) == n_players:
        region_values = values
    elif values.shape[:2] == labels.shape:
        region_values = np.bincount(labels.ravel(), weights=values.reshape(labels.size, -1).sum(axis=1),
                                    minlength=n_players)
    else:
        raise ValueError(f"explanation holds values of shape {values.shape}; expected one row of a SearchExplainer "
                         f"output: ({n_players},) per region or {labels.shape} per pixel (index it: explanation[0])")
    names = list(explanation.feature_names) if explanation.feature_names is not None else None
    return plot_regions(image, labels, region_values, top=top, names=names, path=path)


def correspondence(result: SecondOrderResult | Correspondence, query: object, result_image: object,
                   n_regions: int = 3, top: int = 8, path: str | Path | None = None):
    """Where each query region lands in the result (paper Fig. 4): lines from the ``top``
    strongest query regions to their best result regions, and the per-query heat of the
    ``n_regions`` strongest."""
    return plot_correspondence(result, query, result_image, n_regions=n_regions, top=top, path=path)
