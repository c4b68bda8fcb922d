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


def get_metric(metric: str | Metric) -> Metric:
    """A metric function from its name or the function itself."""
    if callable(metric):
        return metric
    return METRICS[check_choice(metric, tuple(METRICS), "metric")]


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
        """A scorer of result batches against one fixed query ``(C, H, W)``."""
        return lambda results: self(query.expand(len(results), *query.shape), results)

    def fix_result(self, result: Tensor) -> Callable[[Tensor], Tensor]:
        """A scorer of query batches against one fixed result."""
        return lambda queries: self(queries, result.expand(len(queries), *result.shape))


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


class EmbeddingSimilarity(SimilarityModel):
    """``metric(embed(query), embed(result))``.

    >>> model = EmbeddingSimilarity(lambda x: x.flatten(1), metric="dot")
    >>> model(torch.ones(1, 2, 2), 2 * torch.ones(1, 2, 2)).tolist()
    [8.0]
    """

    def __init__(self, embed: Callable[[Tensor], Tensor], metric: str | Metric = "cosine"):
        self.embed = embed
        self.metric = get_metric(metric)

    def compare(self, query_embeddings: Tensor, result_embeddings: Tensor) -> Tensor:
        """The metric on two batches of embeddings."""
        return self.metric(query_embeddings, result_embeddings)

    def __call__(self, queries: Tensor, results: Tensor) -> Tensor:
        return self.compare(self.embed(queries), self.embed(results))

    def fix_query(self, query: Tensor) -> Callable[[Tensor], Tensor]:
        fixed = self.embed(query[None])
        return lambda results: self.compare(fixed.expand(len(results), -1), self.embed(results))

    def fix_result(self, result: Tensor) -> Callable[[Tensor], Tensor]:
        fixed = self.embed(result[None])
        return lambda queries: self.compare(self.embed(queries), fixed.expand(len(queries), -1))


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
