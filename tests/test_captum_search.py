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


def odd_shaped_pairs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two different pairs: queries give 5×3 feature maps, results (and their backgrounds) 4×2."""
    generator = torch.Generator().manual_seed(40)
    queries = torch.rand(2, 3, 10, 6, generator=generator, dtype=torch.float64)
    results = torch.rand(2, 3, 8, 4, generator=generator, dtype=torch.float64)
    others = torch.rand(2, 3, 8, 4, generator=generator, dtype=torch.float64)
    return queries, results, others


@pytest.mark.parametrize("explain", ["result", "query"])
def test_sam_on_non_square_maps_of_different_shapes_is_exact_per_pair(explain):
    """Prop. 4.1 pair by pair of a batch of two, with non-square maps that differ between query
    and result: a swapped height/width, a wrong map size or a batch-wide sum would show."""
    model = conv_model()
    queries, results, _ = odd_shaped_pairs()
    sam = SAM(model).attribute(queries, results, explain=explain)
    explained = results if explain == "result" else queries
    assert sam.shape == (2, *model.feature_maps(explained).shape[2:]) == ((2, 4, 2) if explain == "result" else (2, 5, 3))
    for k in range(2):
        game = FeatureMapGame(model, model.feature_maps(queries[k : k + 1])[0], model.feature_maps(results[k : k + 1])[0],
                              explain=explain)
        np.testing.assert_allclose(sam[k].reshape(-1).numpy(), exact_shapley_values(game).values, atol=1e-10)
    assert not torch.allclose(sam[0], sam[1])


def test_cosine_sam_normalises_each_pair_by_its_own_embeddings():
    """Cosine SAM of a batch equals SAM of each pair alone (per-pair norms), and each pair's
    values add up to ``GAP(x)·(GAP(y) − GAP(b)) / (‖GAP(x)‖ ‖GAP(y)‖)``."""
    model = conv_model("cosine")
    queries, results, others = odd_shaped_pairs()
    results = results * torch.tensor([1.0, 7.0], dtype=torch.float64)[:, None, None, None]  # very different norms
    batch = SAM(model).attribute(queries, results, baseline=others)
    for k in range(2):
        alone = SAM(model).attribute(queries[k : k + 1], results[k : k + 1], baseline=others[k : k + 1])
        torch.testing.assert_close(batch[k : k + 1], alone, rtol=1e-12, atol=1e-14)
        gx, gy, gb = (model.feature_maps(t[k : k + 1]).mean(dim=(2, 3))[0].detach() for t in (queries, results, others))
        assert float(batch[k].sum()) == pytest.approx(float(gx @ (gy - gb) / (gx.norm() * gy.norm())), rel=1e-10)


def test_vesm_defaults_are_the_positive_pair_on_the_result_and_its_relu_matters():
    """Pinned defaults (``pair="positive"``, ``explain="result"``) on a backbone whose feature maps
    take both signs, so the map's ReLU is not a no-op."""
    from captum_search import VESM

    torch.manual_seed(1)
    model = GreyBoxSimilarity(torch.nn.Conv2d(3, 5, 3, stride=2, padding=1).double(), metric="cosine")
    queries, results = torch.rand(2, 3, 10, 6, dtype=torch.float64), images(2, 8, 12)
    maps = VESM(model).attribute(queries, results)
    a = model.feature_maps(results).detach()
    w = 1 - (torch.nn.functional.normalize(model.feature_maps(queries).mean(dim=(2, 3)), dim=1)
             - torch.nn.functional.normalize(a.mean(dim=(2, 3)), dim=1)).abs()
    linear = torch.einsum("bc,bchw->bhw", w, a) / (a.shape[2] * a.shape[3])
    assert (linear < 0).any() and (linear > 0).any()
    torch.testing.assert_close(maps, torch.relu(linear))


def test_second_order_ig_sam_uses_the_given_head_and_its_step_count():
    from axiomatic_search.correspondence.grey_box import integrated_hessians
    from captum_search import SecondOrderIGSAM

    model = conv_model("cosine")
    queries, results = images(1, 6, 41), images(1, 8, 42)
    ignoring = SecondOrderIGSAM(model, head=left_half_ignoring_head).attribute(queries, results)
    columns = ignoring[0].reshape(9, 4, 4)
    assert columns[..., :2].abs().max() < 1e-12 and columns[..., 2:].abs().max() > 1e-6  # the ignored half gets nothing
    qm, rm = model.feature_maps(queries).detach(), model.feature_maps(results).detach()
    zeros_q, zeros_r = torch.zeros_like(qm[0]), torch.zeros_like(rm[0])
    default = SecondOrderIGSAM(model).attribute(queries, results)
    torch.testing.assert_close(default[0], integrated_hessians(model.head, qm[0], zeros_q, rm[0], zeros_r, n_steps=16))
    coarse = SecondOrderIGSAM(model).attribute(queries, results, n_steps=2)
    torch.testing.assert_close(coarse[0], integrated_hessians(model.head, qm[0], zeros_q, rm[0], zeros_r, n_steps=2))
    assert not torch.allclose(coarse, default)


