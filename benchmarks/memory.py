"""Peak memory of a 40,000-sample first-order explanation at 224 × 224 with EfficientNet-Lite0
(issue: under 2.5 GB), measured with ``/usr/bin/time -v`` around a fresh process, written to
``benchmarks/results/memory.md``. Memory is bounded by design: masked images are built and
embedded in batches, and only coalitions (booleans) and values are kept.

    python benchmarks/memory.py [--budget 40000]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
JOB = """
import sys
from axiomatic_search.data import sample_pair
from axiomatic_search.explain import explain_first_order
from axiomatic_search.search_games import FirstOrderSearchGame
from axiomatic_search.zoo import efficientnet_lite0
budget = int(sys.argv[1])
query, result, _ = sample_pair(224)
game = FirstOrderSearchGame.for_images(efficientnet_lite0(), query, result)  # 50 SLIC superpixels, 25 px blur
found = explain_first_order(game, budget, random_state=0, progress=False)
print(f"evaluations {found.n_evaluations}; efficiency gap {found.efficiency_gap:.1e}")
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=40_000)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-c", JOB, str(args.budget)],
                          capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    line = (f"First-order Kernel SHAP, {args.budget} samples, 224×224, EfficientNet-Lite0 (default backend), "
            f"{done.stdout.strip()}: peak resident memory {peak_kib * 1024 / 1e9:.2f} GB "
            f"({peak_kib / 1024**2:.2f} GiB), {seconds:.0f} s wall (target: under 2.5 GB)")
    print(line)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "memory.md"  # one line per budget: a run replaces only its own budget's line
    held = path.read_text().splitlines() if path.exists() else []
    lines = [old for old in held if old.startswith("First-order") and f", {args.budget} samples," not in old]
    lines = sorted(lines + [line], key=lambda text: int(re.search(r", (\d+) samples,", text).group(1)))
    path.write_text("\n\n".join(lines) + "\n\n`python benchmarks/memory.py [--budget N]`\n")


if __name__ == "__main__":
    main()
