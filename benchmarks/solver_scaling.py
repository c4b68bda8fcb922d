"""Cost of the kernel Shapley–Taylor estimator itself as the pairs grow.

The game is a cheap random function (``tanh`` of a random linear map), so the time is the
estimator's: sampling the design, the conjugate-gradient solve and its GEMMs. Peak memory is
Python-heap memory seen by ``tracemalloc`` (numpy buffers included).

    python benchmarks/solver_scaling.py [--players 15 30 60 98] [--budgets 10000 20000 40000]

writes its table to ``benchmarks/results/solver_scaling.md``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import numpy as np

from axiomatic_search import FunctionGame, KernelShapleyTaylor


def random_game(n_players: int, seed: int = 0) -> FunctionGame:
    rng = np.random.default_rng(seed)
    weights, readout = rng.normal(size=(n_players, n_players)) / n_players, rng.normal(size=n_players)
    return FunctionGame(lambda c: np.tanh(c @ weights) @ readout, n_players)


def measure(n_players: int, budget: int, repeats: int = 3) -> tuple[float, float]:
    """Median seconds and peak MB of one estimate."""
    game = random_game(n_players)
    KernelShapleyTaylor().estimate(game, min(budget, 200), random_state=0)  # warm up BLAS
    seconds = []
    for repeat in range(repeats):
        tracemalloc.start()
        started = time.perf_counter()
        KernelShapleyTaylor().estimate(game, budget, random_state=repeat)
        seconds.append(time.perf_counter() - started)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return float(np.median(seconds)), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, nargs="+", default=[15, 30, 60, 98])
    parser.add_argument("--budgets", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    lines = ["| players | pairs | budget | seconds | peak MB |", "|---|---|---|---|---|"]
    print("\n".join(lines))
    for n in args.players:
        for budget in args.budgets:
            budget = min(budget, 2**n)
            seconds, peak = measure(n, budget)
            lines.append(f"| {n} | {n * (n - 1) // 2} | {budget} | {seconds:.3f} | {peak:.0f} |")
            print(lines[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "solver_scaling.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
