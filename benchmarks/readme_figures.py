"""README's figures that are not a cell of a results table, derived from the committed results files.

    python benchmarks/readme_figures.py    # seconds; writes benchmarks/results/readme_figures.md

A ratio or a range README states ("28× smaller", "1.5–11×") is computed here from the file that
holds its measurements, never by hand. ``tests/test_readme_figures.py`` recomputes every figure
from the committed files and checks README quotes it as written here, so a rerun benchmark whose
numbers moved fails the suite until README follows.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Figure:
    """``text`` is what README must contain; ``source`` the results file it comes from."""

    name: str
    text: str
    source: str


def markdown_tables(path: Path) -> dict[str, list[list[str]]]:
    """The tables of a results file keyed by the heading above each (``""`` before any heading):
    data rows as lists of cells."""
    tables: dict[str, list[list[str]]] = {}
    heading = ""
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("|") and not line.startswith("|---"):
            tables.setdefault(heading, []).append([cell.strip() for cell in line.strip("|").split("|")])
    return {key: rows[1:] for key, rows in tables.items()}  # the header row dropped


def by_method(rows: list[list[str]]) -> dict[str, np.ndarray]:
    """A table's rows by their first cell, the rest as numbers (``n/a`` as NaN)."""
    return {row[0]: np.array([float(cell) if cell != "n/a" else np.nan for cell in row[1:]]) for row in rows}


def span(low: float, high: float, low_format: str = ".1f", high_format: str = ".1f") -> str:
    """``low–high`` as README writes a range."""
    return f"{low:{low_format}}–{high:{high_format}}"


def quoted_lines(name: str) -> list[Figure]:
    """The prose lines of a results file that README copies whole (not headings, tables or the command)."""
    lines = (RESULTS / name).read_text().splitlines()
    return [Figure(f"{name} line {k + 1}", line, name) for k, line in enumerate(lines)
            if line.strip() and not line.startswith(("#", "|", "`"))]


QUOTED = ("scale.md", "natural/table.md", "natural-equal-passes/table.md", "natural-paired.md")
"""Results files whose prose lines (captions, sentences) README copies whole."""


def speed() -> list[Figure]:
    data = json.loads((RESULTS / "speed.json").read_text())
    rate = {(row["backend"], row["batch"]): row["images_per_second"] for row in data["backends"]}
    ratios = [row["overhead_ratio"] for row in data["overhead"]]
    worst = max(row["ratio_range"][1] for row in data["overhead"])
    largest = max(row["max_abs_difference"] for row in data["backends"])
    source = "speed.json"
    return [Figure("onnx speed-up", f"{rate['onnxruntime', 32] / rate['eager', 64]:.1f}× as fast as torch eager", source),
            Figure("onnx difference", f"largest difference of {largest:.0e}", source),
            Figure("overhead", f"adds {100 * (min(ratios) - 1):.0f}–{100 * (max(ratios) - 1):.0f} %", source),
            Figure("overhead single runs", f"up to {100 * (worst - 1):.0f} %", source)]


def text_search() -> list[Figure]:
    runs = json.loads((RESULTS / "text.json").read_text())["second_order"]
    mean = {key: {m: np.mean([r[key] for r in runs if r["method"] == m]) for m in ("factorised", "shapiq-svarmiq")}
            for key in ("max_error", "seconds")}
    error = mean["max_error"]["shapiq-svarmiq"] / mean["max_error"]["factorised"]
    time = mean["seconds"]["factorised"] / mean["seconds"]["shapiq-svarmiq"]
    return [Figure("text error ratio", f"{error:.0f}× smaller than shapiq SVARMIQ's", "text.json"),
            Figure("text time ratio", f"{time:.2f}× its time", "text.json")]


def memory() -> list[Figure]:
    peaks = {int(budget): float(gb) for budget, gb in re.findall(
        r", (\d+) samples,.*?peak resident memory ([\d.]+) GB", (RESULTS / "memory.md").read_text())}
    return [Figure("memory 40,000", f"peaks at {peaks[40_000]:.2f} GB", "memory.md"),
            Figure("memory 2,000", f"2,000 samples (`--budget 2000`) at {peaks[2000]:.2f} GB", "memory.md"),
            Figure("memory aim", f"{100 * (peaks[40_000] / 2.5 - 1):.0f} % over the 2.5 GB aim", "memory.md")]


def natural_table() -> list[Figure]:
    rows = {(row[0], row[1]): row[2:] for row in markdown_tables(RESULTS / "natural" / "table.md")[""]}
    header = (RESULTS / "natural" / "table.md").read_text().split("| metric | order | ")[1].split(" |\n")[0].split(" | ")
    passes = dict(zip(header, rows["Backbone passes", "Second"]))
    miou = {method: float(cell.split(" ± ")[0]) for method, cell in zip(header, rows["mIoU", "Second"]) if cell != "-"}
    return [Figure("KSHAP passes against SBSM's",
                   f"{int(passes['KSHAP']) / int(passes['SBSM']):.2f}× SBSM's {int(passes['SBSM']):,}", "natural/table.md"),
            Figure("KSHAP lead over SBSM", f"smaller here ({miou['KSHAP'] - miou['SBSM']:.2f})", "natural/table.md")]


