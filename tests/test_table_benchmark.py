"""benchmarks/table.py runs every method end to end (on one tiny pair)."""

from __future__ import annotations

import runpy
from pathlib import Path


def test_table_runs_every_method_on_a_tiny_pair(tmp_path):
    module = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "table.py"))
    table = module["main"](["--pairs", "1", "--size", "64", "--budget", "40", "--budget2", "60", "--segments", "8",
                            "--grid", "2", "--window", "16", "--stride", "16", "--ig-steps", "4", "--out", str(tmp_path)])
    assert (tmp_path / "table.md").read_text().strip() == table.strip()
    header = next(line for line in table.splitlines() if line.startswith("| metric"))
    for method in ("SBSM", "PSHAP", "LIME", "KSHAP", "Int. G.", "GCAM", "SAM", "IG SAM", "KSAM", "random"):
        assert f"| {method} |" in header
    rows = {tuple(cell.strip() for cell in line.split("|")[1:3]): line for line in table.splitlines()[4:]}
    assert ("Faithfulness", "First") in rows and ("mIoU", "Second") in rows
    assert "nan" not in table