class Overflowing(torch.nn.Module):
    """A backbone whose feature maps overflow to inf in the last channel."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1).double()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return torch.cat([out[:, :3], out[:, 3:] * float("inf")], dim=1)


@pytest.mark.parametrize("name", ["SAM", "SecondOrderSAM", "IGSAM", "SecondOrderIGSAM", "VESM"])
def test_non_finite_attributions_are_refused_naming_the_method(name):
    import captum_search

    model = GreyBoxSimilarity(Overflowing(), metric="dot")
    with pytest.raises(ValueError, match=rf"^{name} produced NaN or inf attributions"):
        getattr(captum_search, name)(model).attribute(images(1, 8, 43), images(1, 8, 44))


@pytest.mark.parametrize("explain", ["result", "query"])
def test_ig_sam_equals_sam_with_a_counterfactual_background_on_either_side(explain):
    """For the GAP-dot head the soft-mask game is linear in the mask, so IG SAM is SAM exactly,
    background and side included (non-square maps, a batch of two different pairs)."""
    model = conv_model("dot")
    queries, results, others = odd_shaped_pairs()
    if explain == "query":
        others = torch.rand(2, 3, 10, 6, generator=torch.Generator().manual_seed(45), dtype=torch.float64)
    ig = IGSAM(model).attribute(queries, results, baseline=others, explain=explain, n_steps=4)
    torch.testing.assert_close(ig.detach(), SAM(model).attribute(queries, results, baseline=others, explain=explain))


def test_ig_sam_integrates_with_50_steps_by_default():
    model = conv_model("cosine")
    queries, results = images(1, 8, 46), images(1, 8, 47)
    default = IGSAM(model).attribute(queries, results, baseline="blur").detach()
    torch.testing.assert_close(default, IGSAM(model).attribute(queries, results, baseline="blur", n_steps=50).detach(),
                               rtol=0, atol=0)
    assert not torch.equal(default, IGSAM(model).attribute(queries, results, baseline="blur", n_steps=51).detach())


def test_first_order_sam_is_unnormalised_by_default():
    from captum_search.sam import first_order_sam

    fixed, maps = torch.tensor([[3.0, 4.0]]), torch.arange(12.0).reshape(1, 2, 2, 3)
    plain = first_order_sam(fixed, maps, torch.zeros_like(maps))
    torch.testing.assert_close(plain, torch.einsum("bc,bchw->bhw", fixed, maps) / 6)
    norms = fixed.norm() * maps.mean(dim=(2, 3)).norm()
    torch.testing.assert_close(first_order_sam(fixed, maps, torch.zeros_like(maps), normalise=True), plain / norms)


def test_second_order_feature_map_game_with_a_custom_head_equals_the_gap_path():
    """A head given explicitly scores masked maps jointly; for the model's own GAP head it must
    give the factorised path's values (non-square maps of different shapes, both backgrounds)."""
    model = conv_model("cosine")
    query_maps, result_maps = model.feature_maps(images(1, 6, 48))[0], model.feature_maps(images(1, 8, 49))[0][:, :, :3]
    a, b = torch.rand_like(query_maps), torch.rand_like(result_maps)
    gap = SecondOrderFeatureMapGame(model, query_maps, result_maps, a, b)
    headed = SecondOrderFeatureMapGame(model, query_maps, result_maps, a, b, head=gap_head(cosine))
    coalitions = np.random.default_rng(0).random((20, gap.n_players)) < 0.5
    assert not headed.factorises and gap.factorises
    np.testing.assert_allclose(headed(coalitions), gap(coalitions), atol=1e-12)
    for argument in ("query_maps", "result_maps"):
        maps = {"query_maps": query_maps, "result_maps": result_maps, argument: torch.ones(3)}
        with pytest.raises(ValueError, match=rf"^{argument}\b"):
            SecondOrderFeatureMapGame(model, maps["query_maps"], maps["result_maps"])
    for argument in ("query_background", "result_background"):
        with pytest.raises(ValueError, match=rf"\b{argument}\b"):
            SecondOrderFeatureMapGame(model, query_maps, result_maps, **{argument: torch.ones(2, 2, 2)})



