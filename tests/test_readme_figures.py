"""README's figures are the committed results files' figures: every table README shows is a table
of a results file (row for row) or says it is not a measurement, and every derived figure (a
ratio, a range, a timing) is the one ``benchmarks/readme_figures.py`` computes from those files.
A rerun benchmark whose numbers moved fails here until README follows."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks import readme_figures

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = re.compile(r"^<!-- (results: (\S+)|not measured: .+) -->$")


def flat(text: str) -> str:
    return " ".join(text.split())


def readme_tables() -> list[tuple[int, str | None, list[str]]]:
    """``(line number, results path or None for a table marked not measured, its lines, header
    included)``; a table with no marker gets ``"unmarked"``."""
    lines = README.read_text().splitlines()
    tables, k = [], 0
    while k < len(lines):
        if not lines[k].startswith("|"):
            k += 1
            continue
        end = k
        while end < len(lines) and lines[end].startswith("|"):
            end += 1
        above = next((lines[j] for j in range(k - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.match(above.strip())
        path = "unmarked" if marker is None else marker.group(2)
        tables.append((k + 1, path, lines[k:end]))
        k = end
    return tables


def test_every_readme_table_is_a_results_table_row_for_row_or_says_it_is_not_measured():
    tables = readme_tables()
    assert len(tables) >= 15 and sum(path is not None for _, path, _ in tables) >= 10
    for line, path, block in tables:
        assert path != "unmarked", f"README line {line}: mark the table <!-- results: FILE --> or <!-- not measured: WHY -->"
        if path is None:
            continue
        held = [flat(row) for row in (ROOT / path).read_text().splitlines()]
        wanted = [flat(row) for row in block]  # header, separator and rows, in order and in one piece
        assert any(held[k : k + len(wanted)] == wanted for k in range(len(held))), (
            f"README line {line}: the table is not a table of {path}, row for row")


def test_every_results_marker_stands_above_a_table():
    lines = README.read_text().splitlines()
    for k, line in enumerate(lines):
        if MARKER.match(line.strip()):
            assert k + 1 < len(lines) and lines[k + 1].startswith("|"), f"README line {k + 1}: a marker with no table"


def test_readme_quotes_every_figure_derived_from_the_committed_results():
    """Every figure recomputed from the results files is in README and in the committed list; the
    natural pairs' object coverage, which takes generating the pairs, is read from that list."""
    figures, tables = readme_figures.all_figures(with_coverage=False)
    committed = (readme_figures.RESULTS / "readme_figures.md").read_text()
    coverage = re.search(r"^\| object coverage \| (.*?) \| `(.*?)` \|$", committed, re.M)
    assert coverage, "rerun python benchmarks/readme_figures.py"
    figures.append(readme_figures.Figure("object coverage", coverage.group(1), coverage.group(2)))
    readme = flat(README.read_text())
    missing = [f"{figure.name}: {figure.text!r} (from {figure.source})" for figure in figures
               if flat(figure.text) not in readme]
    assert not missing, "README does not say:\n" + "\n".join(missing)
    assert flat(committed) == flat(readme_figures.render(figures, tables)), "rerun python benchmarks/readme_figures.py"


def test_a_moved_figure_is_caught(tmp_path, monkeypatch):
    """The check can fail: a results file whose numbers moved gives figures README does not hold."""
    for name in ("text.json",):
        (tmp_path / name).write_text((readme_figures.RESULTS / name).read_text().replace('"seconds": 1', '"seconds": 3'))
    monkeypatch.setattr(readme_figures, "RESULTS", tmp_path)
    moved = readme_figures.text_search()
    assert any(flat(figure.text) not in flat(README.read_text()) for figure in moved)
