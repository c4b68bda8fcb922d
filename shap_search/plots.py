"""Plots for search explanations, drawn with ``shap.plots.image`` and matplotlib (headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import shap

from axiomatic_search.plots import plot_explanation
from axiomatic_search.results import SecondOrderResult


def _save(path: str | Path | None):
    figure = plt.gcf()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110, bbox_inches="tight")
    return figure


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
    return _save(path)


def correspondence(result: SecondOrderResult, query: np.ndarray, result_image: np.ndarray,
                   n_regions: int = 3, path: str | Path | None = None):
    """For the ``n_regions`` query regions that interact most with the result, where each
    lands in the result (paper Fig. 4)."""
    return plot_explanation(query, result_image, None, result, n_regions=n_regions, path=path)
