"""One self-contained HTML report per run: every picture embedded, no network.

``pair_section(...)`` turns one explained pair (first-order heatmaps and a correspondence) into
the report's pictures; ``write_report(path, sections, ...)`` renders them with the Jinja2
template ``templates/report.html.j2``: similarity scores, heatmaps with their colour scale, an
interactive correspondence view (hover or click a query cell: the result lights up where it
lands) and a static grid of every cell's landing as the fallback.

>>> from axiomatic_search.report import render_report
>>> "<html" in render_report([], title="nothing explained yet")
True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape

from .render import cell_boxes, correspondence_pictures, data_uri, heatmap_picture

DISPLAY_SIZE = 256
"""Pixels each picture is shown at."""


def pair_section(heading: str, query: np.ndarray, result: np.ndarray, first_query, first_result,
                 correspondence) -> dict:
    """The template's view of one explained pair."""
    landings, limit = correspondence_pictures(result, correspondence)
    strength = np.clip(correspondence.query_result_block, 0, None).sum(axis=1)
    heatmaps = []
    for first, image, caption in ((first_query, query, "first order on the query"),
                                  (first_result, result, "first order on the result")):
        if first is not None:
            heatmaps.append({**heatmap_picture(image, first.to_pixels()), "caption": caption})
    scored = first_result if first_result is not None else first_query
    return {"heading": heading, "query": data_uri(query), "result": data_uri(result), "heatmaps": heatmaps,
            "similarity": float(scored.full_value) if scored is not None else float("nan"),
            "base": float(scored.base_value) if scored is not None else float("nan"),
            "method": correspondence.method, "boxes": cell_boxes(correspondence.query_players.labels),
            "landings": landings, "landing_limit": limit, "first_cell": int(np.argmax(strength)),
            "best": [int(b) for b in correspondence.best_match]}


def render_report(sections: list[dict], title: str, settings: str = "", notes: list[str] | None = None,
                  ranking: list[dict] | None = None, footer: str = "") -> str:
    """The report's HTML."""
    cells = max((len(s["landings"]) for s in sections), default=1)
    return render_template(
        "report.html.j2", title=title, settings=settings, notes=notes or [], ranking=ranking or [], pairs=sections, footer=footer,
        size=DISPLAY_SIZE, thumb=DISPLAY_SIZE // 2, grid_columns=min(cells, int(np.ceil(np.sqrt(cells)))))


def render_template(name: str, **context) -> str:
    """One of ``templates/`` rendered with HTML autoescaping."""
    environment = Environment(loader=PackageLoader("axiomatic_search", "report/templates"),
                              autoescape=select_autoescape(["html", "j2"]))
    return environment.get_template(name).render(**context)


def write_html(path: str | Path, html: str) -> Path:
    """Write ``html`` to ``path`` (folders made); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def write_report(path: str | Path, sections: list[dict], title: str, **details) -> Path:
    """Render and write the report; returns its path."""
    return write_html(path, render_report(sections, title, **details))


__all__ = ["pair_section", "render_report", "render_template", "write_html", "write_report"]
