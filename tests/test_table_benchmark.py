"""benchmarks/table.py runs every method end to end (on one tiny pair)."""

from __future__ import annotations

import runpy
from pathlib import Path


def test_table_runs_every_method_on_a_tiny_pair(tmp_path):
    module = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "table.py"))
    table = module["main"](["--reduced", "--dataset", "mosaic", "--pairs", "1", "--size", "64", "--budget", "40", "--budget2", "60", "--segments", "8",
                            "--grid", "2", "--window", "16", "--stride", "16", "--ig-steps", "4", "--engine", "local",
                            "--out", str(tmp_path)])
    assert (tmp_path / "table.md").read_text().strip() == table.strip()
    header = next(line for line in table.splitlines() if line.startswith("| metric"))
    for method in ("SBSM", "PSHAP", "LIME", "KSHAP", "VESM", "Int. G.", "GCAM", "SAM", "IG SAM", "KSAM", "random"):
        assert f"| {method} |" in header
    rows = {tuple(cell.strip() for cell in line.split("|")[1:3]): line for line in table.splitlines()[4:]}
    assert ("Faithfulness", "First") in rows and ("mIoU", "Second") in rows
    assert "nan" not in table
    methods = [cell.strip() for cell in header.split("|")[3:-1]]
    cells = {key: dict(zip(methods, (cell.strip() for cell in line.split("|")[3:-1]))) for key, line in rows.items()}
    # what can be known: the Shapley methods are efficient, and the passes each method spends
    for method in ("PSHAP", "KSHAP"):
        assert float(cells["Inefficiency", "First"][method]) <= 1e-6, method
    assert float(cells["Inefficiency", "Second"]["KSHAP"]) <= 1e-6
    assert [cells["Backbone passes", "First"][m] for m in ("VESM", "GCAM", "SAM", "IG SAM", "KSAM")] == ["3"] * 5
    # factorised KSHAP on a 2 × 2 grid a side: both sides enumerated (2 · 2⁴ passes) within the budget of 60
    assert [cells["Backbone passes", "Second"][m] for m in ("SAM", "IG SAM", "KSAM", "KSHAP", "random")] == ["4", "4", "4",
                                                                                                           "32", "0"]
    assert "Differs from the paper: image side 64 px (paper: 224); first-order budget 40 (paper: 5000)" in table
    # the run is kept per chunk: a second call computes nothing and gives the same table
    assert len(list((tmp_path / "table-run-mosaic").glob("chunk-*.parquet"))) == 1
    again = module["main"](["--reduced", "--dataset", "mosaic", "--pairs", "1", "--size", "64", "--budget", "40", "--budget2", "60", "--segments", "8",
                            "--grid", "2", "--window", "16", "--stride", "16", "--ig-steps", "4", "--engine", "local",
                            "--out", str(tmp_path)])
    assert again == table


def test_paper_settings_and_voc_pairs_through_the_engine(tmp_path):
    from test_datasets import write_tiny_voc

    module = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "table.py"))
    for flags in ([], ["--paper"]):  # the paper's settings are the default
        paper = module["parse_args"](flags)
        assert (paper.size, paper.budget, paper.budget2, paper.budget_ksam, paper.segments, paper.stride, paper.pairs,
                paper.dataset) == (224, 5000, 20000, 40000, 50, 3, 100, "natural")
    reduced = module["parse_args"](["--reduced", "--budget", "50"])
    assert (reduced.size, reduced.budget, reduced.budget2, reduced.stride, reduced.pairs) == (128, 50, 400, 8, 30)
    write_tiny_voc(tmp_path)
    table = module["main"](["--dataset", "voc", "--voc-root", str(tmp_path), "--pairs", "2", "--size", "32",
                            "--budget", "30", "--budget2", "40", "--segments", "6", "--grid", "2",
                            "--first", "KSHAP", "--second", "KSHAP", "random", "--engine", "local", "--chunk-size", "1",
                            "--out", str(tmp_path)])
    assert "Table 1 on Pascal VOC 2012 (A.2): 2 pairs at 32 px" in table
    frame = module["read_results"](tmp_path / "table-run-voc")
    assert sorted(set(frame["pair"])) == [0, 1] and all(name.startswith("voc-2012-val") for name in frame["name"])
    inefficiency = frame[(frame.metric == "Inefficiency") & (frame.method == "KSHAP")]["value"]
    assert len(inefficiency) == 4 and inefficiency.max() < 1e-6  # the Shapley methods stay efficient


def test_natural_and_coco_pairs_through_the_engine(tmp_path):
    from test_natural_and_coco import write_tiny_coco

    module = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "table.py"))
    small = ["--reduced", "--pairs", "2", "--size", "32", "--budget", "30", "--budget2", "40", "--segments", "6",
             "--grid", "2", "--first", "KSHAP", "VESM", "--second", "KSHAP", "random", "--engine", "local",
             "--out", str(tmp_path)]
    table = module["main"](small)
    assert "Table 1 on the offline natural pairs: 2 pairs at 32 px" in table and "| VESM |" in table
    frame = module["read_results"](tmp_path / "table-run-natural")
    assert sorted(set(frame["pair"])) == [0, 1] and all(name.startswith("natural-0-") for name in frame["name"])
    write_tiny_coco(tmp_path / "coco")
    table = module["main"](small + ["--dataset", "coco", "--coco-images", str(tmp_path / "coco" / "images"),
                                    "--coco-annotations", str(tmp_path / "coco" / "instances.json")])
    assert "Table 1 on MS COCO (supplementary Table 2): 2 pairs" in table
    inefficiency = module["read_results"](tmp_path / "table-run-coco").query("metric == 'Inefficiency' and method == 'KSHAP'")["value"]
    assert len(inefficiency) == 4 and inefficiency.max() < 1e-6
