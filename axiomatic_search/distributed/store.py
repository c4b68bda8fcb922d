"""Where a dataset run's results go: one Parquet file per chunk of pairs, written atomically
(a temporary file, then a rename), so a chunk is either whole or absent, a retried chunk
replaces itself, and a rerun skips the chunks already there. ``run.json`` holds the settings;
a rerun with other settings is refused rather than mixed in.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import numpy as np

def require(module: str):
    """Import ``module`` (pyarrow, ray), or an ImportError naming the extra that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{module} is needed for dataset runs: pip install 'axiomatic-search[distributed]'") from None


SETTINGS = "run.json"
PATTERN = "chunk-*.parquet"


def chunk_path(out: Path, chunk: int) -> Path:
    return Path(out) / f"chunk-{chunk:07d}.parquet"


def open_run(out: str | Path, settings: dict) -> Path:
    """The output folder, created with ``settings`` or checked against the ones it holds (a run
    that wrote no chunk yet takes the new settings; chunks without settings are refused).
    Temporary files of chunks that were being written when a run stopped are removed."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(".chunk-*.tmp"):
        stale.unlink(missing_ok=True)
    settings = json.loads(json.dumps(settings))  # as they will read back: tuples become lists
    path = out / SETTINGS
    if path.exists() and finished_chunks(out):
        held = json.loads(path.read_text())
        changed = sorted(key for key in set(held) | set(settings) if held.get(key) != settings.get(key))
        if changed:
            details = ", ".join(f"{key}: {held.get(key)!r} there, {settings.get(key)!r} now" for key in changed)
            raise ValueError(f"out: {out} holds a run with other settings ({details}); "
                             "use a new folder or the same settings to resume it")
    elif finished_chunks(out):
        raise ValueError(f"out: {out} holds chunk files but no {SETTINGS}: they cannot be told apart from "
                         "another run's; use a new folder")
    else:
        path.write_text(json.dumps(settings, indent=2, sort_keys=True))
    return out


def finished_chunks(out: str | Path) -> set[int]:
    """Chunks whose file is in ``out``."""
    found = (re.fullmatch(r"chunk-(\d+)\.parquet", path.name) for path in Path(out).glob(PATTERN))
    return {int(match.group(1)) for match in found if match}


def finished_pairs(out: str | Path) -> int:
    """Pairs in the finished chunks of ``out`` (from the Parquet footers, no data read)."""
    pq = require("pyarrow.parquet")
    return sum(pq.ParquetFile(path).metadata.num_rows for path in Path(out).glob(PATTERN))


def write_chunk(out: str | Path, chunk: int, rows: list[dict]) -> Path:
    """Write one chunk's rows (one per pair) atomically."""
    pa, pq = require("pyarrow"), require("pyarrow.parquet")
    final = chunk_path(Path(out), chunk)
    temporary = final.with_name(f".{final.stem}.{uuid.uuid4().hex}.tmp")
    pq.write_table(pa.Table.from_pylist(rows), temporary)
    os.replace(temporary, final)
    return final


def read_results(out: str | Path):
    """Every finished pair of a run as a pandas DataFrame, one row per pair, sorted by ``pair``;
    ``values`` (per-player values, or the query×result block flattened row-major) come back as
    arrays, with ``shape`` to restore the block: ``np.reshape(row.values, row.shape)``."""
    pa, pq = require("pyarrow"), require("pyarrow.parquet")
    files = sorted(Path(out).glob(PATTERN))
    if not files:
        raise ValueError(f"out: {out} holds no finished pairs")
    frame = pa.concat_tables([pq.read_table(path) for path in files]).to_pandas()
    return frame.sort_values("pair", kind="stable").reset_index(drop=True)


def block_of(row) -> np.ndarray:
    """A row's values in their shape (a first-order row: one per player)."""
    return np.asarray(row["values"], dtype=np.float64).reshape(tuple(row["shape"]))
