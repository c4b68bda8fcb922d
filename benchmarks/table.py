"""Paper Table 1 on a chosen model and dataset: every method × faithfulness, inefficiency, mIoU,
function evaluations and wall time per explanation.

    python benchmarks/table.py --address HOST:PORT --gpus-per-replica 1      # the paper's settings, natural pairs
    python benchmarks/table.py --reduced [--pairs 30] [--dataset mosaic]      # what a 2-core CPU finishes
    python benchmarks/table.py --dataset voc --voc-root DATA --address HOST:PORT --gpus-per-replica 1
    python benchmarks/table.py --dataset coco --coco-images DIR --coco-annotations instances.json

Pairs run on the dataset engine (``axiomatic_search.distributed``): Ray Data with one model
replica per actor (a local Ray unless ``--address`` names a cluster), or ``--engine local``;
each chunk of pairs is written to ``<out>/table-run-<dataset>/`` as it finishes, so an
interrupted run resumes where it stopped. Every pair draws from its own seed.

First order explains the result against the query. Second order projects the query's ground-truth
mask onto the result. Background for v(∅): a 25 px blur (mean colour for LIME and SBSM, as in
the paper). The default is the paper's settings (A.2: 224 px, 5,000 first-order, 20,000
second-order and 40,000 Kernel SAM evaluations, SLIC 50, SBSM window 20 stride 3), the setting
for a GPU; ``--reduced`` is the CPU setting (``REDUCED``); any flag given overrides either.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from axiomatic_search.backgrounds import Blur  # noqa: E402
from axiomatic_search.baselines import sbsm, sbsm_second_order  # noqa: E402
from axiomatic_search.cli.batch import add_engine_options  # noqa: E402
from axiomatic_search.coco import coco_pair, coco_pair_plan  # noqa: E402
from axiomatic_search.datasets import mosaic_pair, voc_pair, voc_pair_plan  # noqa: E402
from axiomatic_search.natural_pairs import natural_pair  # noqa: E402
from axiomatic_search.distributed import ChunkWorker, read_results, run_chunks  # noqa: E402
from axiomatic_search.distributed.store import open_run, write_chunk  # noqa: E402
from axiomatic_search.explain import explain_first_order, explain_second_order  # noqa: E402
from axiomatic_search.images import as_image_tensor, grid_segments  # noqa: E402
from axiomatic_search.metrics import (  # noqa: E402
    first_order_faithfulness,
    label_propagation_miou,
    second_order_faithfulness,
)
from axiomatic_search.factorised import EmbeddingSearchGame  # noqa: E402
from axiomatic_search.search_games import FirstOrderSearchGame  # noqa: E402
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
    VESM,
    upsample,
)
from lime_search import LimeSearchExplainer, SecondOrderLimeExplainer  # noqa: E402
from shap_search import SearchExplainer  # noqa: E402
from benchmarks.common import BackbonePasses  # noqa: E402

FIRST = ("SBSM", "PSHAP", "LIME", "KSHAP", "VESM", "Int. G.", "GCAM", "SAM", "IG SAM", "KSAM")
NOT_ATTRIBUTIONS = ("VESM",)
"""Maps whose values are not a division of the similarity: no inefficiency is computed or shown."""
SECOND = ("SBSM", "LIME", "KSHAP", "SAM", "IG SAM", "KSAM", "random")


def to_pixels(maps: torch.Tensor, size: int) -> np.ndarray:
    return upsample(maps.detach().cpu().double().reshape(1, *maps.shape[-2:]), (size, size))[0, 0].numpy()


def first_order(name: str, model, pair, args, rng) -> tuple[np.ndarray, float | None]:
    """``(heatmap on the result, Σ attributions or None)``."""
    q, r = pair.query, pair.result
    qt, rt = as_image_tensor(q)[None].to(model.device), as_image_tensor(r)[None].to(model.device)
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
        return a[0].sum(0).detach().cpu().numpy(), float(a.sum())
    maps = {
        "GCAM": lambda: SearchGradCAM(model).attribute(qt, rt),
        "VESM": lambda: VESM(model).attribute(qt, rt),
        "SAM": lambda: SAM(model).attribute(qt, rt, baseline="blur"),
        "IG SAM": lambda: IGSAM(model).attribute(qt, rt, baseline="blur", n_steps=args.ig_steps),
        "KSAM": lambda: KernelSAM(model).attribute(qt, rt, baseline="blur", n_samples=args.budget, random_state=rng),
    }[name]()[0]
    # VESM's map weighs channels by the pair's agreement, not by their share of the similarity: its
    # values add up to nothing the axioms name (the paper reports no inefficiency for it either)
    return to_pixels(maps, len(r)), None if name in NOT_ATTRIBUTIONS else float(maps.sum())


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
    if name == "KSHAP":  # the dual encoder's game factorises: the Shapley–Taylor kernel on a product design
        game = EmbeddingSearchGame.for_images(model, q, r, players=args.grid)
        result = explain_second_order(game, args.budget2, method="factorised", random_state=rng)
        return result.project_mask(pair.query_mask), result.main.sum() + result.pair_values.sum()
    qt, rt = as_image_tensor(q)[None].to(model.device), as_image_tensor(r)[None].to(model.device)
    block = {
        "SAM": lambda: SecondOrderSAM(model).attribute(qt, rt, "blur", "blur"),
        "IG SAM": lambda: SecondOrderIGSAM(model).attribute(qt, rt, "blur", "blur", n_steps=args.ig2_steps),
        "KSAM": lambda: SecondOrderKernelSAM(model).attribute(qt, rt, "blur", "blur", n_samples=args.budget_ksam,
                                                              random_state=rng),
    }[name]()[0].detach().cpu().double().numpy()
    side = int(round(np.sqrt(block.shape[0])))
    cells = grid_segments(size, size, side)
    weights = np.bincount(cells[pair.query_mask], minlength=side * side) / np.bincount(cells.ravel())
    projected = (weights @ block).reshape(1, side, side)
    return to_pixels(torch.from_numpy(projected), size), None


def similarity(model, query, result) -> float:
    with torch.inference_mode():
        query, result = as_image_tensor(query)[None], as_image_tensor(result)[None]
        return float(model(query.to(model.device), result.to(model.device))[0])


def pair_metrics(model, passes: BackbonePasses, pair, args, rng) -> list[dict]:
    """Every method's metrics on one pair: ``{"metric", "order", "method", "value"}`` records."""
    records = []

    def add(metric: str, order: str, name: str, value: float) -> None:
        records.append({"metric": metric, "order": order, "method": name, "value": float(value)})

    blur = lambda image: Blur(25)(as_image_tensor(image))[0]  # noqa: E731
    full = similarity(model, pair.query, pair.result)
    empty1 = similarity(model, pair.query, blur(pair.result))
    empty2 = similarity(model, blur(pair.query), blur(pair.result))
    for name in args.first:
        passes.count, started = 0, time.perf_counter()
        heat, total = first_order(name, model, pair, args, rng)
        seconds, calls = time.perf_counter() - started, passes.count
        add("Faithfulness", "First", name, first_order_faithfulness(model, pair.query, pair.result, heat))
        if total is not None:
            add("Inefficiency", "First", name, abs(total - (full - empty1)))
        add("Backbone passes", "First", name, calls)
        add("Seconds", "First", name, seconds)
    for name in args.second:
        passes.count, started = 0, time.perf_counter()
        projected, total = second_order(name, model, pair, args, rng)
        seconds, calls = time.perf_counter() - started, passes.count
        size = int(pair.result_mask.sum())
        add("Faithfulness", "Second", name,
            second_order_faithfulness(model, pair.query, pair.result, pair.query_mask, projected, size))
        add("mIoU", "Second", name, label_propagation_miou(projected, pair.result_mask))
        if total is not None:
            add("Inefficiency", "Second", name, abs(total - (full - empty2)))
        add("Backbone passes", "Second", name, calls)
        add("Seconds", "Second", name, seconds)
    return records


