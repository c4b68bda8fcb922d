"""Second-order methods against SBSM, pair by pair: the mean per-pair difference in mIoU and in
second-order faithfulness, with the half-width of its 95 % confidence interval (normal
approximation, 1.96 standard errors), from table runs over the same pairs. Written to
``benchmarks/results/natural-paired.md``.

    python benchmarks/paired.py benchmarks/results/natural benchmarks/results/natural-equal-passes
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from axiomatic_search.distributed import read_results  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def per_pair(frame, metric: str, method: str):
    rows = frame[(frame.metric == metric) & (frame.order == "Second") & (frame.method == method)]
    return rows.set_index("pair")["value"].sort_index()


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="table output folders (the first holds SBSM)")
    args = parser.parse_args(argv)
    frames = {run: read_results(next(run.glob("table-run-*"))) for run in args.runs}
    base = frames[args.runs[0]]
    lines = ["| method | run | second-order passes | mIoU − SBSM | faithfulness − SBSM | pairs where it is higher (mIoU) |",
             "|---|---|---|---|---|---|"]
    for run, frame in frames.items():
        for method in sorted(set(frame[frame.order == "Second"].method) - {"SBSM", "random"}):
            cells = []
            for metric in ("mIoU", "Faithfulness"):
                difference = per_pair(frame, metric, method) - per_pair(base, metric, "SBSM")
                difference = difference.dropna()
                half = 1.96 * difference.std(ddof=1) / np.sqrt(len(difference))
                cells.append(f"{difference.mean():+.3f} ± {half:.3f}")
                if metric == "mIoU":
                    wins = f"{int((difference > 0).sum())} of {len(difference)}"
            passes = per_pair(frame, "Backbone passes", method).mean()
            lines.append(f"| {method} | {run.name} | {passes:.0f} | {cells[0]} | {cells[1]} | {wins} |")
    sbsm = per_pair(base, "Backbone passes", "SBSM").mean()
    text = (f"Second-order methods against SBSM ({sbsm:.0f} passes), paired over the same pairs; mean difference "
            "± the half-width of its 95 % confidence interval.\n\n" + "\n".join(lines) + "\n")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "natural-paired.md").write_text(text)
    print(text)
    return text


if __name__ == "__main__":
    main()
