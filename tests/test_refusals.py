"""Every input an audit found explained wrongly, silently degenerate, or refused with an error that
did not name the argument: now explained correctly, refused with a ValueError / TypeError naming
the argument, or warned about with the figure."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search import FunctionGame, KernelShap, KernelShapleyTaylor
from axiomatic_search.correspondence import explain_correspondence
from axiomatic_search.explain import explain_first_order, explain_second_order
from axiomatic_search.images import as_image_tensor, slic_segments
from axiomatic_search.masking import ImageMasker, VectorMasker
from axiomatic_search.models import CallableSimilarity, GreyBoxSimilarity
from axiomatic_search.search_games import FirstOrderSearchGame, SecondOrderSearchGame

RNG = np.random.default_rng(5)
IMAGE = RNG.random((8, 10, 3))
MODEL = CallableSimilarity(lambda q, r: (q * r).flatten(1).mean(1) + r.flatten(1).std(1))
CONV = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU())
GREY = GreyBoxSimilarity(CONV, metric="cosine")
LINEAR = FunctionGame(lambda c: c @ np.arange(1.0, 9.0), n_players=8)


def test_silent_wrong_results_are_refused_or_converted():
    with pytest.raises(ValueError, match=r"query has pixel values in \[.*\]; float images must lie in \[0, 1\]"):
        FirstOrderSearchGame.for_images(MODEL, IMAGE * 255, IMAGE, players=2)
    scaled = as_image_tensor(IMAGE * 255, pixel_range=(0, 255))
    assert torch.allclose(scaled, as_image_tensor(IMAGE))
    rgba = torch.cat([torch.from_numpy(IMAGE).permute(2, 0, 1).float(), torch.ones(1, 8, 10)])
    with pytest.warns(UserWarning, match="transparency"):  # an opaque RGBA tensor is its RGB
        assert torch.allclose(as_image_tensor(rgba), rgba[:3])
    game = SecondOrderSearchGame.for_images(MODEL, IMAGE, IMAGE, players=2, background="black")
    found = explain_second_order(game, method="exact")
    with pytest.raises(ValueError, match=r"point \(row, col\) = \(-1, -1\) is outside the 8×10 image"):
        found.project_mask((-1, -1))


def test_grey_box_closed_forms_refuse_nan_pixels_and_undefined_cosines():
    from captum_search import IGSAM, SAM, SearchGradCAM, SearchIntegratedGradients

    images = torch.rand(1, 3, 6, 6)
    broken = images.clone()
    broken[0, 0, 0, 0] = torch.nan
    for explainer in (SAM(GREY), IGSAM(GREY), SearchGradCAM(GREY), SearchIntegratedGradients(GREY)):
        with pytest.raises(ValueError, match="results contains NaN or inf pixels"):
            explainer.attribute(images, broken)
    dead = GreyBoxSimilarity(lambda x: torch.zeros(len(x), 4, 3, 3), metric="cosine")  # every embedding is 0
    with pytest.raises(ValueError, match="zero norm"):
        SAM(dead).attribute(images, images)
    exploding = GreyBoxSimilarity(lambda x: x / 0.0, metric="dot")
    with pytest.raises(ValueError, match="SAM produced NaN or inf"):
        SAM(exploding).attribute(images, images, baseline="blur")


def test_second_order_lime_on_images_equal_to_their_background():
    from lime_search import SecondOrderLimeExplainer

    black = np.zeros((8, 8, 3))
    with pytest.raises(ValueError, match="equal their background everywhere"):
        SecondOrderLimeExplainer(players=2, background="black").explain_instance(black, black, MODEL, num_samples=50)


def test_budgets_too_small_for_a_meaningful_answer_are_refused():
    from lime_search import LimeSearchExplainer, SecondOrderLimeExplainer
    from shap_search import SearchExplainer

    with pytest.raises(ValueError, match="budget=2 is too small: Kernel SHAP over 8 players"):
        KernelShap().estimate(LINEAR, 2)
    with pytest.raises(ValueError, match="budget=10 is too small"):  # n + 2: no sampled coalition
        KernelShapleyTaylor().estimate(LINEAR, 10)
    with pytest.raises(ValueError, match="num_samples must be at least"):
        LimeSearchExplainer(n_segments=4).explain_instance(IMAGE, IMAGE, MODEL, num_samples=1)
    for samples in (0, 1, 2):
        with pytest.raises(ValueError, match="num_samples must be at least 10"):
            SecondOrderLimeExplainer(players=2).explain_instance(IMAGE, IMAGE, MODEL, num_samples=samples)
    for max_evals in (0, -3):
        with pytest.raises(ValueError, match="max_evals must be at least 1"):
            SearchExplainer(MODEL, algorithm="partition")(IMAGE, IMAGE, max_evals=max_evals)
    with pytest.raises(ValueError, match=r"max_evals=100 is too small for method='exact': .* 2\^9 = 512"):
        SearchExplainer(MODEL, algorithm="exact", players=3)(IMAGE, IMAGE, max_evals=100)
    game = FirstOrderSearchGame.for_images(MODEL, IMAGE, IMAGE, players=3)
    with pytest.raises(ValueError, match=r"budget=300 is too small for method='exact'"):
        explain_first_order(game, 300, method="exact")
    assert explain_first_order(game, 512, method="exact").n_evaluations == 512


def test_underdetermined_and_rank_deficient_designs_warn_with_the_figure():
    with pytest.warns(RuntimeWarning, match=r"underdetermined .*: 20 sampled coalitions for 27 free pair values"):
        KernelShapleyTaylor().estimate(LINEAR, 30, random_state=0)
    from axiomatic_search.estimators.kernel_shap import solve_constrained_linear

    design = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=float)  # complements: one direction of three
    with pytest.warns(RuntimeWarning, match="pin down 1 of the 3 free values"):
        solve_constrained_linear(design, np.ones(2), np.array([1.0, 2.0]), total=3.0)
    from axiomatic_search.estimators.pair_algebra import johnson_eigenvalues, solve_pairs
    from axiomatic_search.estimators.kernel_shapley_taylor import shapley_taylor_size_mass

    coalitions = RNG.random((40, 8)) < 0.5
    with pytest.warns(RuntimeWarning, match=r"conjugate gradients stopped after 1 iterations at relative residual"):
        solve_pairs(coalitions, np.ones(40), RNG.normal(size=40), 1.0, johnson_eigenvalues(8, shapley_taylor_size_mass(8)),
                    max_iter=1)


def test_errors_name_the_argument():
    from captum_search import IGSAM, KernelSAM, SearchIntegratedGradients, SecondOrderIGSAM
    from shap_search import ShapleyTaylorExplainer

    with pytest.raises(ValueError, match="n_segments must be at least 1"):
        slic_segments(IMAGE, n_segments=0)
    with pytest.raises(ValueError, match=r"background must have shape \(3,\) or \(K, 3\) with K ≥ 1"):
        VectorMasker(np.ones(3), background=np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"players as a tuple must be a \(rows, cols\) grid of two ints"):
        ImageMasker(IMAGE, players=(2, 2, 2))
    with pytest.raises(ValueError, match="channels-last"):
        as_image_tensor(torch.rand(8, 10, 3), name="query")
    assert as_image_tensor(torch.rand(1, 8, 10)).shape == (3, 8, 10)  # one channel: greyscale, as for arrays
    with pytest.raises(ValueError, match="n_samples=10 is too small"):
        KernelSAM(GREY).attribute(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4), n_samples=10)
    for explainer in (IGSAM(GREY), SecondOrderIGSAM(GREY), SearchIntegratedGradients(GREY)):
        with pytest.raises(ValueError, match="n_steps must be at least 1, got 0"):
            explainer.attribute(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4), n_steps=0)
    with pytest.raises(ValueError, match="unknown method 'foo'"):
        ShapleyTaylorExplainer(MODEL, method="foo")
    with pytest.raises(ValueError, match="budget must be at least 1"):
        explain_correspondence(GREY, IMAGE, IMAGE, players=2, method="sam", budget=0)


def test_weight_files_that_do_not_fit_name_the_file_and_the_keys(tmp_path):
    from axiomatic_search.zoo import efficientnet_lite0_classifier
    from axiomatic_search.zoo_torchvision import torchvision_similarity

    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint")
    with pytest.raises(ValueError, match=r"weights: .*notes.pth is not a PyTorch checkpoint"):
        efficientnet_lite0_classifier(text)
    foreign = tmp_path / "foreign.pth"
    torch.save({"_blocks.101._bn1.weight": torch.ones(3)}, foreign)
    with pytest.raises(ValueError, match=r"foreign.pth: key '_blocks.101._bn1.weight' is not an EfficientNet-Lite0"):
        efficientnet_lite0_classifier(foreign)
    small = tmp_path / "small.pth"
    torch.save({"conv1.weight": torch.ones(2, 2)}, small)
    with pytest.raises(ValueError, match=r"small.pth does not fit torchvision's resnet50: missing \d+: .*unexpected"
                                         r"|small.pth does not fit torchvision's resnet50: missing"):
        torchvision_similarity("resnet50", weights=small)
    with pytest.raises(ValueError, match="weights: no such file"):
        efficientnet_lite0_classifier(tmp_path / "missing.pth")