def natural_object_coverage(n_pairs: int = 100, size: int = 128) -> Figure:
    """The shared object's share of each image of the table's natural pairs (made, not read)."""
    from axiomatic_search.natural_pairs import natural_pairs

    shares = [float(np.mean(mask)) for pair in natural_pairs(n_pairs, size=size, seed=0)
              for mask in (pair.query_mask, pair.result_mask)]
    low, median, high = np.percentile(shares, [5, 50, 95])
    return Figure("object coverage", f"covers {100 * median:.0f} % of the image in the median ({100 * low:.0f}–"
                  f"{100 * high:.0f} %, 5th to 95th percentile)", "axiomatic_search.natural_pairs (100 pairs, 128 px)")


def correspondence() -> list[Figure]:
    text = (RESULTS / "correspondence.md").read_text()
    photos = re.search(r"pairs: ([^;]*?) ×", text).group(1).split(", ")
    with open(RESULTS / "correspondence.csv") as handle:
        records = [row for row in csv.DictReader(handle) if row["pair"].rsplit("-", 1)[0] in photos]
    seconds = {m: np.mean([float(r["seconds"]) for r in records if r["method"] == m])
               for m in ("factorised@1000", "factorised@3500", "ig-sam", "sam")}
    accuracy = np.mean([float(r["accuracy"]) for r in records if r["method"] == "factorised@1000"])
    return [Figure("factorised at 1,000", f"**{accuracy:.2f} in {seconds['factorised@1000']:.0f} s**", "correspondence.csv"),
            Figure("factorised at 3,500", f"at 3,500 passes ({seconds['factorised@3500']:.0f} s)", "correspondence.csv"),
            Figure("closed forms' speed", f"{seconds['factorised@3500'] / seconds['ig-sam']:.0f}× (IG SAM) and "
                   f"{seconds['factorised@3500'] / seconds['sam']:.0f}× (SAM) faster", "correspondence.csv")]


def convergence() -> tuple[list[Figure], str]:
    tables = markdown_tables(RESULTS / "convergence.md")
    curves = {(heading.split(":")[0], "block" if "block" in heading else "all"): by_method(rows)
              for heading, rows in tables.items() if "relative MSE" in heading}
    ours = {"relu": "kernel", "relu-bias": "kernel", "sparse30": "kernel", "feature-map": "factorised", "pixel": "factorised"}
    ratio = {(row[0], int(row[1])): float(row[6]) for row in tables["Ours against the best competitor (all indices)"]}
    budgets = sorted({b for _, b in ratio})
    families = list(dict.fromkeys(family for family, _ in ratio))
    competitors = ("permutation", "shapiq-permutation", "shapiq-svarmiq", "shapiq-shapiq")

    def best(family: str, kind: str) -> np.ndarray:
        return np.nanmin([curves[family, kind][m] for m in competitors], axis=0)

    relu = np.concatenate([best(f, "all") / curves[f, "all"]["kernel"] for f in ("relu", "relu-bias")])
    pixel_block = best("pixel", "block") / curves["pixel", "block"]["factorised"]
    pixel_late = [ratio["pixel", b] for b in budgets if b >= 2000]
    feature_all = curves["feature-map", "all"]["factorised"] / best("feature-map", "all")
    feature_block = curves["feature-map", "block"]["factorised"] / best("feature-map", "block")
    samplers = [np.minimum(curves[f, k]["permutation"], curves[f, k]["shapiq-permutation"])
                for f in ("feature-map", "pixel") for k in ("all", "block")]
    shapiq = np.concatenate([curves[f, k][m] / s for (f, k), s in zip(
        [(f, k) for f in ("feature-map", "pixel") for k in ("all", "block")], samplers)
        for m in ("shapiq-svarmiq", "shapiq-shapiq")])
    figures = [
        Figure("kernel on ReLU families", f"at every budget ({span(relu.min(), relu.max())}×)", "convergence.md"),
        Figure("pixel block", f"block is {span(pixel_block.min(), pixel_block.max())}× more accurate", "convergence.md"),
        Figure("pixel all indices from 2,000", f"within {span(min(pixel_late), max(pixel_late), '.2f', '.2f')}× of the best",
               "convergence.md"),
        Figure("worst ratio", f"worst ratio **{max(ratio.values()):.0f}**", "convergence.md"),
        Figure("sparse30", f"(up to {max(ratio['sparse30', b] for b in budgets):.1f}×)", "convergence.md"),
        Figure("feature-map all indices", f"{span(feature_all.min(), feature_all.max(), '.1f', '.0f')}× more accurate "
               "than the regression", "convergence.md"),
        Figure("feature-map block", f"{span(feature_block.min(), feature_block.max(), '.1f', '.0f')}× on the block",
               "convergence.md"),
        Figure("shapiq against permutation samplers", f"{span(shapiq.min(), shapiq.max(), '.0f', ',.0f')}× less accurate",
               "convergence.md"),
    ]
    lines = ["| family | " + " | ".join(map(str, budgets)) + " |", "|---|" + "---|" * len(budgets)]
    lines += [f"| {family} | " + " | ".join(f"{ratio[family, b]:.2f}" for b in budgets) + " |" for family in families]
    lines += ["", "| family | method | " + " | ".join(map(str, budgets)) + " |", "|---|---|" + "---|" * len(budgets)]
    for family in ("pixel", "feature-map"):
        for name, values in ((ours[family], curves[family, "block"][ours[family]]), ("best competitor", best(family, "block"))):
            lines.append(f"| {family} | {name} | " + " | ".join(f"{v:.3g}" for v in values) + " |")
    return figures, "\n".join(lines)


