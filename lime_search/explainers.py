"""lime-native search explanations.

- ``LimeSearchExplainer.explain_instance(query, result, model)``: lime's own
  ``LimeImageExplainer`` with the similarity to the fixed query as the "classifier" (one
  output, label 0), SLIC superpixels with the paper's settings, lime's mean-colour hiding and
  5,000 samples; returns lime's ``ImageExplanation``.
- ``SecondOrderLimeExplainer.explain_instance(query, result, model)``: the paper's
  second-order LIME (Sec. 5.2): joint coalitions over query and result superpixels, a
  quadratic surrogate (main effects + query×result pairs) fitted with L1 regularisation and
  the local kernel ``exp(−λ ||mask(x,S); mask(y,S) − x; y||²)``; returns the core's
  ``SecondOrderResult`` so projection and correspondence plots are shared.
"""

from __future__ import annotations

import numpy as np
from lime.lime_image import ImageExplanation, LimeImageExplainer
from sklearn.linear_model import Lasso

from axiomatic_search._checks import as_generator, check_choice, check_count
from axiomatic_search.images import as_image_tensor, check_segmentation, slic_segments, to_numpy_image
from axiomatic_search.masking import ImageMasker
from axiomatic_search.models import SimilarityModel
from axiomatic_search.results import SecondOrderResult
from axiomatic_search.search_games import SecondOrderSearchGame, similarity_to


def _rgb(image: object, name: str) -> np.ndarray:
    """An ``(H, W, 3)`` float image in [0, 1] by the library's one input rule (greyscale repeated)."""
    return to_numpy_image(as_image_tensor(image, name=name))


class LimeSearchExplainer:
    """First-order LIME for search, on lime's own ``LimeImageExplainer``.

    >>> import numpy as np
    >>> from axiomatic_search.models import CallableSimilarity
    >>> model = CallableSimilarity(lambda q, r: (q * r).flatten(1).sum(1))
    >>> image = np.random.default_rng(0).random((16, 16, 3))
    >>> explanation = LimeSearchExplainer(n_segments=4).explain_instance(image, image, model, num_samples=50)
    >>> sorted(explanation.local_exp)
    [0]
    """

    def __init__(self, kernel_width: float = 0.25, n_segments: int = 50, compactness: float = 10.0,
                 sigma: float = 3.0, feature_selection: str = "auto") -> None:
        self.kernel_width = kernel_width
        self.segmentation = dict(n_segments=n_segments, compactness=compactness, sigma=sigma)
        self.feature_selection = feature_selection

    def explain_instance(
        self,
        query: object,
        result: object,
        model: SimilarityModel,
        explain: str = "result",
        num_samples: int = 5000,
        num_features: int = 100_000,
        hide_color: float | None = None,
        segmentation: np.ndarray | None = None,
        batch_size: int = 64,
        random_state: int | np.random.Generator | None = None,
    ) -> ImageExplanation:
        """Explain ``result`` (or ``query``, with ``explain="query"``); label 0 is the similarity.

        ``hide_color=None`` hides a superpixel with its mean colour (lime's default).
        """
        check_choice(explain, ("result", "query"), "explain")
        query, result = _rgb(query, "query"), _rgb(result, "result")
        explained, fixed = (result, query) if explain == "result" else (query, result)
        if segmentation is not None:
            labels = check_segmentation(segmentation, *explained.shape[:2])
        else:
            labels = slic_segments(explained, **self.segmentation)
        n_segments = int(labels.max()) + 1
        check_count(num_samples, "num_samples", minimum=n_segments + 1)  # a surrogate over n segments: n + 1 samples
        seed = int(as_generator(random_state).integers(2**31 - 1))
        explainer = LimeImageExplainer(kernel_width=self.kernel_width, feature_selection=self.feature_selection,
                                       random_state=seed)
        return explainer.explain_instance(
            explained.astype(np.float64), lambda images: similarity_to(model, fixed, explain)(images)[:, None], labels=(0,), top_labels=None,
            hide_color=hide_color, num_features=num_features, num_samples=num_samples, batch_size=batch_size,
            segmentation_fn=lambda image: labels, random_seed=seed,
        )


class SecondOrderLimeExplainer:
    """Second-order LIME over joint coalitions of query and result superpixels (paper Sec. 5.2).

    ``alpha``: L1 strength of the quadratic surrogate (sklearn ``Lasso``); ``kernel_width``:
    the local kernel is ``exp(−D / kernel_width²)`` with ``D`` the fraction of the pair's
    squared pixel deviation from the background that a coalition removes.
    """

    def __init__(self, alpha: float = 1e-5, kernel_width: float = 0.25, players: str | int | tuple = "slic",
                 n_segments: int = 50, background: object = "mean") -> None:
        if alpha < 0 or kernel_width <= 0:
            raise ValueError(f"alpha must be ≥ 0 and kernel_width > 0, got {alpha} and {kernel_width}")
        self.alpha, self.kernel_width = alpha, kernel_width
        self.players, self.n_segments, self.background = players, n_segments, background

    def explain_instance(
        self,
        query: object,
        result: object,
        model: SimilarityModel,
        num_samples: int = 20_000,
        batch_size: int = 64,
        random_state: int | np.random.Generator | None = None,
    ) -> SecondOrderResult:
        query, result = _rgb(query, "query"), _rgb(result, "result")
        game = SecondOrderSearchGame.for_images(model, query, result, players=self.players,
                                                background=self.background, n_segments=self.n_segments,
                                                batch_size=batch_size)
        rng = as_generator(random_state)
        n, n_query = game.n_players, game.n_query
        check_count(num_samples, "num_samples", minimum=n + 2)  # the whole pair, the empty pair, and n more
        coalitions = rng.integers(0, 2, size=(num_samples, n)).astype(bool)
        coalitions[0] = True
        coalitions[1] = False
        values = game(coalitions)
        energy = np.concatenate([_player_energy(game.query_masker), _player_energy(game.result_masker)])
        if energy.sum() <= 0:
            raise ValueError("query and result equal their background everywhere (background="
                             f"{self.background!r}), so hiding players changes nothing; use another background")
        removed = (~coalitions) @ energy / energy.sum()
        weights = np.exp(-removed / self.kernel_width**2)
        rows, cols = np.meshgrid(np.arange(n_query), np.arange(n_query, n), indexing="ij")
        rows, cols = rows.ravel(), cols.ravel()
        design = np.concatenate([coalitions, coalitions[:, rows] & coalitions[:, cols]], axis=1).astype(np.float32)
        surrogate = Lasso(alpha=self.alpha, max_iter=5000, random_state=int(rng.integers(2**31 - 1)))
        surrogate.fit(design, values, sample_weight=weights)
        pairs = np.zeros((n, n))
        pairs[rows, cols] = surrogate.coef_[n:]
        pairs += pairs.T
        return SecondOrderResult(surrogate.coef_[:n].astype(np.float64), pairs, float(values[1]),
                                 float(values[0]), num_samples, n_query=n_query,
                                 query_players=game.query_masker, result_players=game.result_masker)


def _player_energy(masker: ImageMasker) -> np.ndarray:
    """Squared pixel deviation from the background removed by hiding each player."""
    deviation = ((masker.input - masker.backgrounds.mean(dim=0)) ** 2).sum(dim=0).cpu().numpy()
    return np.bincount(masker.labels.ravel(), weights=deviation.ravel(), minlength=masker.n_players)
