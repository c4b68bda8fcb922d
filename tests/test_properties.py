"""Property-based tests over the public entry points of all four packages: generated images
(shapes, dtypes, ranges, NaN), players, backgrounds, budgets and model behaviours. Every call
either returns a finite result — efficient where the method promises it — or raises a
ValueError / TypeError whose message names one of the arguments; no other exception escapes.

``python -m pytest tests/test_properties.py --hypothesis-show-statistics`` shows the cases run.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axiomatic_search.correspondence import explain_correspondence
from axiomatic_search.explain import explain_first_order, explain_second_order
from axiomatic_search.factorised import EmbeddingSearchGame
from axiomatic_search.models import CallableSimilarity, EmbeddingSimilarity, GreyBoxSimilarity
from axiomatic_search.search_games import FirstOrderSearchGame, SecondOrderSearchGame

CASES = 300
PROPERTY = settings(max_examples=CASES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
torch.manual_seed(0)  # the small networks below are built once, at import


# ---- generated inputs: valid by default, one argument at a time made invalid --------------------

VALID_IMAGES = ["uint8", "float", "float64", "grey", "rgba", "tensor", "uint8 tensor", "list"]
INVALID_IMAGES = ["0..255 float", "negative", "nan", "int64", "channels-last tensor", "4d", "text"]


@st.composite
def images(draw, valid: bool = True):
    """A small image in one of the forms the library takes (or, with ``valid=False``, one it refuses)."""
    height, width = draw(st.integers(3, 6)), draw(st.integers(3, 6))
    kind = draw(st.sampled_from(VALID_IMAGES if valid else INVALID_IMAGES))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    pixels = rng.random((height, width, 3))
    forms = {
        "uint8": lambda: (pixels * 255).astype(np.uint8), "float": lambda: pixels.astype(np.float32),
        "float64": lambda: pixels, "grey": lambda: pixels[:, :, 0],
        "rgba": lambda: np.concatenate([pixels, rng.random((height, width, 1))], axis=2),
        "tensor": lambda: torch.from_numpy(pixels).permute(2, 0, 1).float(),
        "uint8 tensor": lambda: torch.from_numpy((pixels * 255).astype(np.uint8)).permute(2, 0, 1),
        "list": lambda: pixels.tolist(), "0..255 float": lambda: pixels * 255.0, "negative": lambda: pixels - 0.5,
        "nan": lambda: np.where(np.arange(pixels.size).reshape(pixels.shape) == 0, np.nan, pixels),
        "int64": lambda: (pixels * 255).astype(np.int64),
        "channels-last tensor": lambda: torch.from_numpy(rng.random((max(height, 5), width, 3))).float(),
        "4d": lambda: pixels[None],
        "text": lambda: "not an image",
    }
    return forms[kind]()


FAULTS = ["none"] * 5 + ["query", "result", "players", "background", "budget", "model"]
VALID_PLAYERS, INVALID_PLAYERS = [2, 3, (1, 2), (2, 3), "slic"], [0, -1, (2, 2, 2), "grid", (0, 2), 99]
VALID_BACKGROUNDS, INVALID_BACKGROUNDS = ["blur", "mean", "black"], ["noise", 3]
VALID_BEHAVIOURS, INVALID_BEHAVIOURS = ["smooth", "smooth", "constant"], ["nan", "wrong shape"]
INVALID_BUDGETS = [-1, 0, 1, 2.5, "many"]


@st.composite
def case(draw):
    """``(fault, query, result, players, background, budget, behaviour)``: every argument valid
    except the one named by ``fault`` (``"none"``: all valid)."""
    fault = draw(st.sampled_from(FAULTS))
    pick = lambda valid, invalid, name: draw(st.sampled_from(invalid if fault == name else valid))  # noqa: E731
    return (fault, draw(images(fault != "query")), draw(images(fault != "result")),
            pick(VALID_PLAYERS, INVALID_PLAYERS, "players"), pick(VALID_BACKGROUNDS, INVALID_BACKGROUNDS, "background"),
            draw(st.integers(20, 80)) if fault != "budget" else draw(st.sampled_from(INVALID_BUDGETS)),
            pick(VALID_BEHAVIOURS, INVALID_BEHAVIOURS, "model"))


def pair_model(behaviour: str) -> CallableSimilarity:
    """A pair scorer that is smooth, constant, NaN for some pairs, or returns the wrong shape."""
    def score(queries: torch.Tensor, results: torch.Tensor) -> torch.Tensor:
        q, r = queries.flatten(1).mean(1), results.flatten(1)
        if behaviour == "wrong shape":
            return torch.zeros(len(r), 2)
        if behaviour == "constant":
            return torch.zeros(len(r))
        value = torch.tanh(3 * q * r.mean(1)) + r.std(1) * q
        return torch.where(r.amax(1) > 0.5, torch.nan, value) if behaviour == "nan" else value  # NaN at v(N)
    return CallableSimilarity(score)


def embedding_model(behaviour: str) -> EmbeddingSimilarity:
    def embed(images: torch.Tensor) -> torch.Tensor:
        pooled = images.mean(dim=(2, 3))
        if behaviour == "wrong shape":
            return images[:, :, :2, :2]
        if behaviour == "constant":
            return torch.ones(len(images), 3)
        features = torch.cat([pooled, pooled**2, images.amax(dim=(2, 3))], dim=1)
        brightest = images.flatten(1).amax(1, keepdim=True)
        return torch.where(brightest > 0.5, torch.nan, features) if behaviour == "nan" else features
    return EmbeddingSimilarity(embed, metric="dot")


CONV = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Tanh()).eval()
GREY_BOXES = {"dot": GreyBoxSimilarity(CONV, metric="dot"), "cosine": GreyBoxSimilarity(CONV, metric="cosine")}


# ---- what a call may do -------------------------------------------------------------------------

OUTCOMES: dict[str, list[int]] = {}
"""Per entry point: [results, refusals], for reading how much of each suite reached a result."""


FAULT_NAMES = {"query": ("query",), "result": ("result",), "queries": ("queries",), "results": ("results",),
               "players": ("players",), "background": ("background",), "baseline": ("baseline",),
               "budget": ("budget", "max_evals", "num_samples"), "amount": ("n_steps", "n_samples"),
               "model": ("model", "returned", "embedding"), "output": ("output",)}
"""What an error about each kind of invalid argument must name."""


def outcome(call, arguments: tuple[str, ...], fault: str, refusable: bool = False):
    """The call's result, or None when it raised a ValueError / TypeError naming an argument —
    the invalid one, when one was made invalid. With every argument valid (``fault="none"``) it
    must return a result, unless the combination is one the method refuses (``refusable``) or
    the budget / grid is too big for the generated image size; with one argument invalid, it must
    refuse. A conjugate-gradient warning on any case fails it (healthy solves converge)."""
    import inspect

    counts = OUTCOMES.setdefault(inspect.stack()[1].function, [0, 0])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            found = call()
    except (ValueError, TypeError) as error:
        counts[1] += 1
        message = str(error)
        assert any(name in message for name in FAULT_NAMES.get(fault, arguments)), (
            f"the error does not name the invalid {fault}: {message}")
        assert fault != "none" or refusable or "image size" in message or "too small" in message, (
            f"valid input refused: {message}")
        return None
    counts[0] += 1
    assert fault == "none", f"invalid {fault} accepted"
    assert not [w for w in caught if "conjugate gradients" in str(w.message)], "a solve did not converge"
    return found


def assert_finite_and_efficient(result, efficient: bool) -> None:
    values = [result.values] if hasattr(result, "values") else [result.main, result.pairs]
    assert all(np.isfinite(v).all() for v in values), "NaN or inf in a result"
    if efficient:
        scale = max(1.0, abs(result.full_value), abs(result.base_value))
        assert result.efficiency_gap <= 1e-6 * scale


CORE_ARGUMENTS = ("query", "result", "players", "budget", "background", "game", "method", "n_segments", "pixel",
                  "model")
SHAP_ARGUMENTS = ("query", "result", "max_evals", "output", "algorithm", "players", "partition", "game",
                  "background", "pixel", "model", "method")
LIME_ARGUMENTS = ("query", "result", "num_samples", "model", "game", "background", "players", "pixel")


@PROPERTY
@given(case(), st.sampled_from(["kernel", "kernel", "exact"]), st.integers(0, 2**16))
def test_core_first_order(arguments, method, seed):
    fault, query, result, players, background, budget, behaviour = arguments

    def call():
        game = FirstOrderSearchGame.for_images(pair_model(behaviour), query, result, players=players,
                                               background=background, n_segments=6)
        return explain_first_order(game, None if method == "exact" and fault != "budget" else budget,
                                   method=method, random_state=seed)

    found = outcome(call, CORE_ARGUMENTS, fault)
    if found is not None:
        assert_finite_and_efficient(found, efficient=True)


@PROPERTY
@given(case(), st.sampled_from(["auto", "kernel", "permutation", "exact", "factorised"]), st.booleans(),
       st.integers(0, 2**16))
def test_core_second_order(arguments, method, factorised, seed):
    fault, query, result, players, background, budget, behaviour = arguments
    players = (2, 2) if players == "slic" or (method == "exact" and fault != "players") else players  # 2^8

    def call():
        if factorised:
            game = EmbeddingSearchGame.for_images(embedding_model(behaviour), query, result, players=players,
                                                  background=background)
        else:
            game = SecondOrderSearchGame.for_images(pair_model(behaviour), query, result, players=players,
                                                    background=background)
        if method == "permutation" and fault != "budget":
            budget_here = 4 * game.n_players**2
        else:
            budget_here = None if method == "exact" and fault != "budget" else budget
        return explain_second_order(game, budget_here, method=method, random_state=seed)

    found = outcome(call, CORE_ARGUMENTS, fault, refusable=method in ("factorised",) and not factorised)
    if found is not None:
        assert_finite_and_efficient(found, efficient=True)


@PROPERTY
@given(case(), st.sampled_from(["auto", "sam", "ig-sam", "factorised", "kernel", "exact"]),
       st.sampled_from(["dot", "cosine", "embedding"]), st.integers(0, 2**16))
def test_correspondence(arguments, method, head, seed):
    fault, query, result, players, background, budget, behaviour = arguments
    players = 2 if players == "slic" or (method == "exact" and fault != "players") else players  # 2^8 coalitions
    model = embedding_model(behaviour) if head == "embedding" else GREY_BOXES[head]
    budget = None if method == "exact" and fault != "budget" else budget
    if head == "embedding" and method in ("sam", "ig-sam"):
        fault = "none"  # the grey-box methods refuse the model, whatever else is wrong
    found = outcome(lambda: explain_correspondence(model, query, result, players=players, method=method,
                                                   budget=budget, background=background, random_state=seed),
                    CORE_ARGUMENTS, fault if head == "embedding" or fault != "model" else "none",
                    refusable=(head == "embedding" and method in ("sam", "ig-sam")) or (
                        method == "exact" and fault == "none"))
    if found is not None:
        assert np.isfinite(found.block).all()
        if found.second_order is not None:
            assert_finite_and_efficient(found.second_order, efficient=True)


@PROPERTY
@given(case(), st.booleans(), st.sampled_from(["kernel", "kernel", "exact", "permutation", "partition"]),
       st.sampled_from(["pixels", "players"]), st.integers(0, 2**16))
def test_shap_search(arguments, ranked_list, algorithm, output, seed):
    from shap_search import SearchExplainer

    fault, query, result, players, background, budget, behaviour = arguments
    players = (2, 2) if algorithm == "exact" and players == "slic" else players
    result = np.asarray(result) if isinstance(result, list) else result  # a Python list is a ranked list here
    if fault == "result" and np.ndim(result) == 4:
        fault = "none"  # a (B, H, W, C) stack is a valid ranked list of one
    if algorithm == "partition" and output == "players":
        output = "pixels" if fault != "none" else output  # one fault at a time
        fault = "output" if fault == "none" else fault  # the partition explainer explains pixels only
    if algorithm == "partition" and fault == "players":
        fault = "none"  # it masks pixels hierarchically: the players argument plays no part
    explainer = SearchExplainer(pair_model(behaviour), algorithm=algorithm, players=players, n_segments=5,
                                background=background)
    results = [result, result] if ranked_list else result  # a ranked list (of one size: shap needs that)
    max_evals = None if algorithm == "exact" and fault != "budget" else budget
    found = outcome(lambda: explainer(query, results, max_evals=max_evals, random_state=seed, output=output),
                    SHAP_ARGUMENTS, fault, refusable=algorithm == "partition")
    if found is not None:
        assert np.isfinite(found.values).all() and np.isfinite(found.base_values).all()
        assert found.values.shape[0] == (2 if isinstance(results, list) else 1)


@PROPERTY
@given(case(), st.sampled_from(["auto", "kernel", "factorised", "exact"]), st.booleans(), st.integers(0, 2**16))
def test_shap_shapley_taylor(arguments, method, embedding, seed):
    from shap_search import ShapleyTaylorExplainer

    fault, query, result, players, background, budget, behaviour = arguments
    result = np.asarray(result) if isinstance(result, list) else result  # a Python list is a ranked list here
    if fault == "result" and np.ndim(result) == 4:
        fault = "none"  # a (B, H, W, C) stack is a valid ranked list of one
    players = (2, 2) if players == "slic" or (method == "exact" and fault != "players") else players
    model = embedding_model(behaviour) if embedding else pair_model(behaviour)
    if method == "factorised" and not embedding:
        fault = "none"  # refused at construction for a pair scorer, before any other argument is looked at
    max_evals = None if method == "exact" and fault != "budget" else budget
    found = outcome(lambda: ShapleyTaylorExplainer(model, players=players, method=method, background=background)(
        query, result, max_evals=max_evals, random_state=seed), SHAP_ARGUMENTS, fault,
        refusable=method == "factorised" and not embedding)
    for each in (found if isinstance(found, list) else [] if found is None else [found]):
        assert_finite_and_efficient(each, efficient=True)
    if isinstance(found, list):
        assert len(found) == len(result)


@PROPERTY
@given(case(), st.booleans(), st.integers(0, 2**16))
def test_lime_search(arguments, second_order, seed):
    from lime_search import LimeSearchExplainer, SecondOrderLimeExplainer

    fault, query, result, players, background, budget, behaviour = arguments
    model = pair_model(behaviour)
    if second_order:
        players = 2 if players == "slic" else players
        call = lambda: SecondOrderLimeExplainer(players=players, background=background).explain_instance(  # noqa: E731
            query, result, model, num_samples=budget, random_state=seed)
    else:
        fault = "none" if fault in ("players", "background") else fault  # first-order LIME takes neither
        call = lambda: LimeSearchExplainer(n_segments=4).explain_instance(  # noqa: E731
            query, result, model, num_samples=budget, random_state=seed)
    found = outcome(call, LIME_ARGUMENTS, fault)
    if found is not None and second_order:
        assert np.isfinite(found.main).all() and np.isfinite(found.pairs).all()
    elif found is not None:
        assert np.isfinite([weight for _, weight in found.local_exp[0]]).all()


def batch(kind: str, count: int, size: int, seed: int):
    """An image batch for captum in one of the forms it takes (or refuses)."""
    images = torch.from_numpy(np.random.default_rng(seed).random((count, 3, size, size))).float()
    return {"batch": lambda: images, "uint8 batch": lambda: (images * 255).to(torch.uint8),
            "one image": lambda: images[0], "array": lambda: images[0].permute(1, 2, 0).numpy(),
            "list": lambda: list(images), "nan batch": lambda: images.masked_fill(images > 0.9, torch.nan),
            "2d": lambda: images[0, 0], "ints": lambda: (images * 255).long()}[kind]()


CAPTUM_CLASSES = ["SAM", "IGSAM", "SearchGradCAM", "KernelSAM", "SearchIntegratedGradients", "SecondOrderSAM",
                  "SecondOrderIGSAM", "SecondOrderKernelSAM"]


@PROPERTY
@given(st.sampled_from(["none"] * 4 + ["queries", "results", "baseline", "amount"]), st.sampled_from(CAPTUM_CLASSES),
       st.sampled_from(["dot", "cosine"]), st.integers(3, 5), st.integers(0, 2**16), st.data())
def test_captum_search(fault, name, head, size, seed, data):
    import captum_search

    valid, invalid = ["batch", "batch", "uint8 batch", "one image", "array"], ["nan batch", "2d", "ints"]
    count = 1 if fault != "none" else data.draw(st.integers(1, 2))
    kinds = [data.draw(st.sampled_from(invalid if fault == side else valid)) for side in ("queries", "results")]
    if count == 2:  # a batch of two stays a batch on both sides
        kinds = ["batch" if kind in ("one image", "array") else kind for kind in kinds]
    queries, results = (batch(kind, count, size, seed + k) for k, kind in enumerate(kinds))
    baseline = "noise" if fault == "baseline" else data.draw(st.sampled_from([None, "blur", "zero"]))
    amount = (data.draw(st.sampled_from([-1, 0, 2.5])) if fault == "amount" else
              data.draw(st.integers(200, 400) if "Kernel" in name else st.integers(2, 12)))
    explainer = getattr(captum_search, name)(GREY_BOXES[head])
    counted = {"IGSAM": "n_steps", "SearchIntegratedGradients": "n_steps", "SecondOrderIGSAM": "n_steps",
               "KernelSAM": "n_samples", "SecondOrderKernelSAM": "n_samples"}
    extra = {counted[name]: amount} if name in counted else {}
    if "Kernel" in name:
        extra["random_state"] = seed
    if fault == "amount" and name not in counted:
        fault = "none"  # nothing to count: the call is valid
    if fault == "baseline" and name == "SearchGradCAM":
        fault = "none"  # GradCAM takes no baseline
    if name.startswith("SecondOrder"):
        call = lambda: explainer.attribute(queries, results, baseline, baseline, **extra)  # noqa: E731
    elif name == "SearchGradCAM":
        call = lambda: explainer.attribute(queries, results)  # noqa: E731
    elif name == "SearchIntegratedGradients":
        call = lambda: explainer.attribute(queries, results, None if baseline == "zero" else baseline,  # noqa: E731
                                           **extra)
    else:
        call = lambda: explainer.attribute(queries, results, baseline, **extra)  # noqa: E731
    found = outcome(call, ("queries", "results", "baseline", "n_steps", "n_samples", "embedding"), fault)
    if found is not None:
        assert torch.isfinite(torch.as_tensor(found)).all()


def test_the_suite_ran_at_least_2000_cases_and_each_entry_point_reached_results():
    """Counts what the property tests above ran (pytest runs a file in order; on its own this test
    has nothing to count and fails)."""
    properties = [name for name, test in globals().items() if name.startswith("test_") and hasattr(test, "hypothesis")]
    assert sorted(OUTCOMES) == sorted(properties), "run the whole file"
    assert sum(sum(counts) for counts in OUTCOMES.values()) >= 2000
    for name, (results, refusals) in OUTCOMES.items():
        print(f"{name}: {results} results, {refusals} clear refusals")
        assert results >= 0.2 * (results + refusals), name
