# %% [markdown]
# # shap_search in 30 seconds
#
# Why does the model find two photos similar, and which part of the query matches which part
# of the result? A cat (query) against a collage holding it (result), offline: the sample
# photos and EfficientNet-Lite0's ImageNet weights ship with the package.
#
# Run it as a script (`python examples/shap_quickstart.py`: figures in `outputs/shap`) or as a
# notebook (`jupytext --to notebook examples/shap_quickstart.py`, or open it with Jupyter's
# jupytext plugin). The budgets are small so it finishes in about half a minute on a CPU; the
# paper's are 5,000 evaluations (first order) and 20,000 (second order).

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import shap

from axiomatic_search.data import load_photo, sample_pair
from axiomatic_search.zoo import efficientnet_lite0
from shap_search import SearchExplainer, ShapleyTaylorExplainer, plots

# %% tags=["parameters"]
size = 160  # pixels a side
first_evals = 300  # evaluations per first-order explanation (paper: 5,000)
second_evals = 1000  # forward passes for the correspondence (paper: 20,000 joint evaluations)
out = "outputs/shap"  # folder for the figures

# %%
out = Path(out)
out.mkdir(parents=True, exist_ok=True)
model = efficientnet_lite0()  # offline weights, ONNX Runtime on a CPU
query, result, _ = sample_pair(size)  # float (H, W, 3) arrays; paths and PIL images work too

# %% [markdown]
# **First order.** Which superpixels of the result make it similar to the query? A
# `shap.Explanation` that shap's own plots draw; its values add up to `v(N) − v(∅)`.

# %%
explainer = SearchExplainer(model)  # Kernel SHAP over 50 SLIC superpixels, 25 px blur
explanation = explainer(query, result, max_evals=first_evals, random_state=0)
shap.plots.image(explanation, show=False)
plt.gcf().savefig(out / "first_order.png", dpi=150, bbox_inches="tight")

# %% [markdown]
# The same values per region: numbered outlines on the result beside a bar plot, under the
# names `shap.plots.bar(explainer(..., output="players")[0])` uses.

# %%
figure = plots.regions(explanation[0], result, explainer.segmentation(result), path=out / "regions.png")

# %% [markdown]
# **Counterfactual** (paper Fig. 3): why this collage rather than the coffee photo? With the
# coffee photo as the background, credit goes to what the collage has and the coffee lacks.

# %%
coffee = load_photo("coffee", size)
versus_coffee = SearchExplainer(model, background=coffee)(query, result, max_evals=first_evals, random_state=0)
figure = plots.regions(versus_coffee[0], result, explainer.segmentation(result), path=out / "counterfactual.png")

# %% [markdown]
# **Second order** (paper Fig. 4): where does each part of the query land in the result? Lines
# from the strongest query cells to their best result cells, then where the strongest three
# land, over the whole result.

# %%
correspondence = ShapleyTaylorExplainer(model, players=4)(query, result, max_evals=second_evals, random_state=0)
figure = plots.correspondence(correspondence, query, result, path=out / "correspondence.png")
first_order_gap = abs(explanation.base_values[0] + explanation.values[0].sum() - correspondence.full_value)
print(f"similarity {correspondence.full_value:.3f}; efficiency gaps: first order {first_order_gap:.1e}, "
      f"second order {correspondence.efficiency_gap:.1e}; "
      f"query cell → result cell: {dict(enumerate(correspondence.query_result_block.argmax(axis=1).tolist()))}; "
      f"figures in {out}")
