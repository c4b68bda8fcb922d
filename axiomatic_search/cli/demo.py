"""``axiomatic-search demo``: the offline sample pair explained end to end.

It loads the offline pretrained EfficientNet-Lite0 similarity, explains a cat photo (query)
against a collage that contains the same cat mirrored (result): first order with Kernel SHAP over
SLIC superpixels, and the query→result correspondence over grid cells twice, by the grey-box
closed form ``method="auto"`` picks for this model (second-order IG-SAM) and by the black-box
factorised Shapley–Taylor estimator. It prints where each query cell lands and writes the HTML
report and a figure.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .._checks import budget_named
from ..correspondence import explain_correspondence
from ..data import sample_pair
from ..explain import explain_first_order
from ..figures import plot_explanation
from ..report import pair_section, write_report
from .inputs import check_device, check_positive
from ..search_games import FirstOrderSearchGame
from ..zoo import efficientnet_lite0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo's options (the defaults reproduce README's figures)."""
    parser.add_argument("--out", type=Path, default=Path("outputs"), help="folder for the figure")
    parser.add_argument("--size", type=int, default=224, help="image side in pixels")
    parser.add_argument("--segments", type=int, default=50, help="SLIC superpixels (first order)")
    parser.add_argument("--query-grid", type=int, default=3, help="query grid cells per side (second order)")
    parser.add_argument("--result-grid", type=int, default=4, help="result grid cells per side (second order)")
    parser.add_argument("--budget-first", type=int, default=500, help="evaluations, first order")
    parser.add_argument("--budget-second", type=int, default=1000,
                        help="forward passes, black-box correspondence")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the estimators")
    parser.add_argument("--device", default="cpu", help="torch device for the model")
    parser.add_argument("--quiet", action="store_true", help="no progress bars (they only show on a terminal)")


def landing(correspondence, cat_tile: np.ndarray) -> str:
    """How many query cells have their strongest result cell inside the cat tile."""
    labels = correspondence.result_players.labels
    inside = np.bincount(labels[cat_tile], minlength=labels.max() + 1) > 0
    hits = int(inside[correspondence.best_match].sum())
    return (f"{hits} of {len(correspondence.best_match)} query cells land on the cat tile "
            f"({int(inside.sum())} of {len(inside)} result cells are on it)")


def run(args: argparse.Namespace) -> int:
    check_device(args.device)
    check_positive(args.size, "--size", 16)
    for name in ("segments", "query_grid", "result_grid", "budget_first"):
        check_positive(getattr(args, name), "--" + name.replace("_", "-"), 3 if name == "budget_first" else 1)
    model = efficientnet_lite0(device=args.device)
    query, result, cat_tile = sample_pair(args.size)
    players = (args.query_grid, args.result_grid)

    started = time.perf_counter()
    first_game = FirstOrderSearchGame.for_images(model, query, result, n_segments=args.segments, batch_size=32)
    progress = False if args.quiet else None
    with budget_named("--budget-first"):
        first = explain_first_order(first_game, args.budget_first, random_state=args.seed, progress=progress)
    grey = explain_correspondence(model, query, result, players=players)
    black = explain_correspondence(model, query, result, players=players, method="factorised",
                                   budget=args.budget_second, random_state=args.seed, progress=progress)
    elapsed = time.perf_counter() - started

    heatmap = first.to_pixels()
    top = heatmap >= np.quantile(heatmap, 0.75)
    print(f"similarity d(query, result) = {first.full_value:.4f}; blurred result: {first.base_value:.4f}")
    print(f"first order: {first.n_players} superpixels, {first.n_evaluations} evaluations, "
          f"efficiency gap {first.efficiency_gap:.2e}; top-25% pixels inside the cat tile: "
          f"{(top & cat_tile).sum() / top.sum():.0%} (tile is 25% of the image)")
    for found, name in ((grey, "grey box, second-order IG-SAM"), (black, "black box, factorised Shapley–Taylor")):
        print(f"correspondence ({name}): {found.n_forward_passes} forward passes, {found.seconds:.1f} s; "
              + landing(found, cat_tile))
    figure = args.out / "explanation.png"
    plt.close(plot_explanation(query, result, first, [grey, black], path=figure,
                               titles=["grey box (IG-SAM)", "black box (factorised)"]))
    passes = first.n_evaluations + grey.n_forward_passes + black.n_forward_passes
    sections = [pair_section(f"cat → collage: {name}", query, result, None, first, found)
                for found, name in ((grey, "grey box (second-order IG-SAM)"), (black, "black box (factorised)"))]
    report = write_report(args.out / "report.html", sections, "axiomatic-search demo: a cat and a collage holding it",
                          settings=f"EfficientNet-Lite0 at {args.size} px; first order over {first.n_players} "
                                   f"superpixels; {args.query_grid}×{args.query_grid} query and "
                                   f"{args.result_grid}×{args.result_grid} result cells",
                          footer=f"{passes} forward passes, {elapsed:.1f} s")
    print(f"wrote {report} and {figure}; {passes} forward passes, {elapsed:.0f} s of explaining")
    return 0
