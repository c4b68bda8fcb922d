"""Convergence of order-2 Shapley–Taylor estimators: ours against shapiq's, on known games.

For every family, game, seed, budget and method the script estimates all order-≤2 indices
(main effects and pairs) and scores them against the exact ones:
``MSE`` and ``relative MSE = MSE / mean(exact²)`` (per game). It reports the mean relative
MSE per (family, method, budget), the budget each method needs to reach mean relative MSE
0.1 / 0.03 / 0.01 (log-log interpolation between measured budgets), the ratio
shapiq-permutation / kernel of those budgets, and the mean wall time per estimate.

Budgets: the x-axis is the nominal budget handed to each method. Ours spend at most that many
distinct coalitions; shapiq's count every evaluation, repeats included. Every game is wrapped
in a counter, and the CSV records the distinct coalitions each run really evaluated
(``n_distinct``); the thresholds table also gives the ratio in mean distinct evaluations.

Cost: shapiq's SVARMIQ is slow (about 0.4 ms per budget unit at 15 players and 4 ms at 30, in
Python loops), so it dominates. On the 2-core development machine one (game, seed) took about
21 s for each 15-player family and 180 s for sparse30 at the default budgets, so the defaults
``--games 5 --seeds 2`` take about 37 minutes (``--games 10 --seeds 3`` would take about
110). ``--jobs 2`` runs games in parallel processes, about halving the wall time on 2 cores,
but then every timing is taken with both cores busy.

Usage::

    python benchmarks/convergence.py [--games 5] [--seeds 2]
        [--budgets 500 1000 2000 5000 10000 20000] [--families relu relu-bias sparse30]
        [--methods kernel kernel-paper permutation shapiq-permutation shapiq-svarmiq shapiq-shapiq]
        [--out benchmarks/results] [--jobs 1]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from axiomatic_search import KernelShapleyTaylor, PermutationShapleyTaylor  # noqa: E402
from benchmarks.game_families import FAMILIES, indices_vector, make_game  # noqa: E402

OURS = ("kernel", "kernel-paper", "permutation")
SHAPIQ = ("shapiq-permutation", "shapiq-svarmiq", "shapiq-shapiq")
METHODS = OURS + SHAPIQ
THRESHOLDS = (0.1, 0.03, 0.01)
TIMING_BUDGET = 10_000
DEFAULT_BUDGETS = (500, 1000, 2000, 5000, 10000, 20000)

Estimate = tuple[np.ndarray, np.ndarray]
"""Main effects ``(n,)`` and pair values in ``triu_indices(n, 1)`` order."""


@dataclass(frozen=True)
class Record:
    """One estimate's score: a row of the CSV."""

    family: str
    game: int
    seed: int
    method: str
    budget: int
    n_distinct: int
    mse: float
    rel_mse: float
    seconds: float


# ---------------------------------------------------------------------------------------------
# Running one method


class CountingGame:
    """Wraps a game: accepts 1-d or 2-d coalitions (shapiq sends both) and remembers every
    coalition it evaluated, packed, so the distinct ones can be counted afterwards."""

    def __init__(self, game: Callable[[np.ndarray], np.ndarray], n_players: int) -> None:
        self.game = game
        self.n_players = n_players
        self._packed: list[np.ndarray] = []

    def __call__(self, coalitions: np.ndarray) -> np.ndarray:
        coalitions = np.atleast_2d(np.asarray(coalitions, dtype=bool))
        self._packed.append(np.packbits(coalitions, axis=1))
        return self.game(coalitions)

    @property
    def n_distinct(self) -> int:
        if not self._packed:
            return 0
        return len(np.unique(np.concatenate(self._packed), axis=0))


def _run_ours(method: str, game: CountingGame, budget: int, seed: int) -> Estimate:
    estimator = {
        "kernel": KernelShapleyTaylor(),
        # ablation: the paper's Kernel-Direct (allocation by kernel mass, no shrinkage)
        "kernel-paper": KernelShapleyTaylor(allocation_power=1.0, shrinkage=0.0),
        "permutation": PermutationShapleyTaylor(),
    }[method]
    result = estimator.estimate(game, budget, random_state=seed)
    return result.main, result.pair_values


