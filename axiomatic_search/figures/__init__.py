"""Figures shared by the core and the shap / lime / captum adapters (matplotlib, headless-safe).

- ``plot_regions``: first-order values on the image's players, outlined and numbered, with a
  colour bar and a bar plot under the same numbers (shap's ``"region k"``, lime's segment ids).
- ``plot_correspondence``: query and result side by side, lines from query regions to their best
  result regions, and per-query heat on the result.
- ``plot_explanation``: both, for one pair (what the command line writes).
- ``draw_regions``, ``draw_region_bars``, ``draw_matches``: the same on your own axes.

Every function returns the matplotlib figure (or draws on the axes given) and saves at 150 dpi.

>>> import numpy as np
>>> labels = np.repeat([[0, 1], [2, 3]], 8, axis=0).repeat(8, axis=1)
>>> figure = plot_regions(np.ones((16, 16, 3)), labels, np.array([0.3, -0.1, 0.0, 0.2]))
"""

from .explanation import DPI, plot_correspondence, plot_explanation, plot_regions, save
from .matches import block_layout, draw_matches, strongest_matches
from .regions import display_image, draw_region_bars, draw_regions, region_centres

__all__ = [
    "DPI",
    "block_layout",
    "display_image",
    "draw_matches",
    "draw_region_bars",
    "draw_regions",
    "plot_correspondence",
    "plot_explanation",
    "plot_regions",
    "region_centres",
    "save",
    "strongest_matches",
]
