"""lime_search quickstart: LIME explanations of a pair of real photos, offline.

    python examples/lime_quickstart.py --out outputs/lime

Writes lime's usual ``get_image_and_mask`` picture for the result (which superpixels make it
similar to the query) and the second-order LIME correspondence figure. The paper uses 5,000
and 20,000 samples; the defaults here are smaller so it runs in a few minutes on a CPU.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
from skimage.segmentation import mark_boundaries

from axiomatic_search.data import sample_pair
from axiomatic_search.plots import plot_explanation
from axiomatic_search.zoo import efficientnet_lite0
from lime_search import LimeSearchExplainer, SecondOrderLimeExplainer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/lime"))
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--segments", type=int, default=50)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--second-order-samples", type=int, default=1000)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    model = efficientnet_lite0()
    query, result, _ = sample_pair(args.size)

    explanation = LimeSearchExplainer(n_segments=args.segments).explain_instance(
        query, result, model, num_samples=args.samples, random_state=0)
    image, mask = explanation.get_image_and_mask(0, positive_only=True, num_features=5, hide_rest=False)
    figure, axes = plt.subplots(1, 2, figsize=(6.4, 3.2))
    axes[0].imshow(query)
    axes[0].set_title("query")
    axes[1].imshow(mark_boundaries(image, mask))
    axes[1].set_title("LIME: 5 most similar regions")
    for ax in axes:
        ax.axis("off")
    figure.savefig(args.out / "first_order.png", dpi=110, bbox_inches="tight")

    joint = SecondOrderLimeExplainer(players=(3, 4)).explain_instance(
        query, result, model, num_samples=args.second_order_samples, random_state=0)
    plot_explanation(query, result, None, joint, path=args.out / "correspondence.png")
    plt.close("all")
    print(f"LIME surrogate score {explanation.score:.3f}; figures in {args.out}")


if __name__ == "__main__":
    main()
