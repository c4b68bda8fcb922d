"""The command line: ``explain`` on image files, its checks before any model loads, and the
image-file loader under it (``demo`` is in test_zoo_and_cli.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from axiomatic_search import cli
from axiomatic_search.images import load_image


@pytest.fixture
def photos(tmp_path):
    rng = np.random.default_rng(0)
    query = (rng.random((40, 60, 3)) * 255).astype(np.uint8)
    Image.fromarray(query).save(tmp_path / "query.jpg")
    Image.fromarray(query[:, ::-1]).save(tmp_path / "result.png")
    Image.fromarray(query[::-1]).save(tmp_path / "other.bmp")
    return tmp_path


def test_explain_writes_the_figure_and_a_summary_with_a_counterfactual_background(photos, capsys):
    code = cli.main(["explain", str(photos / "query.jpg"), str(photos / "result.png"), "--size", "48",
                     "--players", "2", "--segments", "8", "--method", "factorised", "--budget", "40",
                     "--first-budget", "20", "--background", str(photos / "other.bmp"), "--out", str(photos / "out")])
    assert code == 0
    assert (photos / "out" / "explanation.png").stat().st_size > 10_000
    report = (photos / "out" / "report.html").read_text()
    assert "query.jpg → result.png" in report and f"background {photos / 'other.bmp'}" in report
    assert report.count('class="cell"') == 4
    printed = capsys.readouterr().out
    assert f"wrote {photos / 'out' / 'report.html'} and" in printed
    assert "note: query: resized from 60×40 to 48×48" in printed
    assert "correspondence (factorised): query cell → best result cell: 0→" in printed
    passes = int(printed.split("; ")[-1].split(" forward passes")[0])
    assert 40 < passes <= 40 + 2 * 20 + 2  # the correspondence, two heatmaps and their v(∅), v(N)


def test_a_first_order_budget_below_what_the_superpixels_need_is_one_line(photos, capsys):
    code = cli.main(["explain", str(photos / "query.jpg"), str(photos / "result.png"), "--size", "48",
                     "--segments", "8", "--first-budget", "5", "--quiet", "--out", str(photos / "out")])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("axiomatic-search explain: error: --first-budget=5 is too small: Kernel SHAP over")
    assert "\n" not in error


@pytest.mark.parametrize("argv, message", [
    (["missing.jpg", "result.png"], "query: no such file"),
    (["text.jpg", "result.png"], "query: .*text.jpg is not an image file"),
    (["query.jpg", "result.png", "--method", "factorised", "--budget", "10"], "--budget 10 is too small for --method factorised"),
    (["query.jpg", "result.png", "--method", "kernel", "--budget", "60"], "--budget 60 is too small for --method kernel"),
    (["query.jpg", "result.png", "--method", "exact"], "--method exact enumerates 2\\^32 coalitions"),
    (["query.jpg", "result.png", "--players", "20", "--size", "16"], "--players 20 is more grid cells"),
    (["query.jpg", "result.png", "--background", "nowhere.png"], "--background: no such file"),
    (["query.jpg", "result.png", "--device", "cuda:7"], "--device cuda:7"),
    (["query.jpg", "result.png", "--device", "toaster"], "--device: 'toaster' is not a torch device"),
    (["query.jpg", "result.png", "--size", "4"], "--size must be at least 16"),
])
def test_bad_input_is_one_line_naming_the_argument_before_the_model_loads(photos, monkeypatch, capsys, argv, message):
    (photos / "text.jpg").write_text("not an image")
    monkeypatch.chdir(photos)
    monkeypatch.setattr("axiomatic_search.zoo.efficientnet_lite0", lambda **kw: pytest.fail("the model was loaded"))
    assert cli.main(["explain", *argv]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("axiomatic-search explain: error: ")
    assert __import__("re").search(message, error), error


def test_unknown_method_or_model_and_abbreviations_are_refused_by_the_parser(photos, capsys):
    for argv in (["--method", "magic"], ["--model", "resnet9000"], ["--meth", "sam"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["explain", "q.jpg", "r.jpg", *argv])
        assert exit_info.value.code == 2
    assert "invalid choice: 'magic'" in capsys.readouterr().err


def test_help_lists_the_commands_and_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "{demo,explain,search,batch,explain-text,search-text}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["explain", "--help"])
    text = capsys.readouterr().out
    assert "--budget BUDGET" in text and "(default: 2000)" in text and "(default: auto)" in text


def test_auto_needs_no_budget_for_the_grey_box_model_and_the_demo_checks_its_input(photos, monkeypatch, capsys):
    monkeypatch.setattr("axiomatic_search.zoo.efficientnet_lite0", lambda **kw: pytest.fail("the model was loaded"))
    monkeypatch.setattr("axiomatic_search.cli.demo.efficientnet_lite0", lambda **kw: pytest.fail("the model was loaded"))
    from axiomatic_search.cli import explain

    args = cli.build_parser().parse_args(["explain", str(photos / "query.jpg"), str(photos / "result.png"),
                                          "--budget", "1"])
    assert explain.check_options(args) == ("blur", [])  # auto: IG-SAM, 4 forward passes whatever the budget
    assert cli.main(["demo", "--device", "cuda:7"]) == 2 and "--device cuda:7" in capsys.readouterr().err
    assert cli.main(["--size", "8"]) == 2 and "--size must be at least 16" in capsys.readouterr().err


def test_load_image_rescales_16_bit_greyscale_instead_of_clipping(tmp_path):
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (4, 1))
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    image, notes = load_image(tmp_path / "deep.png")
    assert image.shape == (4, 64, 3) and image[0, 0, 0] == 0.0 and image[0, -1, 0] == 1.0
    assert abs(image[0, 32, 0] - 32 / 63) < 0.01 and "rescaled to 8 bits" in notes[0]


def test_load_image_applies_exif_orientation_and_converts_modes(tmp_path):
    pixels = np.zeros((20, 30, 3), dtype=np.uint8)
    pixels[:, :10] = 255  # a white left third
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    Image.fromarray(pixels).save(tmp_path / "rotated.jpg", exif=exif, quality=100)
    upright, notes = load_image(tmp_path / "rotated.jpg")
    assert upright.shape == (30, 20, 3) and notes == []
    assert upright[:8].mean() > 0.9 and upright[-15:].mean() < 0.1  # the white third is now on top
    transparent = np.zeros((8, 8, 4), dtype=np.uint8)  # fully transparent black: white once composited
    Image.fromarray(transparent, "RGBA").save(tmp_path / "clear.png")
    white, notes = load_image(tmp_path / "clear.png", size=16, name="result")
    assert white.shape == (16, 16, 3) and white.min() == 1.0
    assert notes == ["result: transparency composited on white", "result: resized from 8×8 to 16×16"]
    Image.fromarray(np.full((6, 6), 128, np.uint8), "L").save(tmp_path / "grey.png")
    grey, notes = load_image(tmp_path / "grey.png")
    assert grey.shape == (6, 6, 3) and np.allclose(grey, 128 / 255) and notes == ["image: L image converted to RGB"]


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(tmp_path):
    Image.new("RGB", (4000, 3000), (10, 200, 30)).save(tmp_path / "large.jpg")
    image, notes = load_image(tmp_path / "large.jpg", size=224)
    assert image.shape == (224, 224, 3) and image.dtype == np.float32
    assert notes == ["image: resized from 4000×3000 to 224×224"]  # decoded at 1/8 scale, never 4000×3000


def test_search_ranks_the_folder_and_explains_the_top_results(photos, capsys):
    folder = photos / "folder"
    folder.mkdir()
    query = np.asarray(Image.open(photos / "query.jpg"))
    Image.fromarray(query).save(folder / "same.png")
    Image.fromarray(255 - query).save(folder / "negative.png")
    Image.fromarray(query[:, ::-1]).save(folder / "mirror.jpg")
    (folder / "readme.txt").write_text("not an image, and not an image suffix")
    (folder / "broken.jpg").write_text("an image suffix, not an image")
    code = cli.main(["search", str(photos / "query.jpg"), str(folder), "--top", "2", "--size", "48", "--players", "2",
                     "--segments", "8", "--budget", "40", "--first-budget", "20", "--method", "factorised",
                     "--out", str(photos / "out")])
    assert code == 0
    printed = capsys.readouterr().out
    ranking = [line.split()[-1] for line in printed.splitlines() if line[:4].strip().isdigit()]
    assert ranking[0] == "same.png" and sorted(ranking) == ["mirror.jpg", "negative.png", "same.png"]
    assert "note: skipped broken.jpg:" in printed and "readme.txt" not in printed
    assert (photos / "out" / "search-1-same.png").exists() and (photos / "out" / f"search-2-{ranking[1][:-4]}.png").exists()
    assert not list((photos / "out").glob("search-3-*"))
    assert "explained the top 2 of 3 images" in printed
    report = (photos / "out" / "report.html").read_text()
    assert report.index("same.png") < report.index("negative.png") and report.count('<section class="pair"') == 2


@pytest.mark.parametrize("make, message", [
    (lambda folder: None, "folder: no such folder"),
    (lambda folder: folder.mkdir(), "holds no image files"),
    (lambda folder: (folder.mkdir(), (folder / "a.jpg").write_text("x")), "none of the 1 image files"),
])
def test_search_refuses_folders_without_readable_images(photos, monkeypatch, capsys, make, message):
    make(photos / "empty")
    monkeypatch.setattr("axiomatic_search.zoo.efficientnet_lite0", lambda **kw: pytest.fail("the model was loaded"))
    assert cli.main(["search", str(photos / "query.jpg"), str(photos / "empty")]) == 2
    assert message in capsys.readouterr().err
