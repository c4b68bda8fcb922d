"""Plant plausible one-line bugs in the mathematics, one at a time, and name the tests that catch each.

The first three are the ones an audit found the suite missed (issue 16): SAM's map-size
normalisation, cosine SAM's per-pair norms, the kernel estimator's ridge strength. Each bug is
written into a scratch copy of the repository (the working tree is never touched) and the
mathematical test files run against it. A bug no test catches is a failure of this script.

    python benchmarks/planted_bugs.py    # about 3 minutes; writes benchmarks/results/planted_bugs.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("axiomatic_search", "captum_search", "shap_search", "lime_search", "benchmarks", "tests", "pyproject.toml")

def guarding_tests() -> list[str]:
    """The test files that guard the mathematics: the ones mutmut runs (pyproject's [tool.mutmut])."""
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["pytest_add_cli_args_test_selection"]


TESTS = guarding_tests()


@dataclass(frozen=True)
class Bug:
    name: str
    path: str
    original: str
    planted: str


BUGS = (
    Bug("SAM divides by H·H instead of H·W (the map size)", "captum_search/sam.py",
        "/ (height * width)", "/ (height * height)"),
    Bug("cosine SAM divides by the batch's largest query norm, not each pair's", "captum_search/sam.py",
        "fixed_gap.norm(dim=1) * global_average_pool(maps).norm(dim=1)",
        "fixed_gap.norm(dim=1).max() * global_average_pool(maps).norm(dim=1)"),
    Bug("the kernel estimator's ridge counts every design row, not the sampled ones",
        "axiomatic_search/estimators/kernel_shapley_taylor.py",
        "* n_pairs / n_sampled", "* n_pairs / len(design.coalitions)"),
    Bug("second-order SAM divides by the query's map size squared", "axiomatic_search/correspondence/grey_box.py",
        "/ (dx.shape[1] * dy.shape[1])", "/ (dx.shape[1] * dx.shape[1])"),
    Bug("the Shapley kernel's size weight uses s instead of n − s", "axiomatic_search/estimators/kernel_shap.py",
        "(n - 1) / (s * (n - s))", "(n - 1) / (s * s)"),
    Bug("the permutation estimator takes T ∪ first from the wrong prefix", "axiomatic_search/estimators/permutation.py",
        "prefix_values[before + 1]", "prefix_values[before]"),
)


def failed_tests(output: str) -> list[str]:
    """The tests pytest's summary names as failed or erroring."""
    return sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.M)))


def run_bug(bug: Bug | None, scratch: Path) -> tuple[list[str], float, str, int]:
    """Plant ``bug`` (None: nothing) in a fresh copy and run ``TESTS``: the failing tests."""
    copy = scratch / "repo"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    for name in COPIED:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, copy / name)
    if bug is not None:
        target = copy / bug.path
        text = target.read_text()
        if text.count(bug.original) != 1:
            raise SystemExit(f"{bug.path} no longer holds {bug.original!r} exactly once: update the bug")
        target.write_text(text.replace(bug.original, bug.planted))
    env = {**os.environ, "PYTHONPATH": str(copy), "MPLBACKEND": "Agg"}  # the copy before the installed tree
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-o", "addopts=-p no:cacheprovider", "-rf",
                           *TESTS], cwd=copy, env=env, capture_output=True, text=True)
    return failed_tests(done.stdout), time.perf_counter() - started, done.stdout[-2000:], done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        clean, seconds, tail, code = run_bug(None, Path(scratch))
        if clean or code != 0:
            raise SystemExit(f"the unmodified copy does not pass (exit {code}) {clean}:\n{tail}")
        print(f"unmodified: every test passes ({seconds:.0f} s)")
        for bug in BUGS:
            caught, seconds, _, _ = run_bug(bug, Path(scratch))
            rows.append({"bug": bug.name, "file": bug.path, "original": bug.original, "planted": bug.planted,
                         "caught_by": caught})
            print(f"{len(caught):3d} tests catch: {bug.name}")
    lines = ["# Planted bugs and the tests that catch them", "",
             "`python benchmarks/planted_bugs.py`: each bug planted alone in a scratch copy; the mathematical "
             f"test files ({', '.join(Path(t).name for t in TESTS)}) run against it.", "",
             "| bug | file | change | tests that fail |", "|---|---|---|---|"]
    for row in rows:
        names = ", ".join(f"`{test.split('::')[-1]}`" for test in row["caught_by"][:4])
        more = f" and {len(row['caught_by']) - 4} more" if len(row["caught_by"]) > 4 else ""
        lines.append(f"| {row['bug']} | `{row['file']}` | `{row['original']}` → `{row['planted']}` | "
                     f"{len(row['caught_by'])}: {names}{more} |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "planted_bugs.md").write_text("\n".join(lines) + "\n")
    (args.out / "planted_bugs.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("\n".join(lines))
    missed = [row["bug"] for row in rows if not row["caught_by"]]
    if missed:
        raise SystemExit(f"no test catches: {missed}")


if __name__ == "__main__":
    main()
