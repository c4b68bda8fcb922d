"""The pairs of a dataset run: a CSV of ``query,result`` image paths (relative paths are read
from the CSV's folder), or ``(query, result)`` rows, checked whole before anything runs.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for name in ("a.png", "b.png"): _ = (folder / name).write_bytes(b"")
>>> _ = (folder / "pairs.csv").write_text("query,result\\na.png,b.png\\nb.png,a.png\\n")
>>> [(p.index, pathlib.Path(p.query).name) for p in read_pairs(folder / "pairs.csv")]
[(0, 'a.png'), (1, 'b.png')]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

SHOWN = 5
"""Rows named in an error before the rest are counted."""


@dataclass(frozen=True)
class Pair:
    """One row: its ``index`` (the row number among the pairs, from 0) and two image paths."""

    index: int
    query: str
    result: str


def read_pairs(pairs: str | Path | Iterable[tuple[str, str]], check_files: bool = True) -> list[Pair]:
    """The pairs of a CSV file (a header with ``query`` and ``result`` columns) or of
    ``(query, result)`` rows, as absolute paths (a cluster's workers do not share the driver's
    working folder). A missing file, a duplicate pair, an empty list or a malformed
    row is a ValueError naming the rows, raised before any pair is explained."""
    if isinstance(pairs, (str, Path)):
        rows, where, base = _csv_rows(Path(pairs)), f"{pairs}", Path(pairs).resolve().parent
    else:
        rows, where, base = list(pairs), "pairs", Path(".").resolve()
    found: list[Pair] = []
    for index, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__len__") or len(row) != 2:
            raise ValueError(f"{where}: row {index} must be a (query, result) pair of paths, got {row!r}")
        query, result = (str(base / str(path).strip()) if not Path(str(path).strip()).is_absolute()
                         else str(path).strip() for path in row)
        found.append(Pair(index, query, result))
    if not found:
        raise ValueError(f"{where}: no pairs to explain")
    if check_files:
        _check_files(found, where)
    _check_duplicates(found, where)
    return found


def _csv_rows(path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        raise ValueError(f"pairs: no such file: {path}")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        if "query" not in columns or "result" not in columns:
            raise ValueError(f"{path}: the header must name 'query' and 'result' columns, got {columns}")
        rows = []
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip(): v for k, v in row.items()}
            if not row.get("query") or not row.get("result"):
                raise ValueError(f"{path}: line {line} has an empty query or result")
            rows.append((row["query"], row["result"]))
    return rows


def _named(rows: list[str]) -> str:
    return "; ".join(rows[:SHOWN]) + (f"; and {len(rows) - SHOWN} more" if len(rows) > SHOWN else "")


def _check_files(pairs: list[Pair], where: str) -> None:
    seen: dict[str, bool] = {}
    missing = []
    for pair in pairs:
        for side, path in (("query", pair.query), ("result", pair.result)):
            if path not in seen:
                seen[path] = Path(path).is_file()
            if not seen[path]:
                missing.append(f"row {pair.index} {side} {path}")
    if missing:
        raise ValueError(f"{where}: {len(missing)} image file(s) missing: {_named(missing)}")


def _check_duplicates(pairs: list[Pair], where: str) -> None:
    first: dict[tuple[str, str], int] = {}
    repeated = []
    for pair in pairs:
        key = (str(Path(pair.query).resolve()), str(Path(pair.result).resolve()))
        if key in first:
            repeated.append(f"row {pair.index} repeats row {first[key]}")
        else:
            first[key] = pair.index
    if repeated:
        raise ValueError(f"{where}: {len(repeated)} duplicate pair(s): {_named(repeated)}")
