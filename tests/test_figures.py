"""The shared figures: numbers where their regions are, bars that name the same regions, query
and result side by side, lines from each query region to its best result region, colour bars,
150 dpi; and the same figures from each adapter's own objects."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from PIL import Image  # noqa: E402

from axiomatic_search.data import load_photo  # noqa: E402
from axiomatic_search.figures import (  # noqa: E402
    draw_matches,
    plot_correspondence,
    plot_explanation,
    plot_regions,
    region_centres,
    strongest_matches,
)
from axiomatic_search.images import grid_segments, slic_segments  # noqa: E402
from axiomatic_search.results import Correspondence, FirstOrderResult  # noqa: E402

RNG = np.random.default_rng(0)


class Players:
    def __init__(self, labels: np.ndarray) -> None:
        self.labels = labels


def numbers_on(ax) -> dict[int, tuple[float, float]]:
    """The region numbers written on an axes, with their (x, y) positions."""
    return {int(text.get_text()): text.get_position() for text in ax.texts if text.get_text().isdigit()}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_every_centre_lies_inside_its_own_superpixel():
    labels = slic_segments(load_photo("astronaut", 96), n_segments=30)
    centres = region_centres(labels)
    assert len(centres) == labels.max() + 1
    assert (labels[centres[:, 0], centres[:, 1]] == np.arange(len(centres))).all()


def test_regions_number_the_strongest_where_they_are_and_the_bars_name_the_same_regions(tmp_path):
    image = RNG.random((30, 50, 3))  # not square
    labels = grid_segments(30, 50, (3, 5))
    values = RNG.normal(size=15)
    figure = plot_regions(image, labels, values, top=4, path=tmp_path / "regions.png")
    heat, bars, colour_bar = figure.axes
    strongest = list(np.argsort(-np.abs(values))[:4])
    written = numbers_on(heat)
    assert sorted(written) == sorted(strongest)
    for number, (x, y) in written.items():
        assert labels[int(round(y)), int(round(x))] == number
    assert [label.get_text() for label in bars.get_yticklabels()][::-1] == [f"region {k}" for k in strongest]
    assert [patch.get_width() for patch in bars.patches][::-1] == pytest.approx(values[strongest])
    assert "Shapley" in colour_bar.get_ylabel()
    assert colour_bar.get_ylim() == pytest.approx((-np.abs(values).max(), np.abs(values).max()))
    with Image.open(tmp_path / "regions.png") as saved:
        assert saved.info["dpi"][0] >= 149.9


def test_matches_put_query_and_result_side_by_side_and_join_each_query_region_to_its_best():
    query, result = RNG.random((40, 60, 3)), RNG.random((30, 20, 3))  # different shapes and aspect ratios
    query_labels, result_labels = grid_segments(40, 60, (2, 3)), grid_segments(30, 20, (2, 2))
    block = RNG.normal(size=(6, 4))
    block[2] = -1.0  # a query region with no positive interaction gets no line
    figure, ax = plt.subplots()
    matches = draw_matches(ax, query, result, query_labels, result_labels, block, top=10)
    assert [q for q, _, _ in matches] == [q for q in np.argsort(-block.max(axis=1)) if block[q].max() > 0]
    lines = [line for line in ax.get_lines() if isinstance(line, Line2D)]
    assert len(lines) == len(matches)
    query_extent, result_extent = (image.get_extent() for image in ax.get_images()[::2])
    assert result_extent[0] > query_extent[1], "the result starts right of the query: no overlap"
    assert result_extent[2] == query_extent[2] == 40, "the result is scaled to the query's height"
    assert result_extent[1] - result_extent[0] == pytest.approx(20 * 40 / 30), "and keeps its aspect ratio"
    scale = 40 / 30
    for line, (q, r, _) in zip(lines[::-1], matches):  # drawn weakest first
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        assert query_labels[int(y0), int(x0)] == q
        assert result_labels[int(y1 / scale), int((x1 - result_extent[0]) / scale)] == r == block[q].argmax()


def test_strongest_matches_keep_only_positive_interactions_in_order():
    block = np.array([[0.2, 0.1], [-0.5, -0.1], [0.0, 0.9]])
    assert strongest_matches(block, top=None) == [(2, 1, 0.9), (0, 0, 0.2)]
    assert strongest_matches(block, top=1) == [(2, 1, 0.9)]


def test_the_whole_explanation_has_a_colour_bar_per_heat_and_saves_at_150_dpi(tmp_path):
    query, result = RNG.random((24, 32, 3)), RNG.random((32, 24, 3))
    query_players, result_players = Players(grid_segments(24, 32, 2)), Players(grid_segments(32, 24, (2, 3)))
    first = FirstOrderResult(RNG.normal(size=6), 0.1, 0.5, 10, players=result_players)
    found = Correspondence(RNG.normal(size=(4, 6)) + 1.0, "exact", 0, query_players=query_players,
                           result_players=result_players)
    figure = plot_explanation(query, result, first, [found, found], n_regions=2, titles=["a", "b"],
                              path=tmp_path / "explanation.png")
    labels = [ax.get_label() for ax in figure.axes]
    assert labels.count("<colorbar>") == 1 + 2 * 2  # first order; matches and projections per row
    assert {"query", "result", "first order on the result", "matches 1", "matches 2"} <= set(labels)
    with Image.open(tmp_path / "explanation.png") as saved:
        assert saved.info["dpi"][0] >= 149.9
    single = plot_correspondence(found, query, result, n_regions=3)
    projections = [ax for ax in single.axes if ax.get_label().startswith("projection")]
    assert [ax.get_title() for ax in projections] == [
        f"query region {q} → result" for q, _, _ in strongest_matches(found.block, 3)]


def test_bad_layouts_get_clear_errors():
    labels = grid_segments(8, 8, 2)
    with pytest.raises(ValueError, match="one value per player"):
        plot_regions(np.ones((8, 8, 3)), labels, np.ones(3))
    with pytest.raises(ValueError, match="label map is"):
        plot_regions(np.ones((8, 9, 3)), labels, np.ones(4))
    with pytest.raises(ValueError, match="NaN"):
        plot_regions(np.ones((8, 8, 3)), labels, np.array([1.0, np.nan, 0, 0]))
    with pytest.raises(ValueError, match="block has shape"):
        draw_matches(plt.subplots()[1], np.ones((8, 8, 3)), np.ones((8, 8, 3)), labels, labels, np.ones((4, 3)))
    with pytest.raises(ValueError, match="block contains NaN"):
        draw_matches(plt.subplots()[1], np.ones((8, 8, 3)), np.ones((8, 8, 3)), labels, labels,
                     np.array([[1.0, np.nan, 0, 0]] * 4))
    with pytest.raises(ValueError, match="no image players"):
        plot_correspondence(Correspondence(np.ones((2, 2)), "sam", 4), np.ones((8, 8, 3)), np.ones((8, 8, 3)))


def test_each_adapter_draws_its_own_objects_under_the_numbers_its_host_uses(tmp_path):
    from lime_search import LimeSearchExplainer
    from lime_search import plots as lime_plots
    from shap_search import SearchExplainer
    from shap_search import plots as shap_plots
    from captum_search import plots as captum_plots

    from axiomatic_search.models import CallableSimilarity

    model = CallableSimilarity(lambda q, r: (q * r).flatten(1).mean(1))
    query, result = RNG.random((16, 20, 3)), RNG.random((16, 20, 3))
    explainer = SearchExplainer(model, players=(3, 3), algorithm="exact")  # 16×20 in 3×3: unequal cells
    per_region = explainer(query, result, output="players")
    figure = shap_plots.regions(per_region[0], result, explainer.segmentation(result), top=3)
    names = [label.get_text() for label in figure.axes[1].get_yticklabels()]
    top = np.argsort(-np.abs(per_region.values[0]))[:3]
    assert names[::-1] == [per_region.feature_names[k] for k in top]
    assert [bar.get_width() for bar in figure.axes[1].patches][::-1] == pytest.approx(per_region.values[0][top])
    pixels = shap_plots.regions(explainer(query, result)[0], result, explainer.segmentation(result), top=3)
    assert [bar.get_width() for bar in pixels.axes[1].patches] == pytest.approx(  # pixel sums = region values
        [bar.get_width() for bar in figure.axes[1].patches])

    explanation = LimeSearchExplainer(n_segments=5).explain_instance(query, result, model, num_samples=30,
                                                                     random_state=0)
    figure = lime_plots.regions(explanation, top=2)
    weights = dict(explanation.local_exp[0])
    strongest = sorted(weights, key=lambda k: -abs(weights[k]))[:2]
    assert sorted(numbers_on(figure.axes[0])) == sorted(strongest)
    with pytest.raises(ValueError, match="label 3 was not explained"):
        lime_plots.regions(explanation, label=3)

    attributions = torch.tensor([[[0.0, 2.0, -1.0], [0.5, 0.0, 0.0]]])  # a 2×3 map on a 16×20 image
    figure = captum_plots.regions(attributions, torch.as_tensor(result).permute(2, 0, 1)[None], top=2)
    assert [label.get_text() for label in figure.axes[1].get_yticklabels()] == ["cell 2", "cell 1"]
    (x2, y2), (x1, y1) = numbers_on(figure.axes[0])[2], numbers_on(figure.axes[0])[1]
    assert y1 < 8 and y2 < 8 and 20 / 3 <= x1 < 40 / 3 <= x2, "cell 1 is top-middle, cell 2 top-right"
    block = torch.zeros(1, 6, 4)
    block[0, 5, 3] = 1.0
    figure = captum_plots.correspondence(block, query, result, query_map=(2, 3), result_map=(2, 2), n_regions=1)
    assert [ax.get_title() for ax in figure.axes if ax.get_label().startswith("projection")] == [
        "query region 5 → result"]
    matches = next(ax for ax in figure.axes if ax.get_label().startswith("matches"))
    (x0, x1), (y0, y1) = matches.get_lines()[0].get_xdata(), matches.get_lines()[0].get_ydata()
    left = matches.get_images()[2].get_extent()[0]
    assert y0 >= 8 and x0 >= 40 / 3, "starts in query cell 5, bottom-right of a 2×3 map"
    assert y1 >= 8 and x1 - left >= 10, "ends in result cell 3, bottom-right of a 2×2 map"
    with pytest.raises(ValueError, match=r"query_map=\(2, 2\)"):
        captum_plots.correspondence(block, query, result, query_map=(2, 2))