def real_game() -> list[Figure]:
    first = by_method(markdown_tables(RESULTS / "real_game.md")["First order, 12 result cells"])
    ours = first["ours: KernelShap"]
    kernel, permutation = first["shap: KernelExplainer"] / ours, first["shap: PermutationExplainer"] / ours
    return [Figure("against KernelExplainer", f"{span(kernel.min(), kernel.max(), '.1f', '.0f')}× lower error than shap's "
                   "`KernelExplainer`", "real_game.md"),
            Figure("against PermutationExplainer", f"{span(permutation.min(), permutation.max(), '.1f', '.0f')}× lower than "
                   "its `PermutationExplainer`", "real_game.md")]


def solver() -> list[Figure]:
    rows = markdown_tables(RESULTS / "solver_scaling.md")
    seconds = {(int(r[0]), int(r[2])): float(r[3]) for table in rows.values() for r in table if r[0].isdigit()}
    rate = next(r["images_per_second"] for r in json.loads((RESULTS / "speed.json").read_text())["backends"]
                if r["backend"] == "onnxruntime")
    model_seconds = 80_000 / rate
    return [Figure("solver against the model", f"(about {model_seconds / 60:.0f} minutes at the {rate:.0f} images/s of the "
                   f"speed table) the {seconds[98, 40_000]:.1f} s is {100 * seconds[98, 40_000] / model_seconds:.1f} %",
                   "solver_scaling.md, speed.json")]


BLOCKS = {"README block 6": "import shap", "README block 7": "from captum.attr import visualization",
          "README block 8": "from axiomatic_search.data import sample_pair"}
"""The README blocks README times, by position, and the first line each must have."""
PHRASES = {
    "main command": "in about {:.0f} seconds on a 2-core CPU",
    "README block 6": "A quickstart (about {:.0f} s on the 2-core CPU",
    "README block 7": "In {:.0f} s:",
    "README block 8": "In about {:.0f} s (a tenth",
    "examples/shap_quickstart.py": "writes the same figures for the sample pair in about {:.0f} s",
    "examples/lime_quickstart.py": "lime's own picture and the shared figures for the sample pair in about {:.0f} s",
    "examples/captum_quickstart.py": "(script or notebook, about {:.0f} s) runs every class",
}
"""How README words each timing of ``quickstarts.json`` (keyed by what was timed)."""


def timings() -> list[Figure]:
    """The main command, README's blocks, the examples (quickstarts.json) and the suite (suite_time.json)."""
    rows = json.loads((RESULTS / "quickstarts.json").read_text())
    for row in rows:
        if row["what"] in BLOCKS and row["key"] != BLOCKS[row["what"]]:
            raise ValueError(f"{row['what']} now starts {row['key']!r}, not {BLOCKS[row['what']]!r}: update BLOCKS")
    seconds = {row["key"] if row["what"] == "example" else row["what"]: row["seconds"] for row in rows}
    out = [Figure(f"quickstart: {key}", phrase.format(seconds[key]), "quickstarts.json") for key, phrase in PHRASES.items()]
    suite = json.loads((RESULTS / "suite_time.json").read_text())
    out.append(Figure("test suite", f"{suite['seconds']:.0f} s measured by `python benchmarks/suite_time.py`",
                      "suite_time.json"))
    return out


def all_figures(with_coverage: bool = True) -> tuple[list[Figure], str]:
    figures, tables = convergence()
    """Every figure, in README order of sources, and the convergence tables README shows."""
    quoted = [line for name in QUOTED for line in quoted_lines(name)]
    figures = (quoted + speed() + text_search() + memory() + natural_table() + correspondence() + figures + real_game()
               + solver() + timings() + ([natural_object_coverage()] if with_coverage else []))
    return figures, tables


def render(figures: list[Figure], tables: str) -> str:
    lines = ["# README's derived figures", "", "`python benchmarks/readme_figures.py` — each from the results file named; "
             "README quotes each text as written.", "", "| figure | text README quotes | from |", "|---|---|---|"]
    lines += [f"| {f.name} | {f.text.replace(chr(10), ' ')} | `{f.source}` |" for f in figures]
    return "\n".join(lines + ["", "## Convergence: ours against the best competitor", "", tables]) + "\n"


def main() -> None:
    text = render(*all_figures())
    (RESULTS / "readme_figures.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
