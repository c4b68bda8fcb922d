"""Forward passes at the hardware's pace: EfficientNet-Lite0 images/s per backend, and the
library's overhead around the forward passes of the black-box methods, in one run.

Images/s: batches of random 224 px images through the backbone (GAP features), after a warm-up,
for ``eager`` (torch as loaded, the library's default before this benchmark: batches of 64),
``torch`` (channels_last) and ``onnxruntime``; the ratio is against eager at batch 64.

Overhead ratio: the wall time of an explanation divided by the time the same number of forward
passes takes on pre-built batches of the same size (the cost of the model alone), on the
default backend. Methods: first-order Kernel SHAP over 50 SLIC superpixels, the factorised
Shapley–Taylor estimator and the joint kernel estimator over 4 × 4 cells a side, at the given
budgets (forward passes).

    python benchmarks/speed.py [--budgets 2000] [--repeats 4] [--overhead-repeats 3]

Run with ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` unset on the development machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from axiomatic_search.correspondence import explain_correspondence  # noqa: E402
from axiomatic_search.data import sample_pair  # noqa: E402
from axiomatic_search.explain import explain_first_order  # noqa: E402
from axiomatic_search.search_games import FirstOrderSearchGame  # noqa: E402
from axiomatic_search.zoo import efficientnet_lite0  # noqa: E402

BACKENDS = (("eager", 64), ("eager", 32), ("torch", 32), ("onnxruntime", 32))


def images_per_second(backend: str, batch: int, repeats: int, images: torch.Tensor) -> tuple[float, float]:
    """``(images/s, max |Δ| against eager)`` for ``backend`` at ``batch``."""
    model = efficientnet_lite0(backend=backend)
    eager = efficientnet_lite0(backend="eager")
    batch_images = images[:batch]
    with torch.inference_mode():
        reference = eager.backbone(batch_images)
        output = model.backbone(batch_images)  # warm-up (and the ONNX export)
        started = time.perf_counter()
        for _ in range(repeats):
            model.backbone(batch_images)
        seconds = time.perf_counter() - started
    return repeats * batch / seconds, float((torch.as_tensor(output) - reference).abs().max())


class TimedBackbone(torch.nn.Module):
    """Wraps a backbone: counts images and the batch sizes it was given."""

    def __init__(self, backbone: torch.nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.batches: list[int] = []

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.batches.append(len(images))
        return self.backbone(images)


def model_only_seconds(model, batches: list[int], size: int) -> float:
    """Time of the same forward passes on pre-built random batches."""
    inputs = {b: torch.rand(b, 3, size, size) for b in set(batches)}
    with torch.inference_mode():
        for b in inputs:
            model.backbone.backbone(inputs[b])
        started = time.perf_counter()
        for b in batches:
            model.backbone.backbone(inputs[b])
    return time.perf_counter() - started


def overhead(method: str, budget: int, repeats: int, size: int = 224) -> dict:
    """The explanation's wall time over its forward passes' alone, ``repeats`` times alternated
    (the ratio moves by a few per cent from run to run on a 2-core machine): median and range."""
    model = efficientnet_lite0()
    model.backbone = TimedBackbone(model.backbone)
    query, result, _ = sample_pair(size)
    explain_correspondence(model, query, result, method="ig-sam")  # warm-up: exports the model for this size
    ratios, runs = [], []
    for _ in range(repeats):
        model.backbone.batches.clear()
        started = time.perf_counter()
        if method == "kernel-shap":
            game = FirstOrderSearchGame.for_images(model, query, result, batch_size=32)
            explain_first_order(game, budget, random_state=0)
        else:
            explain_correspondence(model, query, result, players=4, method=method, budget=budget, random_state=0)
        seconds = time.perf_counter() - started
        batches = list(model.backbone.batches)
        alone = model_only_seconds(model, batches, size)
        ratios.append(seconds / alone)
        runs.append((int(sum(batches)), seconds, alone))
    passes, seconds, alone = runs[int(np.argsort(ratios)[len(ratios) // 2])]
    return {"method": method, "budget": budget, "forward_passes": passes, "seconds": seconds, "model_seconds": alone,
            "overhead_ratio": float(np.median(ratios)), "ratio_range": (min(ratios), max(ratios))}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[2000])
    parser.add_argument("--repeats", type=int, default=4, help="timed batches per backend")
    parser.add_argument("--overhead-repeats", type=int, default=3, help="explanations per method and budget")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    images = torch.rand(64, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    rows = []
    for backend, batch in BACKENDS:
        rate, difference = images_per_second(backend, batch, args.repeats, images)
        rows.append({"backend": backend, "batch": batch, "images_per_second": rate, "max_abs_difference": difference})
    base = rows[0]["images_per_second"]
    lines = [f"### EfficientNet-Lite0 at 224 px, {torch.get_num_threads()} threads",
             "", "| backend | batch | images/s | × eager (batch 64) | max abs difference |", "|---|---|---|---|---|"]
    lines += [f"| {r['backend']} | {r['batch']} | {r['images_per_second']:.1f} | {r['images_per_second'] / base:.2f} | "
              f"{r['max_abs_difference']:.1e} |" for r in rows]
    overheads = [overhead(method, budget, args.overhead_repeats) for budget in args.budgets
                 for method in ("kernel-shap", "factorised", "kernel")]
    lines += ["", f"### Overhead: explanation time / time of its forward passes alone (default backend; median of "
              f"{args.overhead_repeats} runs)", "",
              "| method | budget | forward passes | seconds | model alone (s) | overhead ratio | range |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {o['method']} | {o['budget']} | {o['forward_passes']} | {o['seconds']:.1f} | {o['model_seconds']:.1f} | "
              f"{o['overhead_ratio']:.3f} | {o['ratio_range'][0]:.3f}–{o['ratio_range'][1]:.3f} |" for o in overheads]
    text = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "speed.md").write_text(text)
    (args.out / "speed.json").write_text(json.dumps({"backends": rows, "overhead": overheads}, indent=1))
    print(text)
    return text


if __name__ == "__main__":
    main()
