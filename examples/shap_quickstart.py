"""shap_search quickstart: explain a pair of real photos with shap, offline.

    python examples/shap_quickstart.py --out outputs/shap

Writes three figures: first-order heatmaps of query and result (``shap.plots.image``), a
counterfactual explanation ("why this collage rather than the blurred-out coffee photo?"), and
query-to-result correspondences from the Shapley–Taylor explainer (paper Fig. 4).
The paper's budgets (5,000 and 20,000 evaluations) are the defaults of the explainers; this
script uses smaller ones so it runs in a couple of minutes on a CPU.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import shap

from axiomatic_search.data import load_photo, sample_pair
from axiomatic_search.zoo import efficientnet_lite0
from shap_search import SearchExplainer, ShapleyTaylorExplainer, plots


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/shap"))
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--segments", type=int, default=50)
    parser.add_argument("--first-evals", type=int, default=400)
    parser.add_argument("--second-evals", type=int, default=1000)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    model = efficientnet_lite0()
    query, result, _ = sample_pair(args.size)

    # First order, both sides: which superpixels make the pair similar?
    explain_result = SearchExplainer(model, n_segments=args.segments)
    explain_query = SearchExplainer(model, n_segments=args.segments, explain="query")
    on_result = explain_result(query, result, max_evals=args.first_evals, random_state=0)
    on_query = explain_query(query, result, max_evals=args.first_evals, random_state=0)
    plots.side_by_side(on_query, on_result, path=args.out / "first_order.png")
    plt.close("all")

    # Counterfactual: the coffee photo as background — credit goes to what beats it.
    coffee = load_photo("coffee", args.size)
    counterfactual = SearchExplainer(model, n_segments=args.segments, background=coffee)
    versus_coffee = counterfactual(query, result, max_evals=args.first_evals, random_state=0)
    shap.plots.image(versus_coffee, show=False)
    plt.gcf().savefig(args.out / "counterfactual.png", dpi=110, bbox_inches="tight")
    plt.close("all")

    # Second order: where does each query region land in the result?
    joint = ShapleyTaylorExplainer(model, players=(3, 4))
    correspondence = joint(query, result, max_evals=args.second_evals, random_state=0)
    plots.correspondence(correspondence, query, result, path=args.out / "correspondence.png")
    plt.close("all")
    print(f"similarity {on_result.base_values[0] + on_result.values[0].sum():.3f}; "
          f"figures in {args.out}")


if __name__ == "__main__":
    main()
