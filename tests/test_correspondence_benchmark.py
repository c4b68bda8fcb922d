"""benchmarks/correspondence.py: its report from records (the runs themselves are benchmarks)."""

from __future__ import annotations

from benchmarks import correspondence
from benchmarks.correspondence import Record


def test_report_averages_each_method_per_transform_and_redraws_from_its_csv(tmp_path):
    records = [Record("astronaut-permute", "permute", "factorised@1000", 0.5, 1000, 8.0),
               Record("astronaut-flip", "flip", "factorised@1000", 1.0, 1000, 6.0),
               Record("astronaut-permute", "permute", "ig-sam", 0.25, 4, 0.5),
               Record("astronaut-flip", "flip", "ig-sam", 0.75, 4, 0.3)]
    text = correspondence.write_report(records, tmp_path, "corr", "224 px")
    assert "| factorised@1000 | 0.75 | 0.50 | 1.00 | 1000 | 7.0 |" in text
    assert "| ig-sam | 0.50 | 0.25 | 0.75 | 4 | 0.4 |" in text
    assert "2 pairs: astronaut × permute, flip" in text
    assert (tmp_path / "corr.png").stat().st_size > 10_000
    with (tmp_path / "corr.csv").open("w", newline="") as handle:
        writer = correspondence.csv.DictWriter(handle, fieldnames=list(Record.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(correspondence.asdict(r) for r in records)
    assert correspondence.main(["--redraw", "--out", str(tmp_path), "--name", "corr"]).endswith(text.split("\n\n", 1)[1])
