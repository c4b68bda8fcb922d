# %% [markdown]
# # captum_search in 30 seconds
#
# Grey-box search attributions as captum `Attribution` classes, on a cat (query) and a collage
# holding it (result), offline. EfficientNet-Lite0 gives 7×7×1280 feature maps at 224 px: SAM is
# the exact Shapley value of each feature-map cell for a GAP dot-product head (paper Prop. 4.1),
# IG-SAM integrates gradients along a soft spatial mask, and the second-order forms give the
# query×result block (Prop. 5.1, A.12) in four forward passes.
#
# Run it as a script (`python examples/captum_quickstart.py`: figures in `outputs/captum`) or as
# a notebook (`jupytext --to notebook examples/captum_quickstart.py`).

# %%
import time
from pathlib import Path

import matplotlib.pyplot as plt
from captum.attr import visualization

from axiomatic_search.data import sample_pair
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
    plots,
    upsample,
)

# %% tags=["parameters"]
size = 224  # pixels a side
ig_steps = 50  # integration steps for IG-SAM
kernel_samples = 5000  # Kernel SAM evaluations (the paper's)
second_samples = 500  # second-order Kernel SAM: feature-map evaluations (paper: 40,000)
pixel_steps = 16  # integration steps for Integrated Gradients on pixels
out = "outputs/captum"  # folder for the figures

# %%
out = Path(out)
out.mkdir(parents=True, exist_ok=True)
model = efficientnet_lite0()
query, result, _ = sample_pair(size)  # (H, W, 3) arrays; (B, C, H, W) tensors, paths and PIL images work too


def timed(name, run):
    started = time.perf_counter()
    attribution = run()
    print(f"{name:<16} {time.perf_counter() - started:6.2f} s")
    return attribution


# %% [markdown]
# **First order** on the result, against its blurred copy's features (`baseline="blur"`).

# %%
first_order = {
    "SAM": timed("SAM", lambda: SAM(model).attribute(query, result, baseline="blur")),
    "IG-SAM": timed("IG-SAM", lambda: IGSAM(model).attribute(query, result, baseline="blur", n_steps=ig_steps)),
    "Search GradCAM": timed("Search GradCAM", lambda: SearchGradCAM(model).attribute(query, result)),
    "Kernel SAM": timed("Kernel SAM", lambda: KernelSAM(model).attribute(
        query, result, baseline="blur", n_samples=kernel_samples, random_state=0)),
}
figure, axes = plt.subplots(1, len(first_order), figsize=(3.2 * len(first_order), 3.2))
for ax, (name, maps) in zip(axes, first_order.items()):
    heat = upsample(maps.detach(), (size, size))[0].permute(1, 2, 0).numpy()
    visualization.visualize_image_attr(heat, result, method="blended_heat_map", sign="all",
                                       plt_fig_axis=(figure, ax), use_pyplot=False, title=name)
figure.savefig(out / "first_order.png", dpi=150, bbox_inches="tight")

# %% [markdown]
# The paper's pixel-space baseline: captum's Integrated Gradients on the result's pixels, from
# its blurred copy, with captum's convergence delta (the completeness gap).

# %%
pixels, delta = timed("IG on pixels", lambda: SearchIntegratedGradients(model).attribute(
    query, result, n_steps=pixel_steps, return_convergence_delta=True))
print(f"Integrated Gradients on pixels: completeness gap {float(delta.abs().max()):.2e}")

# %% [markdown]
# IG-SAM's cells, numbered `k = row · w + col` on the `h × w` feature map, with a colour bar and a
# bar plot.

# %%
figure = plots.regions(first_order["IG-SAM"], result, path=out / "regions.png")

# %% [markdown]
# **Second order**: which query cells interact with which result cells.

# %%
block = timed("second-order IG-SAM", lambda: SecondOrderIGSAM(model).attribute(query, result, "blur", "blur"))
exact = timed("second-order SAM", lambda: SecondOrderSAM(model).attribute(query, result, "blur", "blur"))
kernel = timed("second-order Kernel SAM", lambda: SecondOrderKernelSAM(model).attribute(
    query, result, "blur", "blur", n_samples=second_samples, random_state=0))
feature_map = tuple(first_order["SAM"].shape[-2:])  # the (h, w) of the feature maps: 7×7 here
figure = plots.correspondence(block, query, result, query_map=feature_map, path=out / "correspondence.png")
for name, found in (("IG-SAM", block), ("SAM", exact), ("Kernel SAM", kernel)):
    strongest = int(found[0].max(dim=1).values.argmax())
    print(f"{name}: the strongest query cell, {strongest}, lands on result cell {int(found[0, strongest].argmax())}")
print(f"feature maps {feature_map}; figures in {out}")
