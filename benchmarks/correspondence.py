"""Correspondence on real photos with known answers: every second-order method, cell accuracy,
forward passes and seconds per pair.

Pairs: a real photo (query) and a known transform of it (result): its 4 × 4 tiles permuted,
mirrored, zoomed (a 70 % crop rescaled) or shifted (``axiomatic_search.datasets.transformed_pair``),
so every query cell has a true result cell. A method's block over 4 × 4 grid cells on each side
is scored by cell accuracy: the share of query cells whose strongest interaction is their true
cell (chance: 1 in 16). The model is the offline EfficientNet-Lite0 (GAP + cosine) at 224 px
on its default backend (ONNX Runtime on a CPU); background: 25 px blur (mean colour for SBSM and
LIME, as in the paper). Forward passes count images through the backbone; a joint coalition of
an embedding model costs two.

Methods (``name@budget`` = forward passes):

- ``factorised@B``: ours, the product-design kernel Shapley–Taylor regression (black box);
- ``kernel@B``, ``permutation@B``: our joint kernel and memoised permutation estimators;
- ``shapiq-permutation@B``, ``shapiq-svarmiq@B``, ``shapiq-shapiq@B``: shapiq's STII
  approximators on the same joint game (B / 2 evaluations);
- ``sbsm@B``: second-order SBSM with cell-sized squares (window 56, stride 28);
- ``lime@B``: our second-order LIME over the same cells;
- ``ig-sam``, ``sam``: the grey-box closed forms (four forward passes);
- ``random``: a random block (chance level).

The photos chelsea and coffee were used to tune the methods and are left out by default.

    python benchmarks/correspondence.py [--photos ...] [--transforms ...] [--methods ...]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from axiomatic_search.baselines import sbsm_second_order  # noqa: E402
from axiomatic_search.correspondence import explain_correspondence  # noqa: E402
from axiomatic_search.data import ALL_PHOTOS  # noqa: E402
from axiomatic_search.datasets import TRANSFORMS, CorrespondencePair, transformed_pair  # noqa: E402
from axiomatic_search.images import grid_segments  # noqa: E402
from axiomatic_search.metrics import cell_accuracy  # noqa: E402
from axiomatic_search.search_games import SecondOrderSearchGame  # noqa: E402
from axiomatic_search.zoo import efficientnet_lite0  # noqa: E402
from benchmarks.common import BackbonePasses, markdown_table, shapiq_estimate  # noqa: E402

TUNING_PHOTOS = ("chelsea", "coffee")
TEST_PHOTOS = tuple(p for p in ALL_PHOTOS if p not in TUNING_PHOTOS)
DEFAULT_METHODS = (
    "factorised@1000", "factorised@3500", "kernel@3500", "permutation@3500", "shapiq-permutation@3500",
    "shapiq-svarmiq@3500", "sbsm@3500", "lime@3500", "ig-sam", "sam", "random",
)


@dataclass(frozen=True)
class Record:
    pair: str
    transform: str
    method: str
    accuracy: float
    forward_passes: int
    seconds: float


def _shapiq_block(name: str, game: SecondOrderSearchGame, evaluations: int, seed: int) -> np.ndarray:
    pairs = shapiq_estimate(name, game, evaluations, seed)[1]
    return pairs[: game.n_query, game.n_query :]


def _sbsm_block(model, pair: CorrespondencePair, budget: int, seed: int) -> np.ndarray:
    """Second-order SBSM projected cell by cell: each query cell's mask onto the result cells."""
    size, grid = len(pair.query), pair.grid
    cell = size // grid
    squares_per_side = len(range(0, size, cell // 2)) ** 2
    n_samples = max(1, budget // 2 - 2 * squares_per_side)
    found = sbsm_second_order(model, pair.query, pair.result, n_samples=n_samples, window=cell, stride=cell // 2,
                              random_state=seed)
    labels = grid_segments(size, size, grid)
    block = np.zeros((grid * grid, grid * grid))
    for k in range(grid * grid):
        heat = found.project_mask(labels == k)
        block[k] = np.bincount(labels.ravel(), weights=heat.ravel(), minlength=grid * grid)
    return block


def run_method(method: str, model, pair: CorrespondencePair, seed: int) -> np.ndarray:
    """The method's 16 × 16 block for ``pair``."""
    name, _, budget_text = method.partition("@")
    budget = int(budget_text) if budget_text else None
    grid = pair.grid
    if name == "random":
        return np.random.default_rng(seed).random((grid * grid, grid * grid))
    if name in ("factorised", "kernel", "permutation", "ig-sam", "sam"):
        return explain_correspondence(model, pair.query, pair.result, players=grid, method=name, budget=budget,
                                      random_state=seed).block
    if name.startswith("shapiq"):
        game = SecondOrderSearchGame.for_images(model, pair.query, pair.result, players=grid, batch_size=32)
        return _shapiq_block(name, game, budget // 2, seed)
    if name == "sbsm":
        return _sbsm_block(model, pair, budget, seed)
    if name == "lime":
        from lime_search import SecondOrderLimeExplainer

        result = SecondOrderLimeExplainer(players=grid).explain_instance(
            pair.query, pair.result, model, num_samples=budget // 2, batch_size=32, random_state=seed)
        return result.query_result_block
    raise ValueError(f"unknown method {method!r}")


def run(pairs: list[CorrespondencePair], methods: list[str], seed: int) -> list[Record]:
    model = efficientnet_lite0()
    passes = BackbonePasses(model)
    explain_correspondence(model, pairs[0].query, pairs[0].result, method="ig-sam")  # warm up (ONNX export)
    records = []
    started = time.perf_counter()
    for k, pair in enumerate(pairs):
        for method in methods:
            passes.count = 0
            tic = time.perf_counter()
            block = run_method(method, model, pair, seed)
            seconds = time.perf_counter() - tic
            records.append(Record(pair.name, pair.name.split("-")[-1], method,
                                  cell_accuracy(block, pair.true_cells), passes.count, seconds))
        print(f"[{k + 1}/{len(pairs)}] {pair.name} ({time.perf_counter() - started:.0f} s): "
              + ", ".join(f"{r.method} {r.accuracy:.2f}" for r in records[-len(methods):]), file=sys.stderr, flush=True)
    return records


def summary(records: list[Record], methods: list[str], transforms: list[str]) -> str:
    header = ["method", "accuracy"] + transforms + ["forward passes", "seconds"]
    rows = []
    for method in methods:
        mine = [r for r in records if r.method == method]
        by_transform = [np.mean([r.accuracy for r in mine if r.transform == t]) for t in transforms]
        cells = [method, f"{np.mean([r.accuracy for r in mine]):.2f}"] + [f"{a:.2f}" for a in by_transform]
        cells += [f"{np.mean([r.forward_passes for r in mine]):.0f}", f"{np.mean([r.seconds for r in mine]):.1f}"]
        rows.append(cells)
    return markdown_table(header, rows)


def plot(records: list[Record], methods: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, method in enumerate(methods):
        rows = [r for r in records if r.method == method]
        seconds = max(np.mean([r.seconds for r in rows]), 1e-3)
        ax.scatter(seconds, np.mean([r.accuracy for r in rows]), s=30)
        ax.annotate(method, (seconds, np.mean([r.accuracy for r in rows])), fontsize=7,
                    xytext=(4, 10 * (k % 3) - 10), textcoords="offset points")
    ax.axhline(1 / 16, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("seconds per pair (2-core CPU)")
    ax.set_ylabel("mean cell accuracy")
    ax.set_ylim(0, 1)
    ax.set_title("Query→result cell accuracy vs time, EfficientNet-Lite0, 224 px, 4×4 cells")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def read_records(path: Path) -> list[Record]:
    """Records from a CSV this script wrote (to redraw its figure)."""
    with path.open() as handle:
        return [Record(r["pair"], r["transform"], r["method"], float(r["accuracy"]), int(r["forward_passes"]),
                       float(r["seconds"])) for r in csv.DictReader(handle)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", nargs="+", default=list(TEST_PHOTOS), choices=ALL_PHOTOS)
    parser.add_argument("--transforms", nargs="+", default=list(TRANSFORMS), choices=TRANSFORMS)
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS))
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--grid", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--name", default="correspondence", help="stem of the files written")
    parser.add_argument("--redraw", action="store_true", help="rewrite the table and figure from the CSV, run nothing")
    return parser.parse_args(argv)


def write_report(records: list[Record], out: Path, name: str, settings: str) -> str:
    """The table (``name.md``) and the figure (``name.png``) of ``records``."""
    methods = list(dict.fromkeys(r.method for r in records))
    transforms = list(dict.fromkeys(r.transform for r in records))
    photos = list(dict.fromkeys(r.pair.rsplit("-", 1)[0] for r in records))
    pairs = len({r.pair for r in records})
    text = (f"## Correspondence on real photos ({pairs} pairs: {', '.join(photos)} × {', '.join(transforms)}; "
            f"{settings})\n\n" + summary(records, methods, transforms) + "\n")
    (out / f"{name}.md").write_text(text)
    plot(records, methods, out / f"{name}.png")
    return text


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    settings = f"{args.size} px, {args.grid}×{args.grid} cells, seed {args.seed}"
    csv_path = args.out / f"{args.name}.csv"
    if args.redraw:
        text = write_report(read_records(csv_path), args.out, args.name, settings)
        print(text)
        return text
    pairs = [transformed_pair(p, t, args.size, args.grid) for p in args.photos for t in args.transforms]
    records = run(pairs, args.methods, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(Record.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(r) for r in records)
    text = write_report(records, args.out, args.name, settings)
    print(text)
    return text


if __name__ == "__main__":
    main()