def load_pair(args, row: list):
    """The pair a chunk row names: ``[k]`` (the k-th natural or mosaic pair), ``[k, train, val,
    class]`` (VOC) or ``[k, query id, result id, category]`` (COCO)."""
    if args.dataset == "voc":
        return voc_pair(args.voc_root, *row[1:], year=args.voc_year, size=args.size)
    if args.dataset == "coco":
        return coco_pair(args.coco_images, args.coco_annotations, *row[1:], size=args.size)
    if args.dataset == "natural":
        return natural_pair(row[0], size=args.size, seed=args.seed)
    return mosaic_pair(row[0], size=args.size, seed=args.seed)


class TableWorker(ChunkWorker):
    """One model replica computing every method's metrics for a chunk of pairs."""

    def __init__(self, out: str, device: str, settings: dict) -> None:
        self.out, self.args = out, argparse.Namespace(**settings)
        self.model = efficientnet_lite0(device=device)
        self.passes = BackbonePasses(self.model)

    def explain_chunk(self, chunk: int, rows: list) -> int:
        records = []
        for row in rows:
            pair = load_pair(self.args, row)
            rng = np.random.default_rng([self.args.seed, row[0]])  # per pair: chunks run anywhere, in any order
            records += [{"pair": row[0], "name": pair.name, **record}
                        for record in pair_metrics(self.model, self.passes, pair, self.args, rng)]
        write_chunk(self.out, chunk, records)
        return len(rows)


