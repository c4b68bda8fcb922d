"""Search games over a similarity model (paper Eq. 2 and Eq. 6).

- ``FirstOrderSearchGame``: ``v1(S) = d(x, mask(y, S))``, or with the roles swapped to
  explain the query.
- ``SecondOrderSearchGame``: ``v2(S) = d(mask(x, S ∩ Lq), mask(y, S ∩ Lr))``; players are the
  query's then the result's.

Masked inputs are built and scored one batch at a time on the model's device, so memory
does not grow with the number of coalitions; ``batch_size`` is the number of model inputs per
call (coalitions × backgrounds).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ._checks import check_choice
from .backgrounds import Background
from .games import Game
from .images import as_image_tensor
from .masking import ImageMasker, Masker, image_maskers
from .models import SimilarityModel


def _scores(scorer: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor) -> torch.Tensor:
    scores = torch.as_tensor(scorer(inputs))
    if scores.shape != (len(inputs),):
        raise ValueError(
            f"the similarity model returned shape {tuple(scores.shape)} for a batch of {len(inputs)} "
            f"pairs; expected ({len(inputs)},)"
        )
    return scores.double()


class FirstOrderSearchGame(Game):
    """Players of one input; the other input is fixed.

    ``explain="result"`` (default): ``v(S) = d(fixed_query, mask(result, S))``;
    ``explain="query"``: ``v(S) = d(mask(query, S), fixed_result)``.
    """

    def __init__(
        self,
        model: SimilarityModel,
        fixed: object,
        masker: Masker,
        explain: str = "result",
        batch_size: int = 64,
    ) -> None:
        # batch_size counts model inputs: each coalition is scored against K backgrounds
        super().__init__(masker.n_players, max(1, batch_size // masker.n_backgrounds))
        self.explain = check_choice(explain, ("result", "query"), "explain")
        self.model = model
        self.masker = masker.to(model.device)
        if isinstance(masker, ImageMasker):
            fixed = as_image_tensor(fixed, name="query" if explain == "result" else "result")
        elif not isinstance(fixed, (torch.Tensor, str)):  # a string is the other side of a text pair
            fixed = torch.as_tensor(np.asarray(fixed), dtype=torch.float32)
        self.fixed = fixed.to(model.device) if isinstance(fixed, torch.Tensor) else fixed
        with torch.inference_mode():
            self._scorer = model.fix_query(self.fixed) if explain == "result" else model.fix_result(self.fixed)

    @classmethod
    def for_images(
        cls,
        model: SimilarityModel,
        query: object,
        result: object,
        explain: str = "result",
        players: str | int | np.ndarray = "slic",
        background: str | Background | object = "blur",
        n_segments: int = 50,
        batch_size: int = 64,
    ) -> "FirstOrderSearchGame":
        """The first-order game of an image pair, superpixel players by default."""
        check_choice(explain, ("result", "query"), "explain")
        explained, fixed = (result, query) if explain == "result" else (query, result)
        masker = ImageMasker(explained, players=players, background=background, n_segments=n_segments, name=explain)
        return cls(model, as_image_tensor(fixed, name="query" if explain == "result" else "result"),
                   masker, explain=explain, batch_size=batch_size)

    @torch.inference_mode()
    def _evaluate(self, coalitions: np.ndarray) -> np.ndarray:
        flat = self.masker.masked_batch(torch.from_numpy(coalitions).to(self.model.device))
        return _scores(self._scorer, flat).reshape(len(coalitions), -1).mean(dim=1).cpu().numpy()


class SecondOrderSearchGame(Game):
    """Joint game over query players (first) and result players (after them)."""

    def __init__(
        self, model: SimilarityModel, query_masker: Masker, result_masker: Masker, batch_size: int = 64
    ) -> None:
        k_query, k_result = query_masker.n_backgrounds, result_masker.n_backgrounds
        super().__init__(query_masker.n_players + result_masker.n_players, max(1, batch_size // max(k_query, k_result)))
        if k_query != k_result and 1 not in (k_query, k_result):
            raise ValueError(
                f"query and result maskers have {k_query} and {k_result} backgrounds; "
                "averaging pairs them up, so they must be equal (or one of them 1)"
            )
        self.model = model
        self.query_masker = query_masker.to(model.device)
        self.result_masker = result_masker.to(model.device)
        self.n_query = query_masker.n_players

    @classmethod
    def for_images(
        cls,
        model: SimilarityModel,
        query: object,
        result: object,
        players: str | int | np.ndarray | tuple = "slic",
        background: str | Background | object = "blur",
        n_segments: int = 50,
        batch_size: int = 64,
    ) -> "SecondOrderSearchGame":
        """The joint game of an image pair. ``players`` may be a ``(query, result)`` tuple."""
        return cls(model, *image_maskers(query, result, players, background, n_segments), batch_size=batch_size)

    @torch.inference_mode()
    def _evaluate(self, coalitions: np.ndarray) -> np.ndarray:
        tensor = torch.from_numpy(coalitions).to(self.model.device)
        k = max(self.query_masker.n_backgrounds, self.result_masker.n_backgrounds)
        queries = self.query_masker.masked_batch(tensor[:, : self.n_query], k if self.query_masker.n_backgrounds < k else None)
        results = self.result_masker.masked_batch(tensor[:, self.n_query :], k if self.result_masker.n_backgrounds < k else None)
        scores = _scores(lambda batch: self.model(batch, results), queries)
        return scores.reshape(len(coalitions), k).mean(dim=1).cpu().numpy()


def similarity_to(model: SimilarityModel, query: object, side: str = "result") -> Callable[[np.ndarray], np.ndarray]:
    """The model as shap and lime call it: ``(B, H, W, C)`` numpy batches of results (or of
    queries with ``side="query"``) to float64 similarities ``(B,)`` with the fixed other image."""
    check_choice(side, ("result", "query"), "side")
    fixed = as_image_tensor(query, name="query" if side == "result" else "result").to(model.device)
    with torch.inference_mode():
        scorer = model.fix_query(fixed) if side == "result" else model.fix_result(fixed)

    def score(images: np.ndarray) -> np.ndarray:
        batch = torch.as_tensor(np.asarray(images, dtype=np.float32)).permute(0, 3, 1, 2).to(model.device)
        with torch.inference_mode():
            scores = torch.as_tensor(scorer(batch))
        if scores.shape != (len(batch),):
            raise ValueError(
                f"the similarity model returned shape {tuple(scores.shape)} for a batch of {len(batch)} "
                f"images; expected ({len(batch)},)"
            )
        values = scores.double().cpu().numpy()
        if not np.isfinite(values).all():
            raise ValueError("the similarity model returned NaN or inf similarities")
        return values

    return score
