"""Kernel SAM and the dummy axiom (paper Fig. 8): the share of |attribution| that lands on
feature-map locations the head ignores.

The head is ``cos(GAP(x), GAP(y ⊙ M))`` with ``M`` zeroing the left half of the result's map,
so the left-half locations are dummies and every faithful method gives them 0. Kernel SAM at
``--samples`` evaluations, with and without the null-player probes, on EfficientNet-Lite0 maps
of two offline photos (224 px, 7 × 7 locations) with zero and blurred-image backgrounds, over
several seeds; IG-SAM for reference.

    python benchmarks/dummy_leak.py [--samples 5000] [--seeds 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from axiomatic_search.data import load_photo  # noqa: E402
from axiomatic_search.models import cosine, global_average_pool  # noqa: E402
from axiomatic_search.zoo import efficientnet_lite0  # noqa: E402
from captum_search import IGSAM, KernelSAM  # noqa: E402


def left_half_ignoring_head(query_maps: torch.Tensor, result_maps: torch.Tensor) -> torch.Tensor:
    mask = torch.ones_like(result_maps)
    mask[..., : result_maps.shape[-1] // 2] = 0
    return cosine(global_average_pool(query_maps), global_average_pool(result_maps * mask))


def leak(attributions: torch.Tensor) -> float:
    """Share of |attribution| on the ignored (left) half."""
    magnitude = attributions.abs()
    return float(magnitude[..., : attributions.shape[-1] // 2].sum() / magnitude.sum())


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    model = efficientnet_lite0()
    query = torch.from_numpy(load_photo("chelsea", 224).transpose(2, 0, 1).copy())[None]
    result = torch.from_numpy(load_photo("coffee", 224).transpose(2, 0, 1).copy())[None]
    rows = []
    for baseline in (None, "blur"):
        for probes in (0, 2):
            shares = [leak(KernelSAM(model, head=left_half_ignoring_head, null_probes=probes).attribute(
                query, result, baseline=baseline, n_samples=args.samples, random_state=seed)) for seed in range(args.seeds)]
            rows.append((baseline or "zero", f"Kernel SAM, null_probes={probes}", np.mean(shares), np.max(shares)))
        ig = IGSAM(model, head=left_half_ignoring_head).attribute(query, result, baseline=baseline, n_steps=32)
        rows.append((baseline or "zero", "IG-SAM (32 steps)", leak(ig), leak(ig)))
    lines = [f"### Share of |attribution| on ignored locations ({args.samples} samples, {args.seeds} seeds)", "",
             "| background | method | mean | worst |", "|---|---|---|---|"]
    lines += [f"| {b} | {m} | {mean:.2%} | {worst:.2%} |" for b, m, mean, worst in rows]
    text = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dummy_leak.md").write_text(text)
    print(text)
    return text


if __name__ == "__main__":
    main()
