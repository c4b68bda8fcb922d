"""shap-native search explainers.

- ``SearchExplainer``: first order. Which pixels of the result (or the query) make a pair
  similar, as a ``shap.Explanation`` that ``shap.plots.image`` draws unchanged.
- ``ShapleyTaylorExplainer``: second order. The query-to-result correspondence from the joint
  game, as the core's ``SecondOrderResult``; ``to_shap_interactions`` gives shap's layout.

>>> import numpy as np
>>> from axiomatic_search.models import CallableSimilarity
>>> model = CallableSimilarity(lambda q, r: (q * r).flatten(1).sum(1))
>>> image = np.random.default_rng(0).random((8, 8, 3))
>>> explanation = SearchExplainer(model, players=2, algorithm="exact")(image, image)
>>> explanation.values.shape, explanation.base_values.shape
((1, 8, 8, 1), (1,))
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import numpy as np
import shap

from axiomatic_search._checks import as_generator, budget_named, check_choice, check_count, same_seed_per_item
from axiomatic_search.backgrounds import Background
from axiomatic_search.correspondence import DEFAULT_BUDGET
from axiomatic_search.explain import SECOND_ORDER_METHODS, explain_first_order, explain_second_order
from axiomatic_search.factorised import EmbeddingSearchGame
from axiomatic_search.images import as_image_tensor, to_numpy_image
from axiomatic_search.masking import ImageMasker
from axiomatic_search.models import EmbeddingSimilarity, SimilarityModel
from axiomatic_search.pairs import first_order_pairs
from axiomatic_search.results import FirstOrderResult, SecondOrderResult
from axiomatic_search.search_games import FirstOrderSearchGame, SecondOrderSearchGame

from .maskers import SuperpixelMasker, similarity_to

ALGORITHMS = ("kernel", "partition", "exact", "permutation")


@contextlib.contextmanager
def isolated_global_rng(random_state: int | np.random.Generator | None) -> Iterator[int]:
    """Run shap code that seeds or draws from numpy's global RNG, then restore its state.

    shap's Permutation and Partition explainers use numpy's global RNG; this seeds it from
    ``random_state`` and puts the caller's state back afterwards, so results are reproducible
    and the caller's global stream is unchanged (not thread-safe, like shap itself). Yields
    the seed, for shap constructors that re-seed the global RNG themselves.
    """
    saved = np.random.get_state()
    seed = int(as_generator(random_state).integers(2**32))
    np.random.seed(seed)
    try:
        yield seed
    finally:
        np.random.set_state(saved)


def _as_image_list(images: object, name: str) -> list:
    """One image or a sequence / ``(B, H, W, C)`` stack of them, as ``(C, H, W)`` tensors."""
    if isinstance(images, (list, tuple)) or np.ndim(images) == 4:
        items = list(images)
    else:
        items = [images]
    return [as_image_tensor(item, name=name) for item in items]


class SearchExplainer:
    """First-order explanations of a similarity model, returned as ``shap.Explanation``.

    ``algorithm``: ``"kernel"`` (Kernel SHAP on superpixels, paper default with
    ``max_evals=5000``), ``"partition"`` (shap's ``PartitionExplainer`` over hierarchical squares
    of pixels with shap's image masker), ``"exact"`` (enumeration, ≤ 20 players) or
    ``"permutation"`` (shap's ``PermutationExplainer`` on a ``SuperpixelMasker``).
    ``background`` may be another image: a counterfactual ("why this result rather than that
    one", paper Fig. 3). ``base_values`` are ``v(∅)``; the Shapley algorithms' values add up to
    ``v(N) − v(∅)``.
    """

    def __init__(
        self,
        model: SimilarityModel,
        algorithm: str = "kernel",
        players: str | int | np.ndarray = "slic",
        n_segments: int = 50,
        background: str | Background | object = "blur",
        explain: str = "result",
        batch_size: int = 64,
    ) -> None:
        self.model = model
        self.algorithm = check_choice(algorithm, ALGORITHMS, "algorithm")
        self.explain = check_choice(explain, ("result", "query"), "explain")
        self.players = players
        self.n_segments = n_segments
        self.background = background
        self.batch_size = batch_size

    def segmentation(self, image: object) -> np.ndarray:
        """The ``(H, W)`` label map of the players this explainer uses on ``image`` (the explained
        side): region ``k`` is the ``"region k"`` of ``output="players"`` and of ``plots.regions``."""
        return ImageMasker(image, players=self.players, background="black", n_segments=self.n_segments).labels

    def __call__(
        self,
        query: object,
        results: object,
        max_evals: int | None = None,
        random_state: int | np.random.Generator | None = None,
        output: str = "pixels",
    ) -> shap.Explanation:
        """Explain ``results`` (one image or a ranked list) against ``query``.

        ``output="pixels"``: values ``(B, H, W, 1)`` for ``shap.plots.image``, each region's
        value spread evenly over its pixels (so pixel values add up to ``v(N) − v(∅)``);
        ``output="players"``: values ``(B, n_players)`` per region for ``shap.plots.bar`` /
        ``waterfall`` (needs the same number of players in every explained image).
        ``max_evals=None``: the paper's 5,000 for the sampling algorithms, all ``2^n`` coalitions for
        ``"exact"`` (an explicit ``max_evals`` must allow them).
        """
        check_choice(output, ("pixels", "players"), "output")
        if max_evals is None and self.algorithm != "exact":  # exact: None means all 2^n coalitions
            max_evals = 5000
        if max_evals is not None:
            check_count(max_evals, "max_evals")
        if output == "players" and self.algorithm == "partition":
            raise ValueError("algorithm='partition' explains pixels; use output='pixels'")
        query_image = as_image_tensor(query, name="query")
        fresh = same_seed_per_item(random_state)  # a result's values do not depend on its place in the list
        images = _as_image_list(results, "results")
        explained_sizes = {tuple(image.shape) for image in (images if self.explain == "result" else [query_image])}
        if output == "pixels" and len(explained_sizes) != 1:
            raise ValueError(
                f"the results have different sizes {sorted(explained_sizes)}; one shap.Explanation "
                "needs equal sizes: resize them or explain them one at a time"
            )
        if self.algorithm == "kernel":  # Kernel SHAP's inputs batched across the results
            with budget_named("max_evals"):
                found = first_order_pairs(self.model, [(query_image, result) for result in images], max_evals,
                                          [fresh() for _ in images], self.explain, self.players, self.background,
                                          self.n_segments, self.batch_size)
            rows = [self._row(first, result if self.explain == "result" else query_image)
                    for (first, _), result in zip(found, images)]
        else:
            rows = []
            for result in images:
                with budget_named("max_evals"):
                    rows.append(self._explain_pair(query_image, result, max_evals=max_evals, rng=fresh()))
        explained = [row[3] for row in rows]
        base = np.array([row[1] for row in rows])
        if output == "pixels":
            values = np.stack([row[0][..., None] for row in rows])
            return shap.Explanation(values=values, base_values=base, data=np.stack(explained))
        n_players = {len(row[2]) for row in rows}
        if len(n_players) != 1:
            raise ValueError(
                f"the explained images have different numbers of players {sorted(n_players)}; "
                "use grid players (players=k) or explain one result at a time for output='players'"
            )
        return shap.Explanation(
            values=np.stack([row[2] for row in rows]),
            base_values=base,
            data=np.stack([row[4] for row in rows]),
            feature_names=[f"region {k}" for k in range(n_players.pop())],
        )

    def _explain_pair(self, query, result, max_evals: int, rng: np.random.Generator):
        """``(pixel heatmap, v(∅), player values, explained image, player area shares)``."""
        explained = result if self.explain == "result" else query
        fixed = query if self.explain == "result" else result
        explained_image = to_numpy_image(explained)
        if self.algorithm == "partition":
            heatmap, base = self._partition(fixed, explained, max_evals, rng)
            return heatmap, base, None, explained_image, None
        if self.algorithm == "permutation":
            first = self._permutation(fixed, explained, max_evals, rng)
        else:
            game = FirstOrderSearchGame.for_images(
                self.model, query, result, explain=self.explain, players=self.players,
                background=self.background, n_segments=self.n_segments, batch_size=self.batch_size,
            )
            first = explain_first_order(game, max_evals, method=self.algorithm, random_state=rng)
        return self._row(first, explained)

    @staticmethod
    def _row(first: FirstOrderResult, explained) -> tuple:
        """``(pixel heatmap, v(∅), player values, explained image, player area shares)``: each
        player's value spread evenly over its pixels, so pixel values add up like shap's."""
        labels = first.players.labels
        areas = np.bincount(labels.ravel(), minlength=first.n_players)
        return (first.values / areas)[labels], first.base_value, first.values, to_numpy_image(explained), areas / labels.size

    def _permutation(self, fixed, explained, max_evals: int, rng) -> FirstOrderResult:
        masker = SuperpixelMasker(explained, self.players, self.background, self.n_segments)
        score = similarity_to(self.model, fixed, self.explain)
        calls = []

        def counted(images: np.ndarray) -> np.ndarray:
            calls.append(len(images))
            return score(images)

        with isolated_global_rng(rng) as seed:  # shap seeds numpy's global RNG in __init__
            explainer = shap.explainers.Permutation(counted, masker, seed=seed)
            explanation = explainer(to_numpy_image(explained)[None], max_evals=max_evals, silent=True)
        full = float(score(to_numpy_image(explained)[None])[0])
        base = float(np.asarray(explanation.base_values).reshape(-1)[0])
        return FirstOrderResult(explanation.values[0], base, full, sum(calls), players=masker.players)

    def _partition(self, fixed, explained, max_evals: int, rng) -> tuple[np.ndarray, float]:
        backgrounds = ImageMasker(explained, players=1, background=self.background).backgrounds
        if len(backgrounds) != 1:
            raise ValueError("algorithm='partition' needs a single background, not an averaged set")
        image = to_numpy_image(explained)
        masker = shap.maskers.Image(to_numpy_image(backgrounds[0]), image.shape)
        with isolated_global_rng(rng):
            explainer = shap.explainers.Partition(similarity_to(self.model, fixed, self.explain), masker)
            explanation = explainer(image[None], max_evals=max_evals, batch_size=self.batch_size, silent=True)
        base = float(np.asarray(explanation.base_values).reshape(-1)[0])
        return explanation.values[0].sum(axis=-1), base


class ShapleyTaylorExplainer:
    """Second-order (correspondence) explanations over query and result players.

    ``method="auto"``: an embedding model (a dual encoder, grey boxes included) gets the
    factorised game and estimator (``max_evals`` counts forward passes, default 2,000: masked
    queries and masked results are embedded separately and combined by one matrix product); a
    model that only scores pairs gets the joint game and the paper's kernel estimator
    (``max_evals`` counts joint evaluations, default the paper's 20,000). ``method`` may also be
    ``"factorised"``, ``"kernel"``, ``"permutation"`` (joint evaluations) or ``"exact"``."""

    def __init__(
        self,
        model: SimilarityModel,
        players: str | int | np.ndarray | tuple = "slic",
        n_segments: int = 50,
        background: str | Background | object = "blur",
        method: str = "auto",
        batch_size: int = 64,
    ) -> None:
        check_choice(method, SECOND_ORDER_METHODS, "method")
        if method == "factorised" and not isinstance(model, EmbeddingSimilarity):
            raise TypeError(f"method='factorised' needs an embedding model (a dual encoder, scored by comparing "
                            f"embeddings); model {model!r} only scores pairs: use method='kernel' or 'auto'")
        self.model = model
        self.players = players
        self.n_segments = n_segments
        self.background = background
        self.method = method
        self.batch_size = batch_size

    def __call__(
        self,
        query: object,
        result: object,
        max_evals: int | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> SecondOrderResult | list[SecondOrderResult]:
        """The pair's ``SecondOrderResult``; with a list (or ``(B, H, W, C)`` stack) of results,
        a ranked list: one result each, every one from the same seed (as the single-pair call),
        the query's masked embeddings computed once for the factorised method."""
        if isinstance(result, (list, tuple)) or np.ndim(result) == 4:
            fresh, cache = same_seed_per_item(random_state), {}
            return [self._explain(query, item, max_evals, fresh(), cache) for item in _as_image_list(result, "result")]
        return self._explain(query, result, max_evals, random_state, None)

    def _explain(self, query, result, max_evals, random_state, query_cache) -> SecondOrderResult:
        factorised = isinstance(self.model, EmbeddingSimilarity) and self.method in ("auto", "factorised")
        if max_evals is None and self.method != "exact":
            max_evals = DEFAULT_BUDGET if factorised else 20_000
        options = dict(players=self.players, background=self.background, n_segments=self.n_segments,
                       batch_size=self.batch_size)
        if factorised:
            game = EmbeddingSearchGame.for_images(self.model, query, result, query_cache=query_cache, **options)
        else:
            game = SecondOrderSearchGame.for_images(self.model, query, result, **options)
        budget = None if self.method == "exact" and max_evals is None else check_count(max_evals, "max_evals")
        with budget_named("max_evals"):
            return explain_second_order(game, budget, method=self.method, random_state=random_state)


def to_shap_interactions(result: SecondOrderResult, names: Sequence[str] | None = None) -> shap.Explanation:
    """shap's interaction layout (``ExactExplainer(..., interactions=2)``): one ``(M, M)``
    matrix per sample, main effects on the diagonal, half of each pair value in both
    off-diagonal cells."""
    if names is None and result.n_query is None:
        names = [f"player {k}" for k in range(result.n_players)]
    elif names is None:
        names = [f"query {k}" for k in range(result.n_query)]
        names += [f"result {k}" for k in range(result.n_players - result.n_query)]
    return shap.Explanation(
        values=result.as_shap_matrix()[None],
        base_values=np.array([result.base_value]),
        feature_names=list(names),
    )


__all__ = ["SearchExplainer", "ShapleyTaylorExplainer", "isolated_global_rng", "to_shap_interactions"]