def pair_rows(args) -> list[list]:
    if args.dataset == "voc":  # the plan needs every image's embedding: made once, here
        plan = voc_pair_plan(args.voc_root, efficientnet_lite0(), year=args.voc_year, n_pairs=args.pairs,
                             size=args.size, seed=args.seed)
        return [[k, *triple] for k, triple in enumerate(plan)]
    if args.dataset == "coco":
        plan = coco_pair_plan(args.coco_images, args.coco_annotations, efficientnet_lite0(), n_pairs=args.pairs,
                              size=args.size, seed=args.seed)
        return [[k, *triple] for k, triple in enumerate(plan)]
    return [[k] for k in range(args.pairs)]


def run(args) -> dict:
    """Every pair through the dataset engine (Ray Data, or this process), resumable in
    ``args.out / "table-run-<dataset>"``; the metrics gathered per (metric, order, method)."""
    settings = {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()
                if key not in ("out", "engine", "address", "replicas", "gpus_per_replica")}
    folder = open_run(args.out / f"table-run-{args.dataset}", settings)
    rows = pair_rows(args)
    chunks = [rows[start : start + args.chunk_size] for start in range(0, len(rows), args.chunk_size)]
    run_chunks(chunks, folder, TableWorker, {"settings": settings}, engine=args.engine, address=args.address,
               replicas=args.replicas, gpus_per_replica=args.gpus_per_replica,
               runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
    found: dict[tuple[str, str, str], list[float]] = {}
    for record in read_results(folder).itertuples():
        found.setdefault((record.metric, record.order, record.method), []).append(record.value)
    return found


def mean_and_interval(values) -> str:
    """The mean and the half-width of its 95 % confidence interval (normal approximation:
    1.96 standard errors over pairs), as ``0.182 ± 0.012``."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return f"{values.mean():.3g}"
    return f"{values.mean():.3g} ± {1.96 * values.std(ddof=1) / np.sqrt(len(values)):.2g}"


def markdown(rows: dict, args) -> str:
    methods = list(dict.fromkeys(list(args.first) + list(args.second)))
    source = {"voc": f"Pascal VOC {args.voc_year} (A.2)", "coco": "MS COCO (supplementary Table 2)",
              "natural": "the offline natural pairs", "mosaic": "the offline mosaic benchmark"}[args.dataset]
    n_pairs = max((len(values) for values in rows.values()), default=0)  # a VOC or COCO plan may hold fewer
    lines = [f"Table 1 on {source}: {n_pairs} pairs at {args.size} px, EfficientNet-Lite0 (GAP + cosine), "
             f"budgets {args.budget} (first order) / {args.budget2} (second order) / {args.budget_ksam} (second-order "
             f"KSAM), SLIC {args.segments} segments (first order), second-order superpixel methods on a "
             f"{args.grid} × {args.grid} grid, SBSM window {args.window} stride {args.stride}, IG {args.ig_steps} steps "
             f"(second-order IG SAM {args.ig2_steps}), seed {args.seed}; second-order KSHAP is the factorised Shapley–Taylor "
             f"kernel (budget in forward passes); run on the dataset engine ({args.engine}); mean over pairs ± the "
             f"half-width of its 95 % confidence interval. {differences_from_the_paper(args, source)}",
             "", "| metric | order | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for metric in ("Faithfulness", "Inefficiency", "mIoU", "Backbone passes", "Seconds"):
        for order in ("First", "Second"):
            cells = [None if metric == "Inefficiency" and m in NOT_ATTRIBUTIONS else rows.get((metric, order, m))
                     for m in methods]
            if not any(cells):
                continue
            fmt = (lambda v: f"{np.mean(v):.0f}") if metric == "Backbone passes" else mean_and_interval
            lines.append(f"| {metric} | {order} | " + " | ".join(fmt(c) if c else "-" for c in cells) + " |")
    return "\n".join(lines)


def differences_from_the_paper(args, source: str) -> str:
    """Every setting of this run that is not the paper's (A.2), as one sentence."""
    named = {"size": "image side {} px", "budget": "first-order budget {}", "budget2": "second-order budget {}",
             "budget_ksam": "second-order KSAM samples {}", "segments": "SLIC {} segments", "window": "SBSM window {}",
             "stride": "SBSM stride {}", "pairs": "{} pairs"}
    differing = [f"{text.format(getattr(args, key))} (paper: {PAPER[key]})" for key, text in named.items()
                 if getattr(args, key) != PAPER[key]]
    if args.dataset != "voc":
        differing.append(f"{source} (paper: Pascal VOC)")
    differing.append(f"second-order IG SAM {args.ig2_steps} integration steps (paper: {PAPER['budget_ksam']} samples)")
    differing.append(f"second-order superpixel methods on a {args.grid} × {args.grid} grid (paper: SLIC {PAPER['segments']})")
    differing.append("one backbone (paper: four)")
    return "Differs from the paper: " + "; ".join(differing) + "."


PAPER = {"size": 224, "budget": 5000, "budget2": 20000, "budget_ksam": 40000, "segments": 50, "grid": 4,
         "window": 20, "stride": 3, "ig_steps": 16, "pairs": 100}
"""The paper's settings (A.2), the default: a GPU cluster's run (``--address``)."""
REDUCED = {"size": 128, "budget": 300, "budget2": 400, "budget_ksam": 400, "segments": 24, "grid": 4,
           "window": 20, "stride": 8, "ig_steps": 16, "pairs": 30}
"""``--reduced``: what a 2-core CPU finishes in minutes (README's table)."""
DATASETS = ("natural", "mosaic", "voc", "coco")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reduced", action="store_true", help=f"the reduced CPU settings: {REDUCED}")
    parser.add_argument("--paper", action="store_true", help=f"the paper's settings (the default): {PAPER}")
    parser.add_argument("--dataset", default="natural", choices=DATASETS)
    parser.add_argument("--voc-root", default=None, help="a folder holding VOCdevkit (--dataset voc)")
    parser.add_argument("--voc-year", default="2012")
    parser.add_argument("--coco-images", default=None, help="a folder of COCO images (--dataset coco)")
    parser.add_argument("--coco-annotations", default=None, help="a COCO instances JSON file (--dataset coco)")
    parser.add_argument("--pairs", type=int, default=None, help="pairs (paper setting: 100; reduced: 30)")
    parser.add_argument("--size", type=int, default=None, help="image side in pixels (paper: 224)")
    parser.add_argument("--budget", type=int, default=None, help="first-order evaluations (paper: 5,000)")
    parser.add_argument("--budget2", type=int, default=None, help="second-order evaluations (paper: 20,000)")
    parser.add_argument("--budget-ksam", type=int, default=None, help="second-order KSAM samples (paper: 40,000)")
    parser.add_argument("--segments", type=int, default=None, help="SLIC segments, first order (paper: 50)")
    parser.add_argument("--grid", type=int, default=None, help="grid cells per side, second-order superpixel methods")
    parser.add_argument("--window", type=int, default=None, help="SBSM window (paper: 20)")
    parser.add_argument("--stride", type=int, default=None, help="SBSM stride (paper: 3)")
    parser.add_argument("--ig-steps", type=int, default=None, help="integration steps of IG and IG SAM")
    parser.add_argument("--ig2-steps", type=int, default=8, help="integration steps of second-order IG SAM")
    parser.add_argument("--first", nargs="+", default=list(FIRST), choices=FIRST)
    parser.add_argument("--second", nargs="+", default=list(SECOND), choices=SECOND)
    parser.add_argument("--seed", type=int, default=0)
    add_engine_options(parser, chunk_size=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    if args.reduced and args.paper:
        parser.error("--reduced and --paper are two settings; pick one")
    for key, value in (REDUCED if args.reduced else PAPER).items():  # explicit flags win
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.dataset == "voc" and not args.voc_root:
        parser.error("--dataset voc needs --voc-root (a folder holding VOCdevkit)")
    if args.dataset == "coco" and not (args.coco_images and args.coco_annotations):
        parser.error("--dataset coco needs --coco-images (a folder) and --coco-annotations (instances JSON)")
    return args


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
