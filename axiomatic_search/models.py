"""Similarity models ``d(query, result) -> score``, scored in batches of pairs.

- ``CallableSimilarity``: a black box, any function of (queries, results) batches.
- ``EmbeddingSimilarity``: an embedding network plus a metric (cosine, dot, neg_euclidean);
  a fixed side's embedding is computed once per explanation.
- ``GreyBoxSimilarity``: a backbone producing feature maps ``(B, C, H, W)``, global average
  pooling and a metric; exposes the feature maps and the head for feature-map players.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

import torch

from ._checks import check_choice

Tensor = torch.Tensor
Metric = Callable[[Tensor, Tensor], Tensor]


def cosine(left: Tensor, right: Tensor) -> Tensor:
    """Row-wise cosine similarity of two ``(B, D)`` batches."""
    return torch.nn.functional.cosine_similarity(left, right, dim=-1)


def dot(left: Tensor, right: Tensor) -> Tensor:
    """Row-wise dot product of two ``(B, D)`` batches."""
    return (left * right).sum(dim=-1)


def neg_euclidean(left: Tensor, right: Tensor) -> Tensor:
    """Row-wise negative Euclidean distance of two ``(B, D)`` batches."""
    return -torch.linalg.vector_norm(left - right, dim=-1)


METRICS: dict[str, Metric] = {"cosine": cosine, "dot": dot, "neg_euclidean": neg_euclidean}
_CROSS_CHUNK = 1 << 20
"""Pairs per chunk when a custom metric is broadcast over every (query, result) combination."""


def metric_vectors(metric: Metric, embeddings: Tensor) -> Tensor | None:
    """Vectors whose dot products are ``metric``'s scores: the embeddings L2-normalised (along the
    last axis) for cosine, as they are for dot; None for any other metric.

    >>> metric_vectors(cosine, torch.tensor([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    if metric is cosine:
        return embeddings / embeddings.norm(dim=-1, keepdim=True).clamp_min(1e-8)
    return embeddings if metric is dot else None


def cross_metric(metric: Metric, left: Tensor, right: Tensor) -> Tensor:
    """``metric`` on every combination of two embedding batches: ``(a, D), (b, D) -> (a, b)``.

    The built-in metrics are one matrix product; a custom metric is broadcast in chunks.

    >>> cross_metric(dot, torch.eye(2), torch.ones(3, 2)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    if metric in (cosine, dot):
        return metric_vectors(metric, left) @ metric_vectors(metric, right).T
    if metric is neg_euclidean:
        squared = (left * left).sum(1)[:, None] + (right * right).sum(1)[None, :] - 2.0 * left @ right.T
        return -squared.clamp_min(0.0).sqrt()
    rows = max(1, _CROSS_CHUNK // max(len(right), 1))
    chunks = []
    for start in range(0, len(left), rows):
        block = left[start : start + rows]
        pairs = metric(block[:, None].expand(-1, len(right), -1).reshape(-1, left.shape[1]),
                       right[None].expand(len(block), -1, -1).reshape(-1, right.shape[1]))
        chunks.append(pairs.reshape(len(block), len(right)))
    return torch.cat(chunks)


def get_metric(metric: str | Metric) -> Metric:
    """A metric function from its name or the function itself."""
    if callable(metric):
        return metric
    return METRICS[check_choice(metric, tuple(METRICS), "metric")]


def batch_of_one(item: object) -> object:
    """A batch holding one model input: ``[text]`` for a string, ``item[None]`` for a tensor."""
    return [item] if isinstance(item, str) else item[None]


def repeated(item: object, count: int) -> object:
    """A batch of ``count`` copies of one model input (a string or a tensor, without copying)."""
    return [item] * count if isinstance(item, str) else item.expand(count, *item.shape)


def _device_of(module: object) -> torch.device:
    if isinstance(module, torch.nn.Module):
        for parameter in module.parameters():
            return parameter.device
    return torch.device("cpu")


class SimilarityModel(ABC):
    """Scores batches of (query, result) pairs: ``model(queries, results) -> (B,)``."""

    @property
    def device(self) -> torch.device:
        """Where inputs go: the device of the network's parameters (CPU for plain functions)."""
        return _device_of(getattr(self, "backbone", getattr(self, "embed", None)))

    @abstractmethod
    def __call__(self, queries: Tensor, results: Tensor) -> Tensor:
        """Similarity of each (query, result) pair."""

    def fix_query(self, query: Tensor) -> Callable[[Tensor], Tensor]:
        """A scorer of result batches against one fixed query (a ``(C, H, W)`` image or a string)."""
        return lambda results: self(repeated(query, len(results)), results)

    def fix_result(self, result: Tensor) -> Callable[[Tensor], Tensor]:
        """A scorer of query batches against one fixed result."""
        return lambda queries: self(queries, repeated(result, len(queries)))


class CallableSimilarity(SimilarityModel):
    """Black box: ``function(queries, results) -> (B,)`` scores.

    >>> model = CallableSimilarity(lambda q, r: (q * r).flatten(1).sum(1))
    >>> model(torch.ones(2, 3), torch.ones(2, 3)).tolist()
    [3.0, 3.0]
    """

    def __init__(self, function: Callable[[Tensor, Tensor], Tensor], device: str | torch.device = "cpu"):
        self.function = function
        self._device = torch.device(device)

    @property
    def device(self) -> torch.device:
        return self._device

    def __call__(self, queries: Tensor, results: Tensor) -> Tensor:
        return torch.as_tensor(self.function(queries, results))


def _name_of(function: object) -> str:
    if isinstance(function, torch.nn.Module):
        return type(function).__name__
    return getattr(function, "__qualname__", type(function).__name__)


class EmbeddingSimilarity(SimilarityModel):
    """``metric(embed(query), embed(result))``: a dual encoder. Query and result are embedded
    separately, so masked queries and masked results can be embedded on their own and every
    combination scored by one matrix product (``compare_all``), which the factorised
    estimators exploit.

    >>> model = EmbeddingSimilarity(lambda x: x.flatten(1), metric="dot")
    >>> model(torch.ones(1, 2, 2), 2 * torch.ones(1, 2, 2)).tolist()
    [8.0]
    """

    def __init__(self, embed: Callable[[Tensor], Tensor], metric: str | Metric = "cosine"):
        self.embed = embed
        self.metric = get_metric(metric)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(embed={_name_of(self.embed)}, metric={_name_of(self.metric)})"

    def embeddings(self, images: Tensor, side: str = "image") -> Tensor:
        """``embed(images)`` checked: ``(B, D)``, finite. ``side`` names the input in errors."""
        embeddings = torch.as_tensor(self._embed_side(images, side))
        if embeddings.ndim != 2 or embeddings.shape[0] != len(images):
            raise ValueError(
                f"the embedding model {self!r} returned shape {tuple(embeddings.shape)} for a batch of "
                f"{len(images)} {side} inputs; expected ({len(images)}, D): one embedding vector per input"
            )
        if not torch.isfinite(embeddings).all():
            raise ValueError(f"the embedding model {self!r} returned NaN or inf embeddings for {side} inputs")
        return embeddings

    def _embed_side(self, inputs: object, side: str) -> Tensor:
        """``embed(inputs)``; a model that embeds queries and results differently overrides this."""
        return self.embed(inputs)

    def _check_widths(self, query_embeddings: Tensor, result_embeddings: Tensor) -> None:
        if query_embeddings.shape[-1] != result_embeddings.shape[-1]:
            raise ValueError(
                f"the embedding model {self!r} gives query embeddings of width {query_embeddings.shape[-1]} "
                f"and result embeddings of width {result_embeddings.shape[-1]}; the metric needs equal widths"
            )

    def compare(self, query_embeddings: Tensor, result_embeddings: Tensor) -> Tensor:
        """The metric on two batches of embeddings."""
        self._check_widths(query_embeddings, result_embeddings)
        return self.metric(query_embeddings, result_embeddings)

    def compare_all(self, query_embeddings: Tensor, result_embeddings: Tensor) -> Tensor:
        """The metric on every (query, result) combination: ``(a, D), (b, D) -> (a, b)``."""
        self._check_widths(query_embeddings, result_embeddings)
        scores = cross_metric(self.metric, query_embeddings, result_embeddings)
        if scores.shape != (len(query_embeddings), len(result_embeddings)):
            raise ValueError(f"the metric of {self!r} returned shape {tuple(scores.shape)}; expected one score per pair")
        return scores

    def __call__(self, queries: Tensor, results: Tensor) -> Tensor:
        return self.compare(self.embeddings(queries, "query"), self.embeddings(results, "result"))

    def fix_query(self, query: Tensor) -> Callable[[Tensor], Tensor]:
        fixed = self.embeddings(batch_of_one(query), "query")
        return lambda results: self.compare(fixed.expand(len(results), -1), self.embeddings(results, "result"))

    def fix_result(self, result: Tensor) -> Callable[[Tensor], Tensor]:
        fixed = self.embeddings(batch_of_one(result), "result")
        return lambda queries: self.compare(self.embeddings(queries, "query"), fixed.expand(len(queries), -1))


def global_average_pool(feature_maps: Tensor) -> Tensor:
    """``(B, C, H, W) -> (B, C)``."""
    if feature_maps.ndim != 4:
        raise ValueError(f"feature maps must have shape (B, C, H, W), got {tuple(feature_maps.shape)}")
    return feature_maps.mean(dim=(2, 3))


class GreyBoxSimilarity(EmbeddingSimilarity):
    """A backbone's feature maps, global average pooling, then a metric.

    ``head(query_maps, result_maps)`` scores feature maps directly, which is what
    feature-map players mask.

    >>> model = GreyBoxSimilarity(torch.nn.Identity(), metric="dot")
    >>> model.head(torch.ones(1, 2, 3, 3), torch.ones(1, 2, 3, 3)).tolist()
    [2.0]
    """

    def __init__(self, backbone: Callable[[Tensor], Tensor], metric: str | Metric = "cosine"):
        self.backbone = backbone
        super().__init__(lambda images: global_average_pool(self.backbone(images)), metric)

    def feature_maps(self, images: Tensor) -> Tensor:
        """Backbone feature maps ``(B, C, H, W)``."""
        return self.backbone(images)

    def head(self, query_maps: Tensor, result_maps: Tensor) -> Tensor:
        """GAP + metric on two batches of feature maps."""
        if query_maps.shape[1] != result_maps.shape[1]:
            raise ValueError(
                f"query and result feature maps have {query_maps.shape[1]} and "
                f"{result_maps.shape[1]} channels; the head needs equal channel counts"
            )
        return self.compare(global_average_pool(query_maps), global_average_pool(result_maps))
