"""``axiomatic-search explain QUERY RESULT``: why two images are similar, and where each part of
the query lands in the result.

Writes ``explanation.png`` to ``--out``: the two images, the first-order heatmap of each
(Kernel SHAP over SLIC superpixels: which parts make the pair similar) and, for the query's most
interacting grid cells, where each lands in the result (``--method``, ``auto`` by default: the
cheapest faithful method for the model). A counterfactual ``--background`` image asks "why this
result rather than that one".
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .._checks import budget_named
from ..correspondence import DEFAULT_BUDGET, METHODS, explain_correspondence
from ..exact import MAX_EXACT_PLAYERS
from ..explain import explain_first_order
from ..factorised.design import constraint_budget
from ..figures import plot_explanation
from ..report import pair_section, write_report
from ..runtime import default_batch_size
from ..search_games import FirstOrderSearchGame
from .inputs import InputError, check_device, check_positive, read_image

MODELS = ("efficientnet_lite0",)
AUTO_METHODS = {"efficientnet_lite0": "ig-sam"}
"""What ``--method auto`` picks for each model (a grey box: the IG-SAM closed form)."""
NAMED_BACKGROUNDS = ("blur", "mean", "black")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="the query image file (any format PIL reads)")
    parser.add_argument("result", help="the result image file")
    add_explanation_options(parser)


def add_explanation_options(parser: argparse.ArgumentParser) -> None:
    """The options every explaining command shares."""
    parser.add_argument("--method", default="auto", choices=METHODS, help="how the correspondence is computed")
    parser.add_argument("--model", default="efficientnet_lite0", choices=MODELS,
                        help="similarity model (offline, ImageNet weights)")
    parser.add_argument("--players", type=int, default=4, help="grid cells per side of each image (correspondence)")
    parser.add_argument("--background", default="blur",
                        help=f"what hidden parts become: {', '.join(NAMED_BACKGROUNDS)}, or a counterfactual image file")
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                        help="forward passes of the sampling methods (correspondence)")
    parser.add_argument("--first-budget", type=int, default=500, help="evaluations per first-order heatmap")
    parser.add_argument("--segments", type=int, default=50, help="SLIC superpixels (first order)")
    parser.add_argument("--size", type=int, default=224, help="images are resized to size × size pixels")
    parser.add_argument("--device", default="cpu", help="torch device for the model")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the estimators")
    parser.add_argument("--out", type=Path, default=Path("outputs"), help="folder for the figures")
    parser.add_argument("--quiet", action="store_true", help="no progress bars (they only show on a terminal)")


def check_options(args: argparse.Namespace) -> tuple[object, list[str]]:
    """The shared options checked, before any model: the background (a name or a loaded
    counterfactual image) and notes; ``InputError`` naming the argument otherwise."""
    check_positive(args.size, "--size", 16)
    check_positive(args.players, "--players")
    check_positive(args.segments, "--segments")
    check_positive(args.first_budget, "--first-budget", 3)
    check_device(args.device)
    if args.players > args.size:
        raise InputError(f"--players {args.players} is more grid cells a side than --size {args.size} has pixels")
    method = AUTO_METHODS[args.model] if args.method == "auto" else args.method
    n_players = 2 * args.players**2
    if method == "exact" and n_players > MAX_EXACT_PLAYERS:
        raise InputError(f"--method exact enumerates 2^{n_players} coalitions for --players {args.players} "
                         f"({n_players} players); it stops at {MAX_EXACT_PLAYERS} players: use --players 3 or less")
    needed = {"factorised": constraint_budget(args.players**2, args.players**2),
              "kernel": 2 * (n_players + 2), "permutation": 2 * (n_players + 2)}.get(method, 0)
    if args.budget < needed:
        raise InputError(f"--budget {args.budget} is too small for --method {method} with "
                         f"{args.players}×{args.players} players a side: it needs at least {needed} forward passes")
    if args.background in NAMED_BACKGROUNDS:
        return args.background, []
    return read_image(args.background, args.size, "--background")


def load_model(args: argparse.Namespace):
    from ..zoo import efficientnet_lite0  # after the checks: loading the model takes seconds

    return efficientnet_lite0(device=args.device)


def explain_pair(model, query: np.ndarray, result: np.ndarray, background, args: argparse.Namespace,
                 figure: Path, heading: str = "query → result") -> tuple[str, int, dict]:
    """First order on both images, the correspondence, the figure: ``(summary, forward passes,
    the report's section)``."""
    progress = False if args.quiet else None
    with budget_named("--first-budget"):
        heatmaps = [explain_first_order(
            FirstOrderSearchGame.for_images(model, query, result, explain=side, background=background,
                                            n_segments=args.segments, batch_size=default_batch_size(model.device)),
            args.first_budget, random_state=args.seed, progress=progress) for side in ("query", "result")]
    found = explain_correspondence(model, query, result, players=args.players, method=args.method,
                                   budget=args.budget, background=background, random_state=args.seed,
                                   progress=progress)
    plt.close(plot_explanation(query, result, heatmaps[1], found, path=figure, titles=[found.method],
                               query_first_order=heatmaps[0]))
    summary = (f"similarity {heatmaps[1].full_value:.4f} (against the background: {heatmaps[1].base_value:.4f})\n"
               f"correspondence ({found.method}): query cell → best result cell: "
               + ", ".join(f"{q}→{r}" for q, r in enumerate(found.best_match)))
    section = pair_section(heading, query, result, heatmaps[0], heatmaps[1], found)
    return summary, sum(h.n_evaluations for h in heatmaps) + found.n_forward_passes, section


def settings_line(args: argparse.Namespace) -> str:
    return (f"model {args.model}, method {args.method}, {args.players}×{args.players} cells a side, "
            f"background {args.background}, budget {args.budget} forward passes, first order "
            f"{args.first_budget} evaluations over {args.segments} superpixels, {args.size} px, seed {args.seed}")


def run(args: argparse.Namespace) -> int:
    background, notes = check_options(args)
    query, query_notes = read_image(args.query, args.size, "query")
    result, result_notes = read_image(args.result, args.size, "result")
    for note in query_notes + result_notes + notes:
        print(f"note: {note}")
    model = load_model(args)
    started = time.perf_counter()
    figure = args.out / "explanation.png"
    summary, passes, section = explain_pair(model, query, result, background, args, figure,
                                            f"{Path(args.query).name} → {Path(args.result).name}")
    seconds = time.perf_counter() - started
    report = write_report(args.out / "report.html", [section], "Why these two images are similar",
                          settings=settings_line(args), notes=query_notes + result_notes + notes,
                          footer=f"{passes} forward passes, {seconds:.1f} s")
    print(summary)
    print(f"wrote {report} and {figure}; {passes} forward passes, {seconds:.1f} s")
    return 0


__all__ = ["add_arguments", "add_explanation_options", "check_options", "explain_pair", "load_model", "run",
           "settings_line"]
