"""The test suite's wall time, as README's test command runs it (the install left out).

    python benchmarks/suite_time.py    # about 5 minutes; writes benchmarks/results/suite_time.json

Run it on an otherwise idle machine: README quotes the result, and CI's limit is 5 minutes on 2
cores. The one test that checks README quotes this file's number is left out of the timed run (it
cannot pass before the number exists); it takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


LEFT_OUT = "tests/test_readme_figures.py::test_readme_quotes_every_figure_derived_from_the_committed_results"


def test_command() -> list[str]:
    """README's second command, less its install, less the test that reads this script's result."""
    second = re.search(r"```bash\n.*?\n(.*?)\n", (ROOT / "README.md").read_text()).group(1)
    words = [sys.executable if word == "python" else word for word in second.split("&&", 1)[1].split()]
    return words + ["--deselect", LEFT_OUT]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    started = time.perf_counter()
    done = subprocess.run(test_command(), cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the suite failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    summary = done.stdout.strip().splitlines()[-1]
    record = {"seconds": round(seconds, 1), "summary": summary, "left_out": LEFT_OUT, "cores": os.cpu_count(),
              "machine": platform.machine(), "command": " ".join(test_command()[1:])}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "suite_time.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
