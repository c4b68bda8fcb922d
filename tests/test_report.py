"""The HTML report: self-contained, rendered by a real headless browser (Debian's chromium,
driven by Playwright), heatmaps drawn, and hovering a query cell changes the result view."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
import torch

from axiomatic_search.correspondence import explain_correspondence
from axiomatic_search.explain import explain_first_order
from axiomatic_search.models import EmbeddingSimilarity
from axiomatic_search.report import pair_section, write_report
from axiomatic_search.search_games import FirstOrderSearchGame


COLOURS = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])


def colour_histogram(images: torch.Tensor) -> torch.Tensor:
    """How much of each of four colours an image holds, wherever it is: ``(B, 3, H, W) -> (B, 4)``."""
    distance = ((images[:, None] - COLOURS[None, :, :, None, None]) ** 2).sum(dim=2)
    return torch.exp(-distance / 0.05).mean(dim=(2, 3))


def planted_report(tmp_path):
    """A report of a pair whose correspondence is known: four cells of four colours, and the
    result the query mirrored, so each query cell lands on the result cell of its colour."""
    query = np.zeros((32, 48, 3))
    for cell, (rows, cols) in enumerate([(slice(0, 16), slice(0, 24)), (slice(0, 16), slice(24, 48)),
                                         (slice(16, 32), slice(0, 24)), (slice(16, 32), slice(24, 48))]):
        query[rows, cols] = COLOURS[cell].numpy()
    result = query[:, ::-1].copy()
    model = EmbeddingSimilarity(colour_histogram, metric="dot")
    firsts = [explain_first_order(FirstOrderSearchGame.for_images(model, query, result, explain=side, players=4,
                                                                  background="black"), budget=40, random_state=0)
              for side in ("query", "result")]
    found = explain_correspondence(model, query, result, players=((2, 2), (2, 2)), method="exact", background="black")
    section = pair_section("query → mirrored query", query, result, firsts[0], firsts[1], found)
    return write_report(tmp_path / "report.html", [section], "Planted", settings="test", notes=["a note"]), found


def test_the_report_is_self_contained_and_holds_every_cell_landing(tmp_path):
    path, found = planted_report(tmp_path)
    html = path.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from the network
    sources = re.findall(r'src="([^"]+)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert found.best_match.tolist() == [1, 0, 3, 2]  # mirrored: left and right cells swap
    assert html.count('class="cell"') == 4 and "cell 0 → 1" in html and "a note" in html


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("the report test needs chromium: apt-get install chromium (.ci/run installs it)")
    return found


def test_the_report_renders_in_a_headless_browser_and_hovering_a_cell_changes_the_result(tmp_path):
    from playwright.sync_api import sync_playwright

    path, found = planted_report(tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri())
        heatmap = page.locator("img.heatmap").first
        assert heatmap.evaluate("img => img.complete && img.naturalWidth") == 48
        shot = page.screenshot(clip=heatmap.bounding_box())
        landing = page.locator("img.landing")
        shown = {}
        for cell in range(4):
            page.locator(f".cell[data-cell='{cell}']").hover()
            shown[cell] = landing.get_attribute("src")
            assert page.locator(".landing-caption").text_content().startswith(f"query cell {cell} →")
            assert page.locator(".cell.active").get_attribute("data-cell") == str(cell)
        browser.close()
    assert errors == []
    assert len(set(shown.values())) == 4  # every cell lights the result up differently
    from io import BytesIO

    from PIL import Image

    pixels = np.asarray(Image.open(BytesIO(shot)).convert("RGB"), dtype=float)
    assert pixels.std() > 10  # the heatmap rendered: not a blank box
