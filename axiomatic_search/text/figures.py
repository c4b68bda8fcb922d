"""Figures of a text pair's explanation: the word-to-word interactions as a heatmap (query words
down, result words across) and as an alignment (the query above the result, a line between the
words that interact most, thicker for stronger), words shaded by their first-order values.

>>> import numpy as np
>>> from axiomatic_search.results import Correspondence
>>> from axiomatic_search.text import TextMasker
>>> found = Correspondence(np.array([[0.0, 0.3], [0.2, 0.0]]), "exact", 8,
...                        query_players=TextMasker("red guitar"), result_players=TextMasker("loud instrument"))
>>> figure = plot_text_correspondence(found)
>>> [axis.get_title() for axis in figure.axes][:2]
['word × word interactions (exact)', 'strongest matches']
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colormaps  # noqa: E402

from ..results import Correspondence, FirstOrderResult  # noqa: E402

COLORMAP = "bwr"
"""Blue lowers the similarity, red raises it: the image figures' scale."""


def plot_text_correspondence(correspondence: Correspondence, first_query: FirstOrderResult | None = None,
                             first_result: FirstOrderResult | None = None, top: int = 8,
                             path: str | Path | None = None, title: str | None = None) -> plt.Figure:
    """Heatmap and alignment of a text correspondence (``explain_text_correspondence``);
    ``first_query`` / ``first_result`` shade each sentence's words by their Shapley values;
    ``top``: lines drawn for the strongest positive interactions. Saved to ``path`` when given."""
    block = np.asarray(correspondence.block, dtype=np.float64)
    query_words, result_words = _words(correspondence.query_players, "query"), _words(correspondence.result_players, "result")
    limit = float(np.abs(block).max()) or 1.0
    width = max(9.0, 0.45 * (len(result_words) + max(len(query_words), len(result_words))) + 4)
    figure, (heat, align) = plt.subplots(1, 2, figsize=(width, 0.42 * len(query_words) + 2.6),
                                         gridspec_kw={"width_ratios": [len(result_words) + 3, 1.3 * max(len(query_words), len(result_words))]})
    image = heat.imshow(block, cmap=COLORMAP, vmin=-limit, vmax=limit, aspect="auto")
    heat.set_xticks(range(len(result_words)), result_words, rotation=45, ha="right")
    heat.set_yticks(range(len(query_words)), query_words)
    heat.set_xlabel("result words"), heat.set_ylabel("query words")
    heat.set_title(f"word × word interactions ({correspondence.method})")
    if block.size <= 400:
        for (row, col), value in np.ndenumerate(block):
            if abs(value) >= 0.25 * limit:
                heat.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=heat, fraction=0.04, pad=0.02, label="Shapley–Taylor interaction")
    _alignment(align, block, query_words, result_words, first_query, first_result, top)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110, bbox_inches="tight")
    return figure


def _words(players: object, side: str) -> list[str]:
    words = getattr(players, "words", None)
    if words is None:
        raise ValueError(f"the correspondence has no {side} words: pass one from explain_text_correspondence")
    return list(words)


def _positions(words: list[str]) -> np.ndarray:
    """Word centres along [0, 1], spaced by the words' lengths."""
    widths = np.array([len(word) + 2.0 for word in words])
    centres = np.cumsum(widths) - widths / 2
    return centres / widths.sum()


def _alignment(axis, block, query_words, result_words, first_query, first_result, top: int) -> None:
    axis.set_title("strongest matches")
    axis.set_xlim(-0.02, 1.02), axis.set_ylim(-0.35, 1.35), axis.axis("off")
    xq, xr = _positions(query_words), _positions(result_words)
    strongest = block.max() if block.max() > 0 else 1.0
    order = np.argsort(-block, axis=None, kind="stable")[:top]
    for row, col in zip(*np.unravel_index(order, block.shape)):
        if block[row, col] > 0:
            weight = block[row, col] / strongest
            axis.plot([xq[row], xr[col]], [0.9, 0.1], color="tab:red", alpha=0.25 + 0.7 * weight,
                      linewidth=0.8 + 4 * weight, solid_capstyle="round", zorder=1)
    for words, xs, y, first, label in ((query_words, xq, 1.0, first_query, "query"),
                                      (result_words, xr, 0.0, first_result, "result")):
        shades = _shades(first, len(words))
        for word, x, shade in zip(words, xs, shades):
            axis.text(x, y, word, ha="center", va="center", fontsize=9, zorder=2,
                      bbox={"boxstyle": "round,pad=0.25", "facecolor": shade, "edgecolor": "0.6"})
        axis.text(-0.02, y + 0.22, label, fontsize=8, color="0.4")


def _shades(first: FirstOrderResult | None, count: int) -> list:
    if first is None or len(first.values) != count:
        return ["white"] * count
    limit = float(np.abs(first.values).max()) or 1.0
    return [colormaps[COLORMAP](0.5 + 0.5 * value / limit) for value in first.values]
