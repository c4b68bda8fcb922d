"""Paper Table 1 on a chosen model and dataset: every method × faithfulness, inefficiency, mIoU,
function evaluations and wall time per explanation.

    python benchmarks/table.py [--pairs 30] [--size 128] [--dataset mosaic] [--out benchmarks/results]

First order explains the result against the query. Second order projects the query's ground-truth
mask onto the result. Background for v(∅): a 25 px blur (mean colour for LIME and SBSM, as in
the paper). The budgets are reduced for a CPU (``--budget``, ``--budget2``); the paper's are
5,000 (first order), 20,000 (second order) and 40,000 (Kernel SAM), the setting for a GPU.
``random`` projects a random heatmap: the floor for second-order faithfulness and mIoU. Cost is
counted as images through the backbone (a pair evaluation with a cached query embedding is one).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from axiomatic_search.backgrounds import Blur  # noqa: E402
from axiomatic_search.baselines import sbsm, sbsm_second_order  # noqa: E402
from axiomatic_search.datasets import mosaic_pairs  # noqa: E402
from axiomatic_search.explain import explain_first_order, explain_second_order  # noqa: E402
from axiomatic_search.images import as_image_tensor, grid_segments  # noqa: E402
from axiomatic_search.metrics import (  # noqa: E402
    first_order_faithfulness,
    label_propagation_miou,
    second_order_faithfulness,
)
from axiomatic_search.search_games import FirstOrderSearchGame, SecondOrderSearchGame  # noqa: E402
from axiomatic_search.zoo import efficientnet_lite0  # noqa: E402
from captum_search import (  # noqa: E402
    IGSAM,
    SAM,
    KernelSAM,
    SearchGradCAM,
    SearchIntegratedGradients,
    SecondOrderIGSAM,
    SecondOrderKernelSAM,
    SecondOrderSAM,
    upsample,
)
from lime_search import LimeSearchExplainer, SecondOrderLimeExplainer  # noqa: E402
from shap_search import SearchExplainer  # noqa: E402
from benchmarks.common import BackbonePasses  # noqa: E402

FIRST = ("SBSM", "PSHAP", "LIME", "KSHAP", "Int. G.", "GCAM", "SAM", "IG SAM", "KSAM")
SECOND = ("SBSM", "LIME", "KSHAP", "SAM", "IG SAM", "KSAM", "random")


def to_pixels(maps: torch.Tensor, size: int) -> np.ndarray:
    return upsample(maps.detach().double().reshape(1, *maps.shape[-2:]), (size, size))[0, 0].numpy()


def first_order(name: str, model, pair, args, rng) -> tuple[np.ndarray, float | None]:
    """``(heatmap on the result, Σ attributions or None)``."""
    q, r = pair.query, pair.result
    qt, rt = as_image_tensor(q)[None], as_image_tensor(r)[None]
    if name == "SBSM":
        return sbsm(model, q, r, window=args.window, stride=args.stride), None
    if name == "PSHAP":
        e = SearchExplainer(model, algorithm="partition")(q, r, max_evals=args.budget, random_state=rng)
        return e.values[0, :, :, 0], float(e.values.sum())
    if name == "LIME":
        e = LimeSearchExplainer(n_segments=args.segments).explain_instance(q, r, model, num_samples=args.budget,
                                                                          random_state=rng)
        weights = dict(e.local_exp[0])
        heat = np.vectorize(lambda s: weights.get(s, 0.0))(e.segments).astype(float)
        return heat, float(sum(weights.values()))
    if name == "KSHAP":
        game = FirstOrderSearchGame.for_images(model, q, r, n_segments=args.segments)
        result = explain_first_order(game, args.budget, random_state=rng)
        areas = np.bincount(result.players.labels.ravel())
        return (result.values / areas)[result.players.labels], float(result.values.sum())
    if name == "Int. G.":
        a = SearchIntegratedGradients(model).attribute(qt, rt, n_steps=args.ig_steps)
        return a[0].sum(0).detach().numpy(), float(a.sum())
    maps = {
        "GCAM": lambda: SearchGradCAM(model).attribute(qt, rt),
        "SAM": lambda: SAM(model).attribute(qt, rt, baseline="blur"),
        "IG SAM": lambda: IGSAM(model).attribute(qt, rt, baseline="blur", n_steps=args.ig_steps),
        "KSAM": lambda: KernelSAM(model).attribute(qt, rt, baseline="blur", n_samples=args.budget, random_state=rng),
    }[name]()[0]
    return to_pixels(maps, len(r)), float(maps.sum())


def second_order(name: str, model, pair, args, rng) -> tuple[np.ndarray, float | None]:
    """``(projection of the query mask onto the result, Σ main + pairs or None)``."""
    q, r, size = pair.query, pair.result, len(pair.result)
    if name == "random":
        return rng.random((size, size)), None
    if name == "SBSM":
        return sbsm_second_order(model, q, r, n_samples=args.budget2, window=args.window, stride=args.stride,
                                 random_state=rng).project_mask(pair.query_mask), None
    if name == "LIME":
        result = SecondOrderLimeExplainer(players=args.grid).explain_instance(q, r, model, num_samples=args.budget2,
                                                                            random_state=rng)
        return result.project_mask(pair.query_mask), result.main.sum() + result.pair_values.sum()
    if name == "KSHAP":
        game = SecondOrderSearchGame.for_images(model, q, r, players=args.grid)
        result = explain_second_order(game, args.budget2, random_state=rng)
        return result.project_mask(pair.query_mask), result.main.sum() + result.pair_values.sum()
    qt, rt = as_image_tensor(q)[None], as_image_tensor(r)[None]
    block = {
        "SAM": lambda: SecondOrderSAM(model).attribute(qt, rt, "blur", "blur"),
        "IG SAM": lambda: SecondOrderIGSAM(model).attribute(qt, rt, "blur", "blur", n_steps=8),
        "KSAM": lambda: SecondOrderKernelSAM(model).attribute(qt, rt, "blur", "blur", n_samples=args.budget2,
                                                              random_state=rng),
    }[name]()[0].detach().double().numpy()
    side = int(round(np.sqrt(block.shape[0])))
    cells = grid_segments(size, size, side)
    weights = np.bincount(cells[pair.query_mask], minlength=side * side) / np.bincount(cells.ravel())
    projected = (weights @ block).reshape(1, side, side)
    return to_pixels(torch.from_numpy(projected), size), None


def similarity(model, query, result) -> float:
    with torch.inference_mode():
        return float(model(as_image_tensor(query)[None], as_image_tensor(result)[None])[0])


def run(args) -> dict:
    model = efficientnet_lite0()
    passes = BackbonePasses(model)
    rng = np.random.default_rng(args.seed)
    rows: dict[tuple[str, str, str], list[float]] = {}
    blur = lambda image: Blur(25)(as_image_tensor(image))[0]  # noqa: E731
    for k, pair in enumerate(mosaic_pairs(args.pairs, size=args.size, seed=args.seed)):
        full = similarity(model, pair.query, pair.result)
        empty1 = similarity(model, pair.query, blur(pair.result))
        empty2 = similarity(model, blur(pair.query), blur(pair.result))
        for name in args.first:
            passes.count, started = 0, time.perf_counter()
            heat, total = first_order(name, model, pair, args, rng)
            seconds, calls = time.perf_counter() - started, passes.count
            rows.setdefault(("Faithfulness", "First", name), []).append(
                first_order_faithfulness(model, pair.query, pair.result, heat))
            if total is not None:
                rows.setdefault(("Inefficiency", "First", name), []).append(abs(total - (full - empty1)))
            rows.setdefault(("Backbone passes", "First", name), []).append(calls)
            rows.setdefault(("Seconds", "First", name), []).append(seconds)
        for name in args.second:
            passes.count, started = 0, time.perf_counter()
            projected, total = second_order(name, model, pair, args, rng)
            seconds, calls = time.perf_counter() - started, passes.count
            size = int(pair.result_mask.sum())
            rows.setdefault(("Faithfulness", "Second", name), []).append(
                second_order_faithfulness(model, pair.query, pair.result, pair.query_mask, projected, size))
            rows.setdefault(("mIoU", "Second", name), []).append(label_propagation_miou(projected, pair.result_mask))
            if total is not None:
                rows.setdefault(("Inefficiency", "Second", name), []).append(abs(total - (full - empty2)))
            rows.setdefault(("Backbone passes", "Second", name), []).append(calls)
            rows.setdefault(("Seconds", "Second", name), []).append(seconds)
        print(f"[{k + 1}/{args.pairs}] {pair.name}", file=sys.stderr, flush=True)
    return rows


def markdown(rows: dict, args) -> str:
    methods = list(dict.fromkeys(list(args.first) + list(args.second)))
    lines = [f"Table 1 on the offline mosaic benchmark: {args.pairs} pairs at {args.size} px, EfficientNet-Lite0 "
             f"(GAP + cosine), budgets {args.budget} (first order) / {args.budget2} (second order); mean over pairs.",
             "", "| metric | order | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for metric in ("Faithfulness", "Inefficiency", "mIoU", "Backbone passes", "Seconds"):
        for order in ("First", "Second"):
            cells = [rows.get((metric, order, m)) for m in methods]
            if not any(cells):
                continue
            fmt = (lambda v: f"{np.mean(v):.0f}") if metric == "Backbone passes" else (lambda v: f"{np.mean(v):.3g}")
            lines.append(f"| {metric} | {order} | " + " | ".join(fmt(c) if c else "-" for c in cells) + " |")
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--budget", type=int, default=300, help="first-order evaluations (paper: 5,000)")
    parser.add_argument("--budget2", type=int, default=400, help="second-order evaluations (paper: 20,000)")
    parser.add_argument("--segments", type=int, default=24)
    parser.add_argument("--grid", type=int, default=4, help="grid cells per side, second-order superpixel methods")
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--stride", type=int, default=8, help="SBSM stride (paper: 3)")
    parser.add_argument("--ig-steps", type=int, default=16)
    parser.add_argument("--first", nargs="+", default=list(FIRST), choices=FIRST)
    parser.add_argument("--second", nargs="+", default=list(SECOND), choices=SECOND)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    table = markdown(run(args), args)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table.md").write_text(table + "\n")
    return table


if __name__ == "__main__":
    main()
