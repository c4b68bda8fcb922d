"""How long README's quickstarts take a user: the main command, each README Python block and each
example script at its own defaults, each in a fresh process (imports and model loading included).

    python benchmarks/quickstarts.py    # about 4 minutes; writes benchmarks/results/quickstarts.{md,json}

The test suite runs the README blocks and the examples (as notebooks, at smaller budgets) for
correctness; this script is where the examples run at their defaults, and README's "in about N s"
figures come from its results file (tests/test_readme_figures.py checks README quotes them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def readme_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def main_command() -> list[str]:
    """README's first command, less its install: ``python -m axiomatic_search --out outputs``."""
    first = re.search(r"```bash\n(.*?)\n", README.read_text()).group(1)
    return first.split("&&", 1)[1].split()


def timed(command: list[str], folder: Path) -> tuple[float, str]:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)[:80]} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        command = [sys.executable if word == "python" else word for word in main_command()]
        seconds, _ = timed(command, folder)
        rows.append({"what": "main command", "key": " ".join(main_command()), "seconds": seconds})
        for number, block in enumerate(readme_blocks(), start=1):
            seconds, _ = timed([sys.executable, "-c", block], folder)
            rows.append({"what": f"README block {number}", "key": block.splitlines()[0], "seconds": seconds})
        for script in sorted((ROOT / "examples").glob("*.py")):
            seconds, printed = timed([sys.executable, str(script)], folder)
            rows.append({"what": "example", "key": f"examples/{script.name}", "seconds": seconds,
                         "printed": printed.strip().splitlines()[-12:]})
    lines = ["# Quickstart timings (2-core CPU; each in a fresh process, imports and model loading included)", "",
             "`python benchmarks/quickstarts.py`", "", "| what | first line / file | seconds |", "|---|---|---|"]
    lines += [f"| {row['what']} | `{row['key']}` | {row['seconds']:.0f} |" for row in rows]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "quickstarts.md").write_text("\n".join(lines) + "\n")
    (args.out / "quickstarts.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
