"""Figures for lime explanations, shared with shap_search and captum_search: a lime
``ImageExplanation``'s segments numbered by lime's own segment ids, with a colour bar and a bar
plot, and the second-order correspondence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from lime.lime_image import ImageExplanation

from axiomatic_search.figures import plot_correspondence, plot_regions
from axiomatic_search.results import SecondOrderResult


def regions(explanation: ImageExplanation, label: int = 0, top: int = 10, path: str | Path | None = None):
    """The surrogate's weight of each segment painted on the explained image (segments numbered
    by lime's ids, as in ``explanation.local_exp[label]``), with a bar plot of the ``top``."""
    if not isinstance(explanation, ImageExplanation):
        raise ValueError(f"explanation must be lime's ImageExplanation, got {type(explanation).__name__}")
    if label not in explanation.local_exp:
        raise ValueError(f"label {label} was not explained; explained labels: {sorted(explanation.local_exp)}")
    labels = np.asarray(explanation.segments)
    values = np.zeros(int(labels.max()) + 1)
    for segment, weight in explanation.local_exp[label]:
        values[segment] = weight
    return plot_regions(explanation.image, labels, values, top=top, path=path,
                        value_label="weight in LIME's linear surrogate")


def correspondence(joint: SecondOrderResult, query: object, result: object, n_regions: int = 3, top: int = 8,
                   path: str | Path | None = None):
    """``SecondOrderLimeExplainer``'s correspondence: lines from query segments to their best
    result segments, and the per-query heat of the strongest."""
    return plot_correspondence(joint, query, result, n_regions=n_regions, top=top, path=path)
