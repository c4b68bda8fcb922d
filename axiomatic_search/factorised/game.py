"""Factorised joint games: ``v(Sq ∪ Sr) = combine(side(q, Sq), side(r, Sr))``.

A dual encoder (every embedding model: the paper's, every sentence-transformer) scores a pair
by comparing an embedding of the query with an embedding of the result, so the joint game of
paper Eq. 6 factorises: embed ``m_q`` masked queries and ``m_r`` masked results on their own,
and one matrix product gives all ``m_q · m_r`` joint values. ``FactorisedShapleyTaylor`` is
designed around this; every other estimator still sees an ordinary ``Game`` (``__call__`` on
joint coalitions embeds both halves of each row).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Callable

import numpy as np
import torch

from .._checks import check_coalitions
from ..games import Game
from ..masking import Masker, image_maskers
from ..progress import advance
from ..models import EmbeddingSimilarity, metric_vectors


class FactorisedGame(Game):
    """A joint game over query players (first ``n_query``) and result players, whose value is
    ``combine(embed_query(Sq), embed_result(Sr))``.

    Subclasses implement ``_embed_query`` / ``_embed_result`` (one batch of side coalitions to a
    tensor with one leading row per coalition) and ``combine`` (all combinations, ``(a, b)``).
    ``factorises`` is False for an instance that can only be scored jointly.
    """

    factorises = True

    def __init__(self, n_query: int, n_result: int, batch_size: int = 64) -> None:
        if n_query < 1 or n_result < 1:
            raise ValueError(f"a factorised game needs players on both sides, got n_query={n_query}, n_result={n_result}")
        super().__init__(n_query + n_result, batch_size)
        self.n_query, self.n_result = int(n_query), int(n_result)

    @abstractmethod
    def _embed_query(self, coalitions: np.ndarray) -> torch.Tensor:
        """Side representations of one batch of query coalitions ``(b, n_query)``."""

    @abstractmethod
    def _embed_result(self, coalitions: np.ndarray) -> torch.Tensor:
        """Side representations of one batch of result coalitions ``(b, n_result)``."""

    @abstractmethod
    def combine(self, query_side: torch.Tensor, result_side: torch.Tensor) -> np.ndarray:
        """Joint values of every (query row, result row) combination: float64 ``(a, b)``."""

    def side_vectors(self, side: torch.Tensor) -> np.ndarray | None:
        """Float64 vectors with ``combine(a, b) = vectors(a) · vectors(b)ᵀ`` when the game is a dot
        product of side vectors (then the estimator never forms the ``m_q · m_r`` values), else
        None."""
        return None

    def combine_rows(self, query_side: torch.Tensor, result_side: torch.Tensor) -> np.ndarray:
        """Joint values of row ``k`` with row ``k``: ``(m,)`` (default: the diagonal of
        ``combine``, a block at a time)."""
        return np.concatenate([
            np.diag(self.combine(query_side[k : k + 256], result_side[k : k + 256]))
            for k in range(0, len(query_side), 256)
        ]) if len(query_side) else np.zeros(0)

    def embed_query(self, coalitions: np.ndarray) -> torch.Tensor:
        """Representations of query coalitions ``(m, n_query)``, computed in batches."""
        return self._embed(self._embed_query, coalitions, self.n_query, "query coalitions")

    def embed_result(self, coalitions: np.ndarray) -> torch.Tensor:
        """Representations of result coalitions ``(m, n_result)``, computed in batches."""
        return self._embed(self._embed_result, coalitions, self.n_result, "result coalitions")

    def _embed(self, embed: Callable[[np.ndarray], torch.Tensor], coalitions: np.ndarray, n: int, name: str):
        coalitions = check_coalitions(coalitions, n, name)
        batches = []
        for start in range(0, len(coalitions), self.batch_size):
            batches.append(embed(coalitions[start : start + self.batch_size]))
            advance(len(batches[-1]))
        return torch.cat(batches) if batches else embed(coalitions)

    def _evaluate(self, coalitions: np.ndarray) -> np.ndarray:
        query = self._embed_query(coalitions[:, : self.n_query])
        result = self._embed_result(coalitions[:, self.n_query :])
        return self.combine_rows(query, result)


class FunctionFactorisedGame(FactorisedGame):
    """A factorised game from plain functions: ``query_side(coalitions) -> (m, D)``,
    ``result_side(coalitions) -> (m, D)`` and ``combine(a, b) -> (len(a), len(b))`` (default:
    the dot product of the two sides' vectors).

    >>> game = FunctionFactorisedGame(lambda c: c * 1.0, lambda c: c * 1.0, n_query=2, n_result=2)
    >>> game(np.array([[True, True, True, False]])).tolist()
    [1.0]
    """

    def __init__(
        self,
        query_side: Callable[[np.ndarray], object],
        result_side: Callable[[np.ndarray], object],
        n_query: int,
        n_result: int,
        combine: Callable[[torch.Tensor, torch.Tensor], object] | None = None,
        batch_size: int = 4096,
    ) -> None:
        super().__init__(n_query, n_result, batch_size)
        self.query_side, self.result_side = query_side, result_side
        self._combine = combine if combine is not None else (lambda a, b: a @ b.T)

    def _side(self, function, coalitions: np.ndarray, name: str) -> torch.Tensor:
        side = torch.as_tensor(np.asarray(function(coalitions), dtype=np.float64))
        if side.ndim == 1:
            side = side[:, None]
        if side.shape[0] != len(coalitions):
            raise ValueError(f"{name} returned {side.shape[0]} rows for {len(coalitions)} coalitions")
        return side

    def _embed_query(self, coalitions: np.ndarray) -> torch.Tensor:
        return self._side(self.query_side, coalitions, "query_side")

    def _embed_result(self, coalitions: np.ndarray) -> torch.Tensor:
        return self._side(self.result_side, coalitions, "result_side")

    def combine(self, query_side: torch.Tensor, result_side: torch.Tensor) -> np.ndarray:
        values = np.asarray(self._combine(query_side, result_side), dtype=np.float64)
        if values.shape != (len(query_side), len(result_side)):
            raise ValueError(
                f"combine returned shape {values.shape}; expected ({len(query_side)}, {len(result_side)})"
            )
        return values


class EmbeddingSearchGame(FactorisedGame):
    """The joint search game of a dual encoder (``EmbeddingSimilarity``, including grey boxes)
    over image, vector or text players (any ``Masker``): masked queries and masked results are
    embedded separately.

    With ``K`` backgrounds per side the value averages over the ``K`` paired backgrounds, as
    the joint ``SecondOrderSearchGame`` does. ``batch_size`` counts model inputs;
    ``n_forward_passes`` counts the inputs embedded so far (a side coalition costs one per
    background of its side).

    ``query_cache``: a dict shared by the games of one query and several results (a ranked
    list): a query coalition embedded by one of them is reused by the others, keyed by the
    coalition, the model, the number of backgrounds and a fingerprint of the query masker (image
    or text, backgrounds, players), so a cache handed a different query never answers for it.
    """

    def __init__(
        self, model: EmbeddingSimilarity, query_masker: Masker, result_masker: Masker, batch_size: int = 64,
        query_cache: dict | None = None,
    ) -> None:
        if not isinstance(model, EmbeddingSimilarity):
            raise TypeError(
                f"model must be an EmbeddingSimilarity (an embedding network and a metric) to factorise, "
                f"got {type(model).__name__}; a model that only scores pairs needs the joint "
                "SecondOrderSearchGame"
            )
        k_query, k_result = query_masker.n_backgrounds, result_masker.n_backgrounds
        if k_query != k_result and 1 not in (k_query, k_result):
            raise ValueError(
                f"query and result maskers have {k_query} and {k_result} backgrounds; "
                "averaging pairs them up, so they must be equal (or one of them 1)"
            )
        self.n_backgrounds = max(k_query, k_result)
        super().__init__(query_masker.n_players, result_masker.n_players, max(1, batch_size // self.n_backgrounds))
        self.model = model
        self.n_forward_passes = 0
        self.query_masker = query_masker.to(model.device)
        self.result_masker = result_masker.to(model.device)
        self.query_cache = query_cache
        self._query_key = self.query_masker.fingerprint() if query_cache is not None else b""

    def embed_query(self, coalitions: np.ndarray) -> torch.Tensor:
        """As ``FactorisedGame.embed_query``, reusing ``query_cache`` when one is shared: only the
        query coalitions no earlier call embedded are embedded, once each."""
        if self.query_cache is None:
            return super().embed_query(coalitions)
        coalitions = np.asarray(coalitions, dtype=bool)
        prefix = self._query_key + np.asarray([coalitions.shape[-1], self.n_backgrounds, id(self.model)]).tobytes()
        keys = [prefix + row.tobytes() for row in np.packbits(coalitions, axis=-1)]
        missing: dict[bytes, int] = {}
        for index, key in enumerate(keys):
            if key not in self.query_cache:
                missing.setdefault(key, index)
        if missing:
            embedded = super().embed_query(coalitions[list(missing.values())])
            self.query_cache.update(zip(missing, embedded))
        if not keys:
            return super().embed_query(coalitions)
        return torch.stack([self.query_cache[key] for key in keys])

    @classmethod
    def for_images(
        cls,
        model: EmbeddingSimilarity,
        query: object,
        result: object,
        players: str | int | np.ndarray | tuple = 4,
        background: object = "blur",
        n_segments: int = 50,
        batch_size: int = 64,
        query_cache: dict | None = None,
    ) -> "EmbeddingSearchGame":
        """The factorised game of an image pair (default: a 4 × 4 grid on each image);
        ``players`` may be a ``(query, result)`` tuple: ``(2, 4)`` is a 2 × 2 query grid and a
        4 × 4 result grid, ``((2, 4), (2, 4))`` a 2 × 4 grid on both."""
        return cls(model, *image_maskers(query, result, players, background, n_segments), batch_size=batch_size,
                   query_cache=query_cache)

    @torch.inference_mode()
    def _side(self, masker: Masker, coalitions: np.ndarray, side: str) -> torch.Tensor:
        flat = masker.masked_batch(torch.from_numpy(coalitions).to(self.model.device))  # b · K inputs
        embeddings = self.model.embeddings(flat, side=side)
        self.n_forward_passes += len(flat)
        embeddings = embeddings.reshape(len(coalitions), masker.n_backgrounds, -1)
        return embeddings.expand(-1, self.n_backgrounds, -1)

    def _embed_query(self, coalitions: np.ndarray) -> torch.Tensor:
        return self._side(self.query_masker, coalitions, "query")

    def _embed_result(self, coalitions: np.ndarray) -> torch.Tensor:
        return self._side(self.result_masker, coalitions, "result")

    def side_vectors(self, side: torch.Tensor) -> np.ndarray | None:
        """Cosine and dot heads are dot products of (normalised) embeddings, averaged over the
        ``K`` paired backgrounds: the concatenation over ``K``, scaled by ``1/√K``."""
        vectors = metric_vectors(self.model.metric, side.double())
        if vectors is None:
            return None
        return (vectors.reshape(len(vectors), -1) / self.n_backgrounds**0.5).cpu().numpy()

    @torch.inference_mode()
    def combine(self, query_side: torch.Tensor, result_side: torch.Tensor) -> np.ndarray:
        total = sum(
            self.model.compare_all(query_side[:, k].double(), result_side[:, k].double())
            for k in range(self.n_backgrounds)
        )
        values = (total / self.n_backgrounds).cpu().numpy()
        if not np.isfinite(values).all():
            raise ValueError(f"the similarity of {self.model!r} is NaN or inf for some masked pairs")
        return values

    @torch.inference_mode()
    def combine_rows(self, query_side: torch.Tensor, result_side: torch.Tensor) -> np.ndarray:
        total = sum(
            self.model.compare(query_side[:, k].double(), result_side[:, k].double())
            for k in range(self.n_backgrounds)
        )
        return (torch.as_tensor(total) / self.n_backgrounds).cpu().numpy()
