"""captum_search against the propositions it implements (4.1, 5.1) and the dummy axiom (A.4)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search import exact_shapley_taylor, exact_shapley_values
from axiomatic_search.feature_games import FeatureMapGame, SecondOrderFeatureMapGame
from axiomatic_search.models import GreyBoxSimilarity, cosine
from captum_search import IGSAM, SAM, KernelSAM, SearchGradCAM, SecondOrderKernelSAM, SecondOrderSAM, gap_head, upsample


def conv_model(metric: str = "dot") -> GreyBoxSimilarity:
    torch.manual_seed(0)
    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 5, 3, stride=2, padding=1), torch.nn.ReLU()).double()
    return GreyBoxSimilarity(backbone, metric=metric)


def images(batch: int, size: int, seed: int) -> torch.Tensor:
    return torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("with_background", [False, True])
def test_sam_is_the_exact_shapley_value_of_the_gap_dot_game(with_background):
    """Prop. 4.1."""
    model = conv_model()
    queries, results, others = images(2, 8, 0), images(2, 8, 1), images(2, 8, 2)
    baseline = others if with_background else None
    sam = SAM(model).attribute(queries, results, baseline=baseline)
    assert sam.shape == (2, 4, 4)
    for k in range(2):
        background = model.feature_maps(others[k : k + 1])[0] if with_background else None
        game = FeatureMapGame(model, model.feature_maps(queries[k : k + 1])[0],
                              model.feature_maps(results[k : k + 1])[0], background=background)
        np.testing.assert_allclose(sam[k].reshape(-1).detach().numpy(), exact_shapley_values(game).values, atol=1e-6)


def test_second_order_sam_is_the_exact_shapley_taylor_block():
    """Prop. 5.1, with backgrounds on both sides."""
    model = conv_model()
    queries, results = images(1, 6, 3), images(1, 4, 4)
    query_background, result_background = images(1, 6, 5), images(1, 4, 6)
    block = SecondOrderSAM(model).attribute(queries, results, query_background, result_background)
    assert block.shape == (1, 9, 4)
    game = SecondOrderFeatureMapGame(model, model.feature_maps(queries)[0], model.feature_maps(results)[0],
                                     model.feature_maps(query_background)[0], model.feature_maps(result_background)[0])
    exact = exact_shapley_taylor(game)
    np.testing.assert_allclose(block[0].detach().numpy(), exact.query_result_block, atol=1e-6)


def test_kernel_sam_matches_exact_on_a_cosine_head_and_second_order_kernel_too():
    model = conv_model("cosine")
    queries, results = images(1, 6, 7), images(1, 6, 8)
    first = KernelSAM(model).attribute(queries, results, n_samples=2**9, random_state=0)
    game = FeatureMapGame(model, model.feature_maps(queries)[0], model.feature_maps(results)[0])
    np.testing.assert_allclose(first[0].reshape(-1).numpy(), exact_shapley_values(game).values, atol=1e-8)
    small_q, small_r = images(1, 4, 9), images(1, 6, 10)
    second = SecondOrderKernelSAM(model).attribute(small_q, small_r, n_samples=2**13, random_state=0)
    joint = SecondOrderFeatureMapGame(model, model.feature_maps(small_q)[0], model.feature_maps(small_r)[0])
    np.testing.assert_allclose(second[0].numpy(), exact_shapley_taylor(joint).query_result_block, atol=1e-8)


def left_half_ignoring_head(query_maps: torch.Tensor, result_maps: torch.Tensor) -> torch.Tensor:
    """``d(x, y) = cos(GAP(x), GAP(y ⊙ M))`` with ``M`` zeroing the left half (paper Fig. 8)."""
    mask = torch.ones_like(result_maps)
    mask[..., : result_maps.shape[-1] // 2] = 0
    return gap_head(cosine)(query_maps, result_maps * mask)


def test_dummy_axiom_kernel_sam_and_ig_sam_respect_it_gradcam_does_not():
    model = conv_model("cosine")
    queries, results = images(1, 8, 11), images(1, 8, 12)
    kernel = KernelSAM(model, head=left_half_ignoring_head).attribute(queries, results, n_samples=2000, random_state=0)
    ig = IGSAM(model, head=left_half_ignoring_head).attribute(queries, results, n_steps=32)
    cam = SearchGradCAM(model, head=left_half_ignoring_head).attribute(queries, results)
    assert ig[..., :2].abs().max() < 1e-12 and ig[..., 2:].abs().max() > 1e-4
    # sampled Kernel SAM: the probes find the ignored half, which gets exactly zero ...
    assert kernel[..., :2].abs().max() == 0.0 and kernel[..., 2:].abs().max() > 1e-4
    # ... and without them the sampling noise leaks onto it (the probes are what makes it zero)
    unprobed = KernelSAM(model, head=left_half_ignoring_head, null_probes=0).attribute(queries, results, n_samples=2000,
                                                                                        random_state=0)
    assert unprobed[..., :2].abs().max() > 1e-6
    # ... and exactly zero once the budget covers every coalition (the dummy axiom)
    exact = KernelSAM(model, head=left_half_ignoring_head).attribute(queries, results, n_samples=2**16)
    assert exact[..., :2].abs().max() < 1e-9 and exact[..., 2:].abs().max() > 1e-4
    np.testing.assert_allclose(kernel[..., 2:].numpy(), exact[..., 2:].numpy(), atol=0.05 * exact.abs().max().item())
    assert cam[..., :2].abs().max() > 1e-3  # GradCAM credits locations the head never sees


def test_ig_sam_completeness_gap_shrinks_with_more_steps():
    model = conv_model("cosine")
    queries, results = images(2, 8, 13), images(2, 8, 14)
    gaps = [IGSAM(model).attribute(queries, results, baseline="blur", n_steps=steps,
                                   return_convergence_delta=True)[1].abs().max().item() for steps in (2, 8, 64)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-4


def test_ig_sam_equals_sam_for_a_dot_gap_head():
    """For d = GAP·GAP the soft-mask game is linear, so IG-SAM = SAM exactly."""
    model = conv_model("dot")
    queries, results = images(1, 8, 15), images(1, 8, 16)
    np.testing.assert_allclose(IGSAM(model).attribute(queries, results, n_steps=8).detach().numpy(),
                               SAM(model).attribute(queries, results).numpy(), atol=1e-9)


def test_upsample_and_bad_inputs():
    model = conv_model()
    queries, results = images(1, 8, 0), images(1, 8, 1)
    assert upsample(SAM(model).attribute(queries, results), (8, 8)).shape == (1, 1, 8, 8)
    with pytest.raises(TypeError, match="GreyBoxSimilarity"):
        SAM(lambda q, r: q)
    assert torch.equal(SAM(model).attribute(queries[0], results), SAM(model).attribute(queries, results))
    with pytest.raises(ValueError, match=r"queries must be a \(B, C, H, W\) or \(C, H, W\) tensor, got shape \(8, 8\)"):
        SAM(model).attribute(queries[0, 0], results)
    with pytest.raises(ValueError, match="baseline has shape"):
        SAM(model).attribute(queries, results, baseline=torch.zeros(1, 3, 5, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="unknown baseline"):
        SAM(model).attribute(queries, results, baseline="noise")
    four_channels = GreyBoxSimilarity(torch.nn.Identity())
    with pytest.raises(ValueError, match="channels"):
        SecondOrderSAM(four_channels).attribute(torch.ones(1, 3, 2, 2), torch.ones(1, 4, 2, 2))
    with pytest.raises(ValueError, match="channel"):
        FeatureMapGame(model, torch.ones(3, 2, 2), torch.ones(4, 2, 2))
    with pytest.raises(ValueError, match="pair them up"):
        SAM(model).attribute(images(2, 8, 0), results)
    frozen_head = lambda q, r: gap_head(cosine)(q, r).detach()  # noqa: E731
    for explainer in (IGSAM(model, head=frozen_head), SearchGradCAM(model, head=frozen_head)):
        with pytest.raises(ValueError, match="not differentiable"):
            explainer.attribute(queries, results)


def test_second_order_ig_sam_is_a_quarter_of_shapley_taylor_on_gap_dot():
    """A.12: Γ = ¼ ψ² for the GAP dot-product similarity, with backgrounds."""
    from captum_search import SHAPLEY_TAYLOR_RATIO, SecondOrderIGSAM

    model = conv_model("dot")
    queries, results = images(1, 6, 20), images(1, 4, 21)
    query_background, result_background = images(1, 6, 22), images(1, 4, 23)
    hessians = SecondOrderIGSAM(model).attribute(queries, results, query_background, result_background, n_steps=8)
    closed = SecondOrderSAM(model).attribute(queries, results, query_background, result_background)
    assert SHAPLEY_TAYLOR_RATIO == 0.25
    np.testing.assert_allclose(hessians.detach().numpy(), SHAPLEY_TAYLOR_RATIO * closed.numpy(), atol=1e-9)


def test_integrated_gradients_on_pixels_is_complete():
    from captum_search import SearchIntegratedGradients

    model = conv_model("cosine")
    queries, results = images(2, 8, 26), images(2, 8, 27)
    explainer = SearchIntegratedGradients(model)
    attributions, delta = explainer.attribute(queries, results, n_steps=128, return_convergence_delta=True)
    total = attributions.sum(dim=(1, 2, 3)).abs()
    assert attributions.shape == results.shape and (delta.abs() < 0.05 * total).all()
    _, coarse = explainer.attribute(queries, results, n_steps=2, return_convergence_delta=True)
    assert coarse.abs().sum() > delta.abs().sum()


def test_sam_on_a_cosine_head_is_normalised():
    model = conv_model("cosine")
    queries, results, others = images(1, 8, 30), images(1, 8, 31), images(1, 8, 32)
    sam = SAM(model).attribute(queries, results, baseline=others)
    with torch.no_grad():
        gx, gy, gb = (model.feature_maps(t).mean(dim=(2, 3))[0] for t in (queries, results, others))
    expected = float(gx @ (gy - gb) / (gx.norm() * gy.norm()))
    assert float(sam.sum()) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("pair", ["positive", "negative"])
def test_vesm_is_the_w_weighted_cam_on_a_gap_model(pair):
    """With a GAP embedding, VESM's Grad-CAM weights are w_k / (h w): the map is ReLU(Σ_k w_k A^k) / (h w),
    w from the pair's normalised embeddings (checked per pair of a batch of two, non-square maps, sides of
    different sizes)."""
    from captum_search import VESM

    model = conv_model("cosine")
    queries, results = torch.rand(2, 3, 10, 6, dtype=torch.float64), images(2, 8, 11)
    for explain, (fixed, explained) in (("result", (queries, results)), ("query", (results, queries))):
        maps = VESM(model, pair=pair).attribute(queries, results, explain=explain)
        a = model.feature_maps(explained).detach()
        f_fixed = torch.nn.functional.normalize(model.feature_maps(fixed).mean(dim=(2, 3)), dim=1)
        f_explained = torch.nn.functional.normalize(a.mean(dim=(2, 3)), dim=1)
        w = (f_fixed - f_explained).abs()
        w = 1 - w if pair == "positive" else w
        expected = torch.relu(torch.einsum("bc,bchw->bhw", w, a)) / (a.shape[2] * a.shape[3])
        assert maps.shape == expected.shape == (2, *a.shape[2:])
        torch.testing.assert_close(maps, expected)
        assert not torch.allclose(maps[0], maps[1])  # each pair its own weights and maps
    with pytest.raises(ValueError, match="unknown pair 'neutral'"):
        VESM(model, pair="neutral")