class OverflowingSecond(torch.nn.Module):
    """A backbone whose maps overflow only for images whose first pixel is above 0.5."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1).double()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.where(x.flatten(1)[:, :1] > 0.5, float("inf"), 1.0)[:, :, None, None]
        return self.conv(x) * scale


def test_ig_sam_checks_every_pair_and_returns_its_convergence_delta_per_pair():
    model = conv_model("cosine")
    queries, results = images(2, 8, 53), images(2, 8, 54)
    plain = IGSAM(model).attribute(queries, results, n_steps=8)
    with_delta, delta = IGSAM(model).attribute(queries, results, n_steps=8, return_convergence_delta=True)
    assert plain.shape == (2, 4, 4) and delta.shape == (2,)
    torch.testing.assert_close(with_delta, plain)
    queries[:, :, 0, 0] = 0.2
    results[0, :, 0, 0], results[1, :, 0, 0] = 0.2, 0.8  # only the second pair's result overflows
    overflowing = GreyBoxSimilarity(OverflowingSecond(), metric="dot")
    with pytest.raises(ValueError, match="^IGSAM produced NaN or inf"):
        IGSAM(overflowing).attribute(queries, results, n_steps=2)
    with pytest.raises(ValueError, match="^the head is not differentiable"):
        IGSAM(model, head=lambda q, r: gap_head(cosine)(q, r).detach()).attribute(queries, results)


@pytest.mark.parametrize("explain", ["result", "query"])
def test_feature_map_game_with_an_asymmetric_head_masks_the_explained_side(explain):
    """The head sees (query maps, result maps) in that order whichever side is masked."""
    model = conv_model("cosine")
    query_maps, result_maps = model.feature_maps(images(1, 6, 55))[0], model.feature_maps(images(1, 8, 56))[0]
    background = torch.rand_like(result_maps if explain == "result" else query_maps)
    game = FeatureMapGame(model, query_maps, result_maps, background=background, explain=explain,
                          head=left_half_ignoring_head)
    coalitions = np.random.default_rng(1).random((6, game.n_players)) < 0.5
    explained = result_maps if explain == "result" else query_maps
    masks = torch.from_numpy(coalitions).reshape(6, 1, *explained.shape[1:])
    masked = torch.where(masks, explained[None], background[None])
    fixed = (query_maps if explain == "result" else result_maps)[None].expand(6, -1, -1, -1)
    pair = (fixed, masked) if explain == "result" else (masked, fixed)
    np.testing.assert_allclose(game(coalitions), left_half_ignoring_head(*pair).detach().numpy(), atol=1e-12)
    gap_game = FeatureMapGame(model, query_maps, result_maps, background=background, explain=explain)
    gap_pair = (fixed, masked) if explain == "result" else (masked, fixed)
    np.testing.assert_allclose(gap_game(coalitions), gap_head(cosine)(*gap_pair).detach().numpy(), atol=1e-12)


def test_feature_map_game_names_the_argument_it_refuses():
    model = conv_model()
    maps = model.feature_maps(images(1, 8, 57))[0]
    for keywords, name in (({"query_maps": torch.ones(3)}, "query_maps"), ({"result_maps": torch.ones(3)}, "result_maps"),
                           ({"background": torch.ones(2, 2, 2)}, "background"), ({"background": torch.ones(3)}, "background"),
                           ({"explain": "both"}, "explain")):
        arguments = {"query_maps": maps, "result_maps": maps, **keywords}
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            FeatureMapGame(model, **arguments)


def test_ig_sam_on_the_query_side_gives_the_head_the_pair_in_its_order():
    """The left-half-ignoring head drops the *result's* left half: explaining the query, every query
    location counts; explaining the result, its left half gets nothing."""
    model = conv_model("cosine")
    queries, results = images(1, 8, 59), images(1, 8, 60)
    ig = IGSAM(model, head=left_half_ignoring_head)
    on_query = ig.attribute(queries, results, explain="query", n_steps=8).detach()
    on_result = ig.attribute(queries, results, explain="result", n_steps=8).detach()
    assert on_query[..., :2].abs().max() > 1e-4 and on_result[..., :2].abs().max() < 1e-12
