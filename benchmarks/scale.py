"""Throughput and the cost of many pairs (issue 13), written to ``benchmarks/results/scale.md``
and ``scale.json``.

1. Images/s of EfficientNet-Lite0 (pretrained, offline) and ResNet-50 (random weights: same
   cost) at 224 px, default backend and batch size for the device, and the pairs/min that
   follow at the paper's budgets (cost model: forward passes per pair ÷ images/s).
2. A ranked list, second order: one query against 10 results, factorised, explained by
   ``explain_ranked`` (the query's masked embeddings shared) and by 10 separate
   ``explain_correspondence`` calls, same seed, each timed twice, interleaved: forward passes,
   time, the largest difference, and the seed-to-seed spread of separate calls (seed 0 against
   seed 1) for scale.
3. First order over 32 small pairs: ``explain_pairs`` (inputs batched across pairs) against one
   ``explain_first_order`` call per pair.

    python benchmarks/scale.py [--device cuda] [--budget 1000] [--quick] [--from-results]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from axiomatic_search.correspondence import explain_correspondence
from axiomatic_search.data import ALL_PHOTOS, load_photo
from axiomatic_search.explain import explain_first_order
from axiomatic_search.pairs import explain_pairs, explain_ranked
from axiomatic_search.runtime import accelerate, default_batch_size
from axiomatic_search.search_games import FirstOrderSearchGame
from axiomatic_search.zoo import efficientnet_lite0
from axiomatic_search.zoo_torchvision import torchvision_similarity

RESULTS = Path(__file__).resolve().parent / "results"
PAPER_PASSES = {
    "first order, Kernel SHAP 5,000": 5_001,  # 5,000 coalitions + the fixed query
    "second order, joint kernel 20,000": 40_000,  # a masked query and a masked result per joint coalition
    "second order, joint kernel 40,000": 80_000,
    "second order, factorised 2,000 (ours)": 2_000,
}


VOC_VALIDATION_PAIRS = 1449
"""Pascal VOC 2012 segmentation validation images: one pair each (A.2), at most."""


def table1_passes(size: int = 224, window: int = 20, stride: int = 3) -> dict[str, int]:
    """Forward passes per pair of each Table 1 method at the paper's budgets (A.2): a model of
    what our implementations spend, fitted to the passes ``benchmarks/table.py`` counts (its
    ``Backbone passes`` row: at 128 px, stride 8 (256 squares) and budgets 300 / 400 it counts SBSM
    514 and 1,826, LIME 305 and 800, Partition SHAP and Kernel SHAP 301, second-order Kernel SHAP
    (the factorised estimator, its budget in passes) 400, IG 17, the five first-order feature-map
    methods (VESM, GradCAM, SAM, IG SAM, KSAM) 3 each and the second-order ones 4). SBSM scores the
    whole pair per square (query and result embedded: ``2 · squares + 2``; second order
    ``2 · budget + 4 · squares + 2``); LIME's first order spends 5 beyond its budget, its joint
    second-order evaluations two passes each."""
    squares = (-(-size // stride)) ** 2  # centres 0, stride, ... below size, on each axis
    return {
        "SBSM (1st)": 2 * squares + 2, "Partition SHAP": 5001, "LIME": 5005, "Kernel SHAP": 5001,
        "Int. Gradients": 17, "VESM / GradCAM / SAM / IG SAM / KSAM (1st)": 5 * 3,
        "SBSM (2nd)": 2 * 20_000 + 4 * squares + 2, "LIME (2nd)": 2 * 20_000, "Kernel SHAP (2nd, factorised)": 20_000,
        "SAM / IG SAM / KSAM (2nd)": 3 * 4,
    }


def cost_lines(throughput: dict[str, float]) -> list[str]:
    passes = table1_passes()
    per_pair = sum(passes.values())
    lines = ["", "Table 1 at the paper's budgets (224 px, SLIC 50, SBSM stride 3; 5,000 / 20,000 evaluations), "
             "forward passes per pair by the cost model of `table1_passes` (fitted to the passes "
             "`benchmarks/table.py` counts; a model, not a measurement at these budgets): " + ", ".join(f"{k} {v:,}" for k, v in passes.items()) +
             f"; **{per_pair:,} per pair**, {per_pair * VOC_VALIDATION_PAIRS:,} for the {VOC_VALIDATION_PAIRS:,} "
             "VOC validation pairs, per backbone.", "",
             "| backbone | images/s here | hours per pair | hours for the VOC table (one backbone) |", "|---|---|---|---|"]
    for name, rate in throughput.items():
        lines.append(f"| {name} | {rate:.1f} | {per_pair / rate / 3600:.2f} | "
                     f"{per_pair * VOC_VALIDATION_PAIRS / rate / 3600:,.0f} |")
    return lines


def images_per_second(model, device: str, batches: int) -> float:
    batch = torch.rand(default_batch_size(device), 3, 224, 224, device=device)
    with torch.inference_mode():
        model.embeddings(batch)  # warm-up (and the ONNX export)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(batches):
            model.embeddings(batch)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
    return batches * len(batch) / (time.perf_counter() - started)


def ranked_list(model, budget: int, results: int) -> dict:
    query = load_photo("chelsea", 224)
    ranked = [load_photo(ALL_PHOTOS[k % len(ALL_PHOTOS)], 224)[:, :: 1 if k < len(ALL_PHOTOS) else -1]
              for k in range(results)]
    options = dict(method="factorised", budget=budget, players=4)
    explain_correspondence(model, query, ranked[0], **{**options, "budget": 100}, random_state=0)  # warm-up
    seconds: dict[str, list[float]] = {"separate": [], "shared": []}
    for order in (("separate", "shared"), ("shared", "separate")):  # interleaved: neither always goes first
        for kind in order:
            started = time.perf_counter()
            if kind == "separate":
                separate = [explain_correspondence(model, query, r, random_state=0, **options) for r in ranked]
            else:
                shared = explain_ranked(model, query, ranked, random_state=0, progress=False, **options)
            seconds[kind].append(time.perf_counter() - started)
    separate_seconds, shared_seconds = (float(np.mean(seconds[kind])) for kind in ("separate", "shared"))
    other_seed = [explain_correspondence(model, query, r, random_state=1, **options) for r in ranked]
    separate_passes = sum(s.n_forward_passes for s in separate)
    shared_passes = sum(p.n_forward_passes for p in shared)
    return {
        "results": results, "budget": budget,
        "separate_passes": separate_passes, "shared_passes": shared_passes,
        "pass_ratio": shared_passes / separate_passes,
        "separate_seconds": separate_seconds, "shared_seconds": shared_seconds,
        "time_ratio": shared_seconds / separate_seconds,
        "time_ratios": [a / b for a, b in zip(seconds["shared"], seconds["separate"])],
        "max_difference": max(float(np.abs(s.block - p.values).max()) for s, p in zip(separate, shared)),
        "seed_spread": float(np.median([np.abs(a.block - b.block).max() for a, b in zip(separate, other_seed)])),
    }


def small_first_order(model, pairs: int, size: int, budget: int) -> dict:
    names = ALL_PHOTOS
    items = [(load_photo(names[k % len(names)], size), load_photo(names[(k + 1) % len(names)], size))
             for k in range(pairs)]
    started = time.perf_counter()
    one_by_one = [explain_first_order(FirstOrderSearchGame.for_images(model, q, r), budget, random_state=0,
                                      progress=False) for q, r in items]
    separate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    batched = list(explain_pairs(model, items, order=1, budget=budget, chunk_size=pairs, random_state=0,
                                 progress=False))
    batched_seconds = time.perf_counter() - started
    return {
        "pairs": pairs, "size": size, "budget": budget,
        "separate_seconds": separate_seconds, "batched_seconds": batched_seconds,
        "time_ratio": batched_seconds / separate_seconds,
        "max_difference": max(float(np.abs(a.values - b.values).max()) for a, b in zip(one_by_one, batched)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--budget", type=int, default=1000, help="forward passes per pair of the ranked list")
    parser.add_argument("--quick", action="store_true", help="small settings, to check the script runs")
    parser.add_argument("--from-results", action="store_true",
                        help="rewrite the tables from the last run's scale.json, measuring nothing")
    args = parser.parse_args(argv)
    quick = args.quick
    suffix = "" if args.device == "cpu" else "_" + args.device.replace(":", "")
    if args.from_results:
        stored = json.loads((RESULTS / f"scale{suffix}.json").read_text())
        write(report(args, stored["device"], stored["images_per_second"], stored["ranked_list"],
                     stored["small_first_order"]), args, stored, suffix)
        return
    models = {"EfficientNet-Lite0": efficientnet_lite0(device=args.device),
              "ResNet-50": accelerate(torchvision_similarity("resnet50", weights=None, device=args.device))}
    throughput = {name: images_per_second(model, args.device, 1 if quick else 6) for name, model in models.items()}
    lite = models["EfficientNet-Lite0"]
    ranked = ranked_list(lite, 100 if quick else args.budget, 3 if quick else 10)
    small = small_first_order(lite, 4 if quick else 32, 64, 128 if quick else 256)
    device_name = (torch.cuda.get_device_name() if args.device.startswith("cuda")
                   else f"{platform.processor() or 'CPU'}, {torch.get_num_threads()} threads")
    stored = {"device": device_name, "images_per_second": throughput, "ranked_list": ranked,
              "small_first_order": small}
    text = report(args, device_name, throughput, ranked, small)
    if quick:
        print(text)
    else:
        write(text, args, stored, suffix)


def report(args, device_name: str, throughput: dict, ranked: dict, small: dict) -> str:
    command = "`python benchmarks/scale.py" + (f" --device {args.device}" if args.device != "cpu" else "") + "`"
    lines = [f"# Scale ({args.device}: {device_name})", "", command, "",
             "| model (224 px) | images/s | " + " | ".join(f"pairs/min, {k}" for k in PAPER_PASSES) + " |",
             "|---|---|" + "---|" * len(PAPER_PASSES)]
    for name, rate in throughput.items():
        lines.append(f"| {name} | {rate:.1f} | " + " | ".join(f"{60 * rate / p:.3g}" for p in PAPER_PASSES.values()) + " |")
    lines += ["", f"Ranked list (EfficientNet-Lite0, 1 query × {ranked['results']} results, factorised, "
              f"{ranked['budget']} forward passes per pair, 4 × 4 cells): shared query "
              f"{ranked['shared_passes']} passes against {ranked['separate_passes']} for separate calls "
              f"(**{ranked['pass_ratio']:.2f}×**), {ranked['shared_seconds']:.1f} s against "
              f"{ranked['separate_seconds']:.1f} s (**{ranked['time_ratio']:.2f}×**, mean of two interleaved runs: "
              + " and ".join(f"{r:.2f}×" for r in ranked.get("time_ratios", [])) + "); largest block difference "
              f"{ranked['max_difference']:.1e} (seed-to-seed spread of separate calls: {ranked['seed_spread']:.1e}).",
              "", f"First order over {small['pairs']} small pairs ({small['size']} px, SLIC, "
              f"{small['budget']} coalitions each): `explain_pairs` {small['batched_seconds']:.1f} s against "
              f"{small['separate_seconds']:.1f} s for one call per pair (**{small['time_ratio']:.2f}×**); "
              f"largest value difference {small['max_difference']:.1e} (batch composition only)."]
    lines += cost_lines(throughput)
    return "\n".join(lines) + "\n"


def write(text: str, args, stored: dict, suffix: str) -> None:
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"scale{suffix}.md").write_text(text)
    (RESULTS / f"scale{suffix}.json").write_text(json.dumps(stored, indent=2))


if __name__ == "__main__":
    main()
