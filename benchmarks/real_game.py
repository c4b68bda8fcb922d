"""Estimators on a real search game: EfficientNet-Lite0 on the offline sample pair.

Every coalition of a 12-player game is evaluated once (4,096 forward passes, cached in
``--out``), so exact indices are known and each estimator then runs on a lookup table:

- first order: 12 grid cells (3 × 4) of the result; ours (``KernelShap``) against shap's
  ``KernelExplainer`` and ``PermutationExplainer`` on the same game;
- second order: 2 × 3 cells of the query and of the result; ours (``KernelShapleyTaylor``,
  memoised permutation) against shapiq's STII approximators.

Error is the relative MSE against exact values, averaged over seeds; the budget is what each
method was allowed (distinct evaluations for ours; shap and shapiq count repeats).

    python benchmarks/real_game.py [--size 96] [--seeds 5] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import shap

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from axiomatic_search import (  # noqa: E402
    FunctionGame,
    KernelShap,
    KernelShapleyTaylor,
    PermutationShapleyTaylor,
    exact_shapley_taylor,
    exact_shapley_values,
)
from axiomatic_search.data import sample_pair  # noqa: E402
from axiomatic_search.exact import game_table  # noqa: E402
from axiomatic_search.images import grid_segments  # noqa: E402
from axiomatic_search.search_games import FirstOrderSearchGame, SecondOrderSearchGame  # noqa: E402
from axiomatic_search.zoo import efficientnet_lite0  # noqa: E402
from shap_search.explainers import isolated_global_rng  # noqa: E402

BUDGETS = (100, 200, 500, 1000, 2000)


def tabulated(path: Path, build) -> FunctionGame:
    """The game as a lookup table over all coalitions, computed once and cached at ``path``."""
    if path.exists():
        table = np.load(path)
    else:
        game = build()
        table = game_table(game, game.n_players)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, table)
    n_players = int(np.log2(len(table)))
    bits = 1 << np.arange(n_players)
    return FunctionGame(lambda c: table[c.astype(np.int64) @ bits], n_players)


def relative_mse(estimate: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean((estimate - exact) ** 2) / np.mean(exact**2))


def first_order_methods(game: FunctionGame):
    n = game.n_players
    ones, zeros = np.ones((1, n)), np.zeros((1, n))

    def shap_kernel(budget: int, seed: int) -> np.ndarray:
        with isolated_global_rng(seed):
            return shap.KernelExplainer(game, zeros).shap_values(ones, nsamples=budget, silent=True)[0]

    def shap_permutation(budget: int, seed: int) -> np.ndarray:
        with isolated_global_rng(seed) as global_seed:
            explainer = shap.explainers.Permutation(game, shap.maskers.Independent(zeros), seed=global_seed)
            return explainer(ones, max_evals=budget, silent=True).values[0]

    return {
        "ours: KernelShap": lambda b, s: KernelShap().estimate(game, b, random_state=s).values,
        "shap: KernelExplainer": shap_kernel,
        "shap: PermutationExplainer": shap_permutation,
    }


def second_order_methods(game: FunctionGame):
    from shapiq.approximator import SHAPIQ, SVARMIQ, PermutationSamplingSTII

    n = game.n_players
    rows, cols = np.triu_indices(n, 1)

    def ours(estimator):
        return lambda b, s: np.concatenate([(r := estimator.estimate(game, b, random_state=s)).main, r.pair_values])

    def shapiq_method(make):
        def run(budget: int, seed: int) -> np.ndarray:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values = make(seed).approximate(budget, lambda c: game(np.atleast_2d(c)))
            return np.concatenate([[values[(i,)] for i in range(n)], [values[(i, j)] for i, j in zip(rows, cols)]])
        return run

    return {
        "ours: KernelShapleyTaylor": ours(KernelShapleyTaylor()),
        "ours: PermutationShapleyTaylor": ours(PermutationShapleyTaylor()),
        "shapiq: PermutationSamplingSTII": shapiq_method(lambda s: PermutationSamplingSTII(n=n, max_order=2, random_state=s)),
        "shapiq: SVARMIQ": shapiq_method(lambda s: SVARMIQ(n=n, max_order=2, index="STII", random_state=s)),
        "shapiq: SHAPIQ": shapiq_method(lambda s: SHAPIQ(n=n, max_order=2, index="STII", random_state=s)),
    }


def table(title: str, methods: dict, exact: np.ndarray, seeds: int) -> str:
    lines = [f"### {title}", "", "| method | " + " | ".join(map(str, BUDGETS)) + " |",
             "|---" * (len(BUDGETS) + 1) + "|"]
    for name, run in methods.items():
        cells = []
        for budget in BUDGETS:
            try:
                cells.append(f"{np.mean([relative_mse(run(budget, s), exact) for s in range(seeds)]):.3g}")
            except ValueError:  # budget too small for the method
                cells.append("—")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=96, help="image side in pixels")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    model = efficientnet_lite0()
    query, result, _ = sample_pair(args.size)
    first = tabulated(args.out / f"real_first_order_{args.size}.npy", lambda: FirstOrderSearchGame.for_images(
        model, query, result, players=grid_segments(args.size, args.size, (3, 4))))
    second = tabulated(args.out / f"real_second_order_{args.size}.npy", lambda: SecondOrderSearchGame.for_images(
        model, query, result, players=grid_segments(args.size, args.size, (2, 3))))
    exact_first = exact_shapley_values(first).values
    exact_second = exact_shapley_taylor(second)
    report = "\n\n".join([
        f"Relative MSE against exact, mean of {args.seeds} seeds; EfficientNet-Lite0, sample pair at {args.size} px.",
        table("First order, 12 result cells", first_order_methods(first), exact_first, args.seeds),
        table("Second order, 6 query + 6 result cells", second_order_methods(second),
              np.concatenate([exact_second.main, exact_second.pair_values]), args.seeds),
    ])
    print(report)
    (args.out / "real_game.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
