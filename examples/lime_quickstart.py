# %% [markdown]
# # lime_search in 30 seconds
#
# LIME explanations of why a cat (query) and a collage holding it (result) are similar,
# offline. First order runs on lime's own `LimeImageExplainer` and returns lime's
# `ImageExplanation`; second order is the paper's LIME over joint coalitions of query and result
# superpixels, which lime itself cannot express.
#
# Run it as a script (`python examples/lime_quickstart.py`: figures in `outputs/lime`) or as a
# notebook (`jupytext --to notebook examples/lime_quickstart.py`). The paper uses 5,000 and
# 20,000 samples; these budgets finish in about half a minute on a CPU.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
from skimage.segmentation import mark_boundaries

from axiomatic_search.data import sample_pair
from axiomatic_search.zoo import efficientnet_lite0
from lime_search import LimeSearchExplainer, SecondOrderLimeExplainer, plots

# %% tags=["parameters"]
size = 160  # pixels a side
samples = 400  # lime samples, first order (paper: 5,000)
second_samples = 1000  # joint samples, second order (paper: 20,000)
out = "outputs/lime"  # folder for the figures

# %%
out = Path(out)
out.mkdir(parents=True, exist_ok=True)
model = efficientnet_lite0()
query, result, _ = sample_pair(size)

# %% [markdown]
# **First order**, lime's way: label 0 is the similarity to the query; `get_image_and_mask`
# marks the five superpixels that add most.

# %%
explanation = LimeSearchExplainer().explain_instance(query, result, model, num_samples=samples, random_state=0)
image, mask = explanation.get_image_and_mask(0, positive_only=True, num_features=5, hide_rest=False)
figure, axes = plt.subplots(1, 2, figsize=(6.4, 3.2))
axes[0].imshow(query)
axes[0].set_title("query")
axes[1].imshow(mark_boundaries(image, mask))
axes[1].set_title("LIME: the 5 regions that add most")
for ax in axes:
    ax.axis("off")
figure.savefig(out / "first_order.png", dpi=150, bbox_inches="tight")

# %% [markdown]
# Every segment's weight, numbered by lime's segment ids (`explanation.local_exp[0]`), with a
# colour bar and a bar plot.

# %%
figure = plots.regions(explanation, path=out / "regions.png")

# %% [markdown]
# **Second order**: where each query cell lands in the result.

# %%
joint = SecondOrderLimeExplainer(players=4).explain_instance(
    query, result, model, num_samples=second_samples, random_state=0)
figure = plots.correspondence(joint, query, result, path=out / "correspondence.png")
print(f"LIME surrogate score {explanation.score:.3f}; strongest query cell → result cell: "
      f"{dict(enumerate(joint.query_result_block.argmax(axis=1).tolist()))}; figures in {out}")
