"""Convergence of order-2 Shapley–Taylor estimators at equal distinct forward passes: ours
against shapiq's STII approximators and our memoised permutation estimator, on games with
exact indices.

Families: ``relu`` (zero-bias ReLU nets, 15 players), ``relu-bias`` (random biases),
``sparse30`` (sums of unanimity games, 30 players) from ``game_families``; ``feature-map``
(EfficientNet-Lite0 feature maps, 16 + 16 locations) and ``pixel`` (EfficientNet-Lite0 on a
photo and a transform of it, 16 + 16 grid cells at 224 px) from ``factorised_families``.

A forward pass is one distinct coalition for the generic families, and one distinct *side*
coalition (a masked query or a masked result, embedded once) for the factorised ones: there a
joint coalition costs nothing when both its halves were embedded before, for every method. Our
estimators take their budget in these units (``kernel`` on the generic games, ``factorised`` and
``permutation`` on side-cached factorised games); shapiq counts every evaluation, repeats
included, and the joint ``kernel`` on factorised games spends up to two passes a coalition, so
those run at several nominal budgets and their error is interpolated (log-log) at the target
passes from the passes they really used. Error: relative MSE ``mean((est − exact)²) /
mean(exact²)`` over main effects and pairs, per game, averaged; for the factorised families also
over the query×result block alone.

    python benchmarks/convergence.py [--families ...] [--games 2] [--seeds 2]
        [--passes 500 1000 2000 5000 10000 20000] [--out benchmarks/results]

Runs of some families replace those families' rows in ``convergence.csv`` and keep the others,
so the report always covers every family measured.
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

from axiomatic_search import KernelShapleyTaylor, PermutationShapleyTaylor  # noqa: E402
from axiomatic_search.estimators.cache import BudgetExhausted  # noqa: E402
from axiomatic_search.factorised import FactorisedShapleyTaylor  # noqa: E402
from axiomatic_search.factorised.side_cache import SideCache  # noqa: E402
from benchmarks.common import SHAPIQ_METHODS, CountingGame, markdown_table, shapiq_estimate  # noqa: E402
from benchmarks.factorised_families import FACTORISED_FAMILIES, make_factorised_game  # noqa: E402
from benchmarks.game_families import FAMILIES, BenchmarkGame, make_game  # noqa: E402

ALL_FAMILIES = FAMILIES + FACTORISED_FAMILIES
SHAPIQ = SHAPIQ_METHODS
COMPETITORS = ("permutation",) + SHAPIQ
GENERIC_METHODS = ("kernel", "kernel-paper") + COMPETITORS
FACTORISED_METHODS = ("factorised", "kernel") + COMPETITORS
DEFAULT_PASSES = (500, 1000, 2000, 5000, 10000, 20000)
NOMINAL_MULTIPLIERS = {"shapiq-permutation": (1, 4, 16), "shapiq-svarmiq": (0.5, 1), "shapiq-shapiq": (0.5, 1),
                       "kernel": (1, 2)}
"""Nominal budgets per target number of passes for the methods that do not count passes:
shapiq's permutation sampler repeats coalitions (many nominal units per pass), SVARMIQ and SHAPIQ
draw mostly new ones (on factorised games up to two passes per unit)."""
MAX_NOMINAL = {"shapiq-svarmiq": 20_000, "shapiq-shapiq": 20_000}
"""SVARMIQ costs about 4 ms per budget unit at 30 players: its nominal budgets stop here."""


def ours(family: str) -> str:
    return "factorised" if family in FACTORISED_FAMILIES else "kernel"


def methods_of(family: str) -> tuple[str, ...]:
    return FACTORISED_METHODS if family in FACTORISED_FAMILIES else GENERIC_METHODS


def exact_in_passes(family: str, method: str) -> bool:
    """Whether the method's budget is already in forward passes (run once per target)."""
    if family in FACTORISED_FAMILIES:
        return method in ("factorised", "permutation")
    return method in ("kernel", "kernel-paper", "permutation")


@dataclass(frozen=True)
class Record:
    family: str
    game: int
    seed: int
    method: str
    nominal: int
    passes: int
    rel_mse: float
    rel_block: float
    seconds: float


