"""``explain_correspondence``: which part of the query lands where in the result, by the
cheapest faithful method the model allows (``method="auto"``).

| kind of model | auto picks | forward passes | axioms kept |
|---|---|---|---|
| ``GreyBoxSimilarity`` (feature maps + GAP head) | ``"ig-sam"``: second-order IG-SAM (Integrated Hessians of the head) | 4 | exact Shapley–Taylor block for GAP-dot heads (A.12); an approximation for cosine |
| ``EmbeddingSimilarity`` (dual encoder) | ``"factorised"``: kernel Shapley–Taylor regression on a product design | ``budget`` | efficiency exact; exact once both sides are enumerated |
| any pair scorer (``CallableSimilarity``) | ``"kernel"``: the paper's joint kernel estimator | ``budget`` | efficiency exact; converges to the exact indices |

Every method can be asked for by name: ``"sam"`` (Eq. 8, exact for GAP-dot heads),
``"permutation"`` (memoised permutation sampling), ``"exact"`` (enumeration, ≤ 20 players).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch

from .._checks import check_budget, check_choice, check_count
from ..estimators import KernelShapleyTaylor, PermutationShapleyTaylor
from ..exact import exact_shapley_taylor
from ..factorised import EmbeddingSearchGame, FactorisedShapleyTaylor
from ..factorised.design import constraint_budget
from ..images import as_image_tensor
from ..masking import image_maskers
from ..models import EmbeddingSimilarity, GreyBoxSimilarity, SimilarityModel
from ..progress import progress as progress_bar
from ..results import Correspondence
from ..search_games import SecondOrderSearchGame
from .cells import cell_weights, players_block
from .grey_box import SHAPLEY_TAYLOR_RATIO, background_features, integrated_hessians, second_order_sam

METHODS = ("auto", "ig-sam", "sam", "factorised", "kernel", "permutation", "exact")
GREY_BOX_METHODS = ("ig-sam", "sam")
DEFAULT_BUDGET = 2000
"""Forward passes for the sampling methods when no budget is given (about 15 s at 224 px on
the 2-core development CPU with ONNX Runtime)."""


def auto_method(model: SimilarityModel) -> str:
    """The cheapest faithful method for ``model``'s kind (see the module's table).

    >>> from axiomatic_search.models import CallableSimilarity
    >>> auto_method(CallableSimilarity(lambda q, r: (q * r).sum((1, 2, 3))))
    'kernel'
    """
    if isinstance(model, GreyBoxSimilarity):
        return "ig-sam"
    if isinstance(model, EmbeddingSimilarity):
        return "factorised"
    return "kernel"


def explain_correspondence(
    model: SimilarityModel,
    query: object,
    result: object,
    players: object = 4,
    method: str = "auto",
    budget: int | None = None,
    background: object = "blur",
    n_segments: int = 50,
    batch_size: int | None = None,
    random_state: int | np.random.Generator | None = None,
    progress: bool | None = None,
    query_cache: dict | None = None,
) -> Correspondence:
    """The query×result correspondence of an image pair.

    ``players``: a grid size (default 4 × 4 cells), ``"slic"``, a label map, or a ``(query,
    result)`` tuple of those: ``(2, 4)`` is a 2 × 2 query grid and a 4 × 4 result grid, and
    ``((2, 4), (2, 4))`` a 2 × 4 grid on both. ``budget``: forward passes for the sampling methods (default
    ``DEFAULT_BUDGET``); the grey-box methods need four whatever it is. ``background``: what
    masked players become (``"blur"``, ``"mean"``, ``"black"``, a ``Background`` or a
    counterfactual image); for the grey-box methods, whose features it gives (``"zero"``: zero
    features). ``progress``: a tqdm bar of the game's evaluations (None: when stderr is a
    terminal). ``query_cache``: a dict shared by calls with one query and several results, so
    the factorised method embeds the query's masked coalitions once (``explain_ranked`` passes
    one; ``n_forward_passes`` then counts only what this call embedded).

    >>> from axiomatic_search.models import EmbeddingSimilarity
    >>> model = EmbeddingSimilarity(lambda x: x.flatten(2).mean(2), metric="dot")
    >>> image = np.random.default_rng(0).random((8, 8, 3))
    >>> explain_correspondence(model, image, image, players=2, budget=12, random_state=0).block.shape
    (4, 4)
    """
    method = auto_method(model) if check_choice(method, METHODS, "method") == "auto" else method
    if budget is not None:  # checked whatever the method, so a wrong budget is never silently ignored
        check_count(budget, "budget")
    # the grey-box methods mask feature maps: their maskers only lay out the players
    pixel_background = "black" if method in GREY_BOX_METHODS else background
    query_masker, result_masker = image_maskers(query, result, players, pixel_background, n_segments)
    from ..runtime import default_batch_size

    batch_size = batch_size or default_batch_size(model.device)
    started = time.perf_counter()
    if method in GREY_BOX_METHODS:
        block, passes, full = _grey_box(model, method, query, result, query_masker, result_masker, background), 4, None
    else:
        full, passes = sampled_correspondence(model, method, budget, query_masker, result_masker, batch_size,
                                              random_state, progress, query_cache)
        block = full.query_result_block
    return Correspondence(np.asarray(block, dtype=np.float64), method, passes, time.perf_counter() - started, full,
                          query_masker, result_masker)


def _grey_box(model, method, query, result, query_masker, result_masker, background) -> np.ndarray:
    if not isinstance(model, GreyBoxSimilarity):
        raise TypeError(f"method={method!r} needs a GreyBoxSimilarity (feature maps + GAP head), got {model!r}")
    q, r = as_image_tensor(query, "query").to(model.device), as_image_tensor(result, "result").to(model.device)
    with torch.no_grad():
        x, y = model.feature_maps(q[None])[0], model.feature_maps(r[None])[0]
    a, b = background_features(model, q, x, background), background_features(model, r, y, background)
    if method == "sam":
        block = second_order_sam(x, a, y, b)
    else:  # on the Shapley–Taylor scale: exact for GAP dot heads (A.12)
        block = integrated_hessians(model.head, x.double(), a.double(), y.double(), b.double()) / SHAPLEY_TAYLOR_RATIO
    block = block.detach().cpu().double().numpy()
    return players_block(block, cell_weights(tuple(x.shape[1:]), query_masker.labels),
                         cell_weights(tuple(y.shape[1:]), result_masker.labels))


def sampled_correspondence(model, method, budget, query_masker, result_masker, batch_size, random_state, progress,
                           query_cache=None, default_budget: int = DEFAULT_BUDGET):
    """``(SecondOrderResult, forward passes)`` of a sampling or enumeration method on any pair of
    maskers (image or text players); an explicit budget is checked in forward passes, the unit
    the caller gave it in (``budget=None``: ``default_budget``, and ``"exact"`` enumerates)."""
    explicit = budget is not None
    budget = default_budget if budget is None else check_budget(budget, 1, "a sampling method")
    backgrounds = max(query_masker.n_backgrounds, result_masker.n_backgrounds)
    if method == "factorised":
        game = EmbeddingSearchGame(model, query_masker, result_masker, batch_size=batch_size, query_cache=query_cache)
        check_budget(budget, backgrounds * constraint_budget(game.n_query, game.n_result),
                     f"the factorised design's constraints (∅, singletons, all players; {backgrounds} background(s))")
        # the whole budget on the query×result block; within-image pairs stay the regression's
        with progress_bar(budget // backgrounds, "correspondence (factorised)", progress):
            result = FactorisedShapleyTaylor(within_share=0.0).estimate(game, budget // backgrounds, random_state)
        return _with_players(result, game), game.n_forward_passes
    game = SecondOrderSearchGame(model, query_masker, result_masker, batch_size=batch_size)
    per_coalition = backgrounds * (2 if isinstance(model, EmbeddingSimilarity) else 1)
    needed = (2**game.n_players if method == "exact" else game.n_players + 3) * per_coalition
    if explicit and budget < needed:
        raise ValueError(f"budget={budget} is too small for method={method!r} over {game.n_players} players: it needs "
                         f"at least {needed} forward passes ({per_coalition} per joint coalition"
                         + (", every coalition enumerated)" if method == "exact" else ")"))
    total = 2**game.n_players if method == "exact" else max(1, budget // per_coalition)
    with progress_bar(total, f"correspondence ({method})", progress):
        if method == "exact":
            result = exact_shapley_taylor(game)
        else:
            estimator = KernelShapleyTaylor() if method == "kernel" else PermutationShapleyTaylor()
            result = estimator.estimate(game, total, random_state)
    return _with_players(result, game), result.n_evaluations * per_coalition


def _with_players(result, game):
    return dataclasses.replace(result, n_query=game.n_query, query_players=game.query_masker,
                               result_players=game.result_masker)