def _shapiq_approximator(method: str, n_players: int, seed: int):
    from shapiq.approximator import SHAPIQ, SVARMIQ, PermutationSamplingSTII

    if method == "shapiq-permutation":
        return PermutationSamplingSTII(n=n_players, max_order=2, random_state=seed)
    cls = SVARMIQ if method == "shapiq-svarmiq" else SHAPIQ
    return cls(n=n_players, max_order=2, index="STII", random_state=seed)


def _run_shapiq(method: str, game: CountingGame, budget: int, seed: int) -> Estimate:
    n = game.n_players
    approximator = _shapiq_approximator(method, n, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "budget too small" warnings at low budgets
        values = approximator.approximate(budget, game)
    main = np.array([values[(i,)] for i in range(n)])
    pairs = np.array([values[(i, j)] for i, j in zip(*np.triu_indices(n, 1))])
    return main, pairs


def run_method(method: str, game: CountingGame, budget: int, seed: int) -> Estimate:
    """One estimate of ``game``'s indices by ``method``."""
    if method in OURS:
        return _run_ours(method, game, budget, seed)
    if method in SHAPIQ:
        return _run_shapiq(method, game, budget, seed)
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")


def try_method(method: str, game: CountingGame, budget: int, seed: int) -> Estimate | None:
    """``run_method``, or None (with a note on stderr) where the budget does not suit it."""
    if method == "permutation" and budget > 2**game.n_players:
        # it stops only on an exhausted budget, which can then never happen
        print(f"skipped {method} at budget {budget} > 2**{game.n_players}", file=sys.stderr)
        return None
    try:
        return run_method(method, game, budget, seed)
    except ValueError as error:  # e.g. a budget below one permutation or the constraints
        print(f"skipped {method} at budget {budget}: {error}", file=sys.stderr)
        return None


def run_seed(family: str, index: int, budget: int, seed: int) -> int:
    """An estimator seed that differs across games, seeds and budgets."""
    sequence = np.random.SeedSequence([seed, FAMILIES.index(family), index, budget])
    return int(sequence.generate_state(1)[0])


# ---------------------------------------------------------------------------------------------
# One game: every seed, budget and method


@dataclass(frozen=True)
class GameTask:
    family: str
    index: int
    game_seed: int
    seeds: int
    budgets: tuple[int, ...]
    methods: tuple[str, ...]


def score(estimate: Estimate, exact: np.ndarray) -> tuple[float, float]:
    """``(MSE, MSE / mean(exact²))`` over all order-≤2 indices."""
    error = np.mean((np.concatenate(estimate) - exact) ** 2)
    return float(error), float(error / np.mean(exact**2))


def run_game(task: GameTask) -> list[Record]:
    """Scores of every seed, budget and method on one game."""
    if set(task.methods) & set(SHAPIQ):
        import shapiq.approximator  # noqa: F401  (imported here so no estimate's time includes it)
    bench = make_game(task.family, task.index, task.game_seed)
    exact = indices_vector(bench.exact)
    records = []
    for seed in range(task.seeds):
        for budget in task.budgets:
            for method in task.methods:
                counted = CountingGame(bench.game, bench.n_players)
                start = time.perf_counter()
                estimate = try_method(method, counted, budget, run_seed(task.family, task.index, budget, seed))
                seconds = time.perf_counter() - start
                if estimate is None:
                    mse, rel_mse, seconds = np.nan, np.nan, np.nan
                else:
                    mse, rel_mse = score(estimate, exact)
                records.append(
                    Record(task.family, task.index, seed, method, budget, counted.n_distinct, mse, rel_mse, seconds)
                )
    return records


def run_all(tasks: list[GameTask], jobs: int) -> list[Record]:
    """Run the tasks (in ``jobs`` processes when above 1), reporting progress on stderr."""
    records: list[Record] = []
    started = time.perf_counter()
    results: Iterable[list[Record]]
    if jobs > 1:
        pool = ProcessPoolExecutor(max_workers=jobs)
        results = pool.map(run_game, tasks)
    else:
        pool, results = None, map(run_game, tasks)
    for done, game_records in enumerate(results, start=1):
        records.extend(game_records)
        elapsed = time.perf_counter() - started
        print(f"[{done}/{len(tasks)}] {tasks[done - 1].family} game {tasks[done - 1].index} ({elapsed:.0f} s)",
              file=sys.stderr, flush=True)
    if pool is not None:
        pool.shutdown()
    return records


# ---------------------------------------------------------------------------------------------
# Aggregation


def mean_table(records: list[Record], field: str) -> dict[tuple[str, str, int], float]:
    """Mean of ``field`` per (family, method, budget)."""
    groups: dict[tuple[str, str, int], list[float]] = {}
    for record in records:
        groups.setdefault((record.family, record.method, record.budget), []).append(getattr(record, field))
    return {key: float(np.mean(values)) for key, values in groups.items()}


@dataclass(frozen=True)
class Reach:
    """Budget at which a curve reaches a threshold: ``kind`` is ``"at"`` (interpolated),
    ``"below"`` (already at the smallest budget), ``"above"`` (not by the largest) or
    ``"none"`` (no measured point)."""

    budget: float
    kind: str

    def __str__(self) -> str:
        if self.kind == "none":
            return "n/a"
        if self.kind == "below":
            return f"≤ {self.budget:.0f}"
        if self.kind == "above":
            return f"> {self.budget:.0f}"
        return f"{self.budget:.0f}"


def budget_to_reach(budgets: np.ndarray, errors: np.ndarray, threshold: float) -> Reach:
    """First crossing of ``threshold`` by the curve ``errors(budgets)``, interpolated log-log.
    Points that were not measured (NaN) are left out."""
    budgets, errors = np.asarray(budgets, float), np.asarray(errors, float)
    measured = np.isfinite(budgets) & np.isfinite(errors)
    if not measured.any():
        return Reach(np.nan, "none")
    order = np.argsort(budgets[measured])
    budgets, errors = budgets[measured][order], errors[measured][order]
    hits = np.flatnonzero(errors <= threshold)
    if not hits.size:
        return Reach(budgets[-1], "above")
    k = int(hits[0])
    if k == 0:
        return Reach(budgets[0], "below")
    x0, x1 = np.log(budgets[k - 1 : k + 1])
    y0, y1 = np.log(errors[k - 1 : k + 1])
    x = x0 + (np.log(threshold) - y0) * (x1 - x0) / (y1 - y0)
    return Reach(float(np.exp(x)), "at")


def reach_ratio(numerator: Reach, denominator: Reach) -> str:
    """``numerator / denominator`` as text, with ``>``/``≥``/``≤`` when either is a bound."""
    if "none" in (numerator.kind, denominator.kind):
        return "n/a"
    value = numerator.budget / denominator.budget
    lower = numerator.kind == "above" or denominator.kind == "below"
    upper = numerator.kind == "below" or denominator.kind == "above"
    if lower and upper:
        return "n/a"
    if lower:
        return f"> {value:.2f}" if numerator.kind == "above" else f"≥ {value:.2f}"
    if upper:
        return f"< {value:.2f}" if denominator.kind == "above" else f"≤ {value:.2f}"
    return f"{value:.2f}"


def curve(table: dict[tuple[str, str, int], float], family: str, method: str, budgets: list[int]) -> np.ndarray:
    return np.array([table[(family, method, b)] for b in budgets])


# ---------------------------------------------------------------------------------------------
# Reports


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def mse_tables(rel: dict, families: list[str], methods: list[str], budgets: list[int]) -> list[str]:
    sections = []
    for family in families:
        rows = [[m] + [f"{rel[(family, m, b)]:.3g}" for b in budgets] for m in methods]
        table = markdown_table(["method"] + [str(b) for b in budgets], rows)
        sections.append(f"### {family}: mean relative MSE vs nominal budget\n\n{table}")
    return sections


def threshold_tables(
    rel: dict, distinct: dict, families: list[str], methods: list[str], budgets: list[int]
) -> list[str]:
    header = ["family", "method"] + [f"budget @ {t:g}" for t in THRESHOLDS]
    rows = []
    for family in families:
        for method in methods:
            errors = curve(rel, family, method, budgets)
            rows.append([family, method] + [str(budget_to_reach(np.array(budgets), errors, t)) for t in THRESHOLDS])
    sections = [f"### Nominal budget to reach mean relative MSE\n\n{markdown_table(header, rows)}"]
    if {"kernel", "shapiq-permutation"} <= set(methods):
        sections.append(ratio_table(rel, distinct, families, budgets))
    return sections


def ratio_table(rel: dict, distinct: dict, families: list[str], budgets: list[int]) -> str:
    """shapiq-permutation / kernel budget ratios, in nominal budget and in distinct evaluations."""
    header = ["family", "x-axis"] + [f"ratio @ {t:g}" for t in THRESHOLDS]
    rows = []
    for family in families:
        for axis in ("nominal", "distinct"):
            cells = []
            for t in THRESHOLDS:
                reaches = []
                for method in ("shapiq-permutation", "kernel"):
                    xs = np.array(budgets, float) if axis == "nominal" else curve(distinct, family, method, budgets)
                    reaches.append(budget_to_reach(xs, curve(rel, family, method, budgets), t))
                cells.append(reach_ratio(*reaches))
            rows.append([family, axis] + cells)
    return f"### Budget ratio shapiq-permutation / kernel\n\n{markdown_table(header, rows)}"


def timing_table(seconds: dict, families: list[str], methods: list[str], budgets: list[int]) -> str:
    budget = min(budgets, key=lambda b: abs(np.log(b / TIMING_BUDGET)))
    rows = [[m] + [f"{seconds[(f, m, budget)]:.3f}" for f in families] for m in methods]
    return f"### Mean wall time per estimate (s) at budget {budget}\n\n{markdown_table(['method'] + families, rows)}"


def write_csv(records: list[Record], path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(Record.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(r) for r in records)


def plot(rel: dict, families: list[str], methods: list[str], budgets: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(families), figsize=(4.5 * len(families), 4), squeeze=False)
    for ax, family in zip(axes[0], families):
        for method in methods:
            errors = curve(rel, family, method, budgets)
            positive = errors > 0
            ax.loglog(np.array(budgets)[positive], errors[positive], marker="o", label=method)
        for t in THRESHOLDS:
            ax.axhline(t, color="grey", linestyle=":", linewidth=0.8)
        ax.set_title(family)
        ax.set_xlabel("budget (nominal)")
        ax.set_ylabel("mean relative MSE")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(records: list[Record], args: argparse.Namespace) -> str:
    rel = mean_table(records, "rel_mse")
    distinct = mean_table(records, "n_distinct")
    seconds = mean_table(records, "seconds")
    families, methods, budgets = args.families, args.methods, sorted(args.budgets)
    settings = (
        f"games={args.games}, seeds={args.seeds}, game seed={args.game_seed}, "
        f"budgets={budgets}, methods={methods}"
    )
    sections = [f"## Shapley–Taylor convergence ({settings})"]
    sections += mse_tables(rel, families, methods, budgets)
    sections += threshold_tables(rel, distinct, families, methods, budgets)
    sections.append(timing_table(seconds, families, methods, budgets))
    return "\n\n".join(sections) + "\n"


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--games", type=int, default=5, help="games per family")
    parser.add_argument("--seeds", type=int, default=2, help="estimator seeds per game and budget")
    parser.add_argument("--budgets", type=int, nargs="+", default=list(DEFAULT_BUDGETS))
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--game-seed", type=int, default=0, help="seed of the game generators")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--jobs", type=int, default=1, help="parallel processes (one game each)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    tasks = [
        GameTask(family, index, args.game_seed, args.seeds, tuple(args.budgets), tuple(args.methods))
        for family in args.families
        for index in range(args.games)
    ]
    records = run_all(tasks, args.jobs)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(records, args.out / "convergence.csv")
    text = report(records, args)
    (args.out / "convergence.md").write_text(text)
    plot(mean_table(records, "rel_mse"), args.families, args.methods, sorted(args.budgets), args.out / "convergence.png")
    print(text)
    print(f"wrote {args.out / 'convergence.md'}, {args.out / 'convergence.csv'}, {args.out / 'convergence.png'}")


if __name__ == "__main__":
    main()