def run_method(method: str, bench: BenchmarkGame, budget: int, seed: int):
    """``(main, pairs (n, n), forward passes)`` or None where the budget does not suit the method."""
    factorised = bench.family in FACTORISED_FAMILIES
    game = bench.game
    try:
        if method == "factorised":
            result = FactorisedShapleyTaylor().estimate(game, budget, random_state=seed)
            return result.main, result.pairs, result.n_evaluations
        if method == "permutation" and factorised:
            sides = SideCache(game, budget)
            result = PermutationShapleyTaylor().estimate(sides, 2**62, random_state=seed)
            return result.main, result.pairs, sides.n_forward_passes
        counted = CountingGame(game, game.n_query if factorised else None)
        if method in SHAPIQ:
            main, pairs = shapiq_estimate(method, counted, budget, seed)
            return main, pairs, counted.passes
        if method == "permutation" and budget > 2**game.n_players:
            return None  # it stops only on an exhausted budget, which can then never happen
        estimator = {"kernel": KernelShapleyTaylor(), "kernel-paper": KernelShapleyTaylor(1.0, 0.0),
                     "permutation": PermutationShapleyTaylor()}[method]
        result = estimator.estimate(counted, budget // 2 if factorised else budget, random_state=seed)
        return result.main, result.pairs, counted.passes
    except (ValueError, BudgetExhausted) as error:  # a budget below one permutation or the constraints
        print(f"skipped {method} at budget {budget}: {error}", file=sys.stderr)
        return None


def run_seed(family: str, index: int, budget: int, seed: int) -> int:
    return int(np.random.SeedSequence([seed, ALL_FAMILIES.index(family), index, budget]).generate_state(1)[0])


def score(main: np.ndarray, pairs: np.ndarray, exact) -> tuple[float, float]:
    """Relative MSE over all indices, and over the query×result block (NaN without one)."""
    n = len(main)
    rows, cols = np.triu_indices(n, 1)
    truth = np.concatenate([exact.main, exact.pairs[rows, cols]])
    error = np.concatenate([main, pairs[rows, cols]]) - truth
    rel = float(np.mean(error**2) / np.mean(truth**2))
    if exact.n_query is None:
        return rel, float("nan")
    q = exact.n_query
    block = pairs[:q, q:] - exact.pairs[:q, q:]
    return rel, float(np.mean(block**2) / np.mean(exact.pairs[:q, q:] ** 2))


def nominal_budgets(family: str, method: str, passes: tuple[int, ...]) -> list[int]:
    if exact_in_passes(family, method):
        return list(passes)
    cap = MAX_NOMINAL.get(method, 10**7)
    return sorted({min(int(p * k), cap) for p in passes for k in NOMINAL_MULTIPLIERS.get(method, (1,))})


def run_game(family: str, index: int, seeds: int, passes: tuple[int, ...], methods: tuple[str, ...]) -> list[Record]:
    if any(m in SHAPIQ for m in methods):
        import shapiq.approximator  # noqa: F401  (imported here so no estimate's time includes it)
    bench = make_factorised_game(family, index) if family in FACTORISED_FAMILIES else make_game(family, index, 1)
    records = []
    for seed in range(seeds):
        for method in methods:
            for budget in nominal_budgets(family, method, passes):
                start = time.perf_counter()
                found = run_method(method, bench, budget, run_seed(family, index, budget, seed))
                if found is None:
                    continue
                rel, block = score(found[0], found[1], bench.exact)
                records.append(Record(family, index, seed, method, budget, found[2], rel, block,
                                      time.perf_counter() - start))
    return records


def curve(records: list[Record], family: str, method: str, field: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean passes and mean ``field`` per nominal budget, sorted by passes."""
    by_budget: dict[int, list[Record]] = {}
    for r in records:
        if r.family == family and r.method == method:
            by_budget.setdefault(r.nominal, []).append(r)
    points = sorted((np.mean([r.passes for r in rs]), np.mean([getattr(r, field) for r in rs])) for rs in by_budget.values())
    return np.array([p for p, _ in points]), np.array([e for _, e in points])


def at_passes(records: list[Record], family: str, method: str, field: str, target: float) -> float:
    """The method's error at ``target`` passes, interpolated log-log (NaN outside its range)."""
    passes, errors = curve(records, family, method, field)
    keep = (passes > 0) & (errors > 0)
    passes, errors = passes[keep], errors[keep]
    if len(passes) == 0 or target < passes[0] * 0.98 or target > passes[-1] * 1.02:
        return float("nan")
    if len(passes) == 1:
        return float(errors[0])
    return float(np.exp(np.interp(np.log(target), np.log(passes), np.log(errors))))


def fmt(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{value:.3g}"


def report(records: list[Record], families: list[str], passes: tuple[int, ...], settings: str) -> str:
    sections = [f"## Shapley–Taylor convergence at equal forward passes ({settings})"]
    verdict_rows, worst = [], 0.0
    for family in families:
        fields = ("rel_mse", "rel_block") if family in FACTORISED_FAMILIES else ("rel_mse",)
        for field in fields:
            what = "all indices" if field == "rel_mse" else "query×result block"
            rows = [[m] + [fmt(at_passes(records, family, m, field, p)) for p in passes] for m in methods_of(family)]
            sections.append(f"### {family}: mean relative MSE ({what}) vs forward passes\n\n"
                            + markdown_table(["method"] + [str(p) for p in passes], rows))
        for p in passes:
            mine = at_passes(records, family, ours(family), "rel_mse", p)
            rivals = {m: at_passes(records, family, m, "rel_mse", p) for m in COMPETITORS}
            rivals = {m: e for m, e in rivals.items() if np.isfinite(e)}
            if not rivals or not np.isfinite(mine):
                continue
            best = min(rivals, key=rivals.get)
            ratio = mine / rivals[best]
            if p >= 500:
                worst = max(worst, ratio)
            verdict_rows.append([family, str(p), ours(family), fmt(mine), best, fmt(rivals[best]), f"{ratio:.2f}"])
    sections.append("### Ours against the best competitor (all indices)\n\n"
                    + markdown_table(["family", "passes", "ours", "MSE", "best competitor", "its MSE", "ratio"],
                                     verdict_rows)
                    + f"\n\nWorst ratio at ≥ 500 forward passes: {worst:.2f} (≤ 1 means ours is at least as accurate).")
    return "\n\n".join(sections) + "\n"


def plot(records: list[Record], families: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(families), figsize=(4.5 * len(families), 4), squeeze=False)
    for ax, family in zip(axes[0], families):
        for method in methods_of(family):
            passes, errors = curve(records, family, method, "rel_mse")
            if len(passes):
                ax.loglog(passes, errors, marker="o", markersize=3, label=method)
        ax.set_title(family)
        ax.set_xlabel("distinct forward passes")
        ax.set_ylabel("mean relative MSE")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", nargs="+", default=list(ALL_FAMILIES), choices=ALL_FAMILIES)
    parser.add_argument("--games", type=int, default=2, help="games per family")
    parser.add_argument("--seeds", type=int, default=2, help="estimator seeds per game")
    parser.add_argument("--passes", type=int, nargs="+", default=list(DEFAULT_PASSES))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    return parser.parse_args(argv)


def load_records(path: Path, families: list[str]) -> list[Record]:
    """The records of ``path`` (a previous run's CSV) of families other than ``families``."""
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    if reader.fieldnames != list(Record.__dataclass_fields__):
        return []  # an older format: nothing to keep
    types = {name: field.type for name, field in Record.__dataclass_fields__.items()}
    cast = {"str": str, "int": int, "float": float}
    return [Record(**{k: cast[types[k]](v) for k, v in row.items()}) for row in rows if row["family"] not in families]


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    passes = tuple(sorted(args.passes))
    records = load_records(args.out / "convergence.csv", args.families)
    started = time.perf_counter()
    for family in args.families:
        games = min(args.games, 2) if family == "pixel" else args.games  # a pixel game is 131,072 passes
        for index in range(games):
            records += run_game(family, index, args.seeds, passes, methods_of(family))
            print(f"{family} game {index} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "convergence.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(Record.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(r) for r in records)
    families = [f for f in ALL_FAMILIES if any(r.family == f for r in records)]
    settings = f"games={args.games} (pixel: ≤ 2), seeds={args.seeds}, passes={list(passes)}"
    text = report(records, families, passes, settings)
    (args.out / "convergence.md").write_text(text)
    plot(records, families, args.out / "convergence.png")
    print(text)
    return text


if __name__ == "__main__":
    main()
