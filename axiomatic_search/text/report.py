"""The HTML report of explained text pairs: each sentence's words shaded by their Shapley
values, an interactive correspondence (hover or click a query word: the result's words take the
colours of its interactions), the word × word table as the static view, and the figure.

>>> import numpy as np
>>> from axiomatic_search.results import Correspondence
>>> from axiomatic_search.text import TextMasker
>>> found = Correspondence(np.array([[0.0, 0.3], [0.2, 0.0]]), "exact", 8,
...                        query_players=TextMasker("red guitar"), result_players=TextMasker("loud instrument"))
>>> "instrument" in render_text_report([text_section("pair", found, similarity=0.5)], "demo")
True
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps

from ..report import render_template, write_html
from ..report.render import COLORMAP
from ..results import Correspondence, FirstOrderResult
from .figures import plot_text_correspondence


def css_colour(value: float, limit: float) -> str:
    """``value`` on the symmetric blue-white-red scale ``[−limit, limit]`` as a CSS colour."""
    red, green, blue, _ = colormaps[COLORMAP](0.5 + 0.5 * float(np.clip(value / (limit or 1.0), -1.0, 1.0)))
    return f"rgb({round(255 * red)}, {round(255 * green)}, {round(255 * blue)})"


def _words(first: FirstOrderResult | None, words: list[str]) -> list[dict]:
    values = first.values if first is not None and len(first.values) == len(words) else np.zeros(len(words))
    limit = float(np.abs(values).max())
    return [{"text": word, "value": float(value), "colour": css_colour(value, limit)} for word, value in zip(words, values)]


def figure_uri(correspondence: Correspondence, first_query, first_result) -> str:
    """The correspondence figure (heatmap and alignment) as a PNG data URI."""
    import base64

    figure = plot_text_correspondence(correspondence, first_query, first_result)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def text_section(heading: str, correspondence: Correspondence, first_query: FirstOrderResult | None = None,
                 first_result: FirstOrderResult | None = None, similarity: float | None = None,
                 figure: bool = True) -> dict:
    """The template's view of one explained text pair."""
    block = np.asarray(correspondence.block, dtype=np.float64)
    limit = float(np.abs(block).max())
    scored = first_result if first_result is not None else first_query
    strongest = correspondence.strongest_pairs(5)
    return {
        "heading": heading, "method": correspondence.method,
        "similarity": similarity if similarity is not None else (scored.full_value if scored else float("nan")),
        "base": scored.base_value if scored is not None else None,
        "query": _words(first_query, correspondence.query_players.words),
        "result": _words(first_result, correspondence.result_players.words),
        "colours": [[css_colour(value, limit) for value in row] for row in block],
        "matrix": block.round(4).tolist(), "limit": limit, "first_word": int(np.argmax(block.max(axis=1))),
        "strongest": [{"query": q, "result": r, "value": v} for q, r, v in strongest],
        "figure": figure_uri(correspondence, first_query, first_result) if figure else None,
    }


def render_text_report(sections: list[dict], title: str, settings: str = "", notes: list[str] | None = None,
                       ranking: list[dict] | None = None, footer: str = "") -> str:
    """The report's HTML."""
    return render_template("text_report.html.j2", title=title, settings=settings, notes=notes or [],
                           ranking=ranking or [], pairs=sections, footer=footer)


def write_text_report(path: str | Path, sections: list[dict], title: str, **details) -> Path:
    """Render and write the text report; returns its path."""
    return write_html(path, render_text_report(sections, title, **details))


__all__ = ["css_colour", "render_text_report", "text_section", "write_text_report"]
