"""Layer integrated gradients on a sentence-transformer's word embeddings: the captum-native,
first-order explanation of text similarity for users with gradient access.

The explained text (the result, or the query) is tokenised and captum's
``LayerIntegratedGradients`` integrates the gradient of ``metric(E(fixed), E(explained))`` along
the straight line from a baseline's word embeddings to the text's. The baseline replaces every
token *inside a word* by ``[MASK]`` (``baseline="mask"``) or ``[PAD]`` (``"pad"``); the special
tokens and the punctuation between words stay as written, as in ``axiomatic_search.text.TextMasker``
(only words are players). Those kept tokens have exactly zero attribution, so the word values add
up to ``d(x, y) − d(x, baseline)``, less captum's convergence delta. Words past the model's
``max_seq_length`` are truncated away and get zero.

>>> from axiomatic_search.text import all_minilm_l6_v2
>>> explainer = TextSimilarityIntegratedGradients(all_minilm_l6_v2())
>>> values = explainer.attribute("A man plays a guitar.", "Someone plays an instrument.", n_steps=16)
>>> values.shape, values.dtype
(torch.Size([4]), torch.float64)
"""

from __future__ import annotations

import torch
from captum.attr import Attribution, LayerIntegratedGradients

from axiomatic_search._checks import check_choice, check_count
from axiomatic_search.text import SentenceEmbeddingSimilarity, as_text_model, check_text
from axiomatic_search.text.words import word_spans

BASELINES = ("mask", "pad")
EXPLAINED = ("result", "query")


class TextSimilarityIntegratedGradients(Attribution):
    """captum's ``LayerIntegratedGradients`` of a sentence-transformers bi-encoder's similarity
    on its input (word) embedding layer, summed over the hidden dimension and then over the
    tokens of each word.

    ``model``: a ``SentenceEmbeddingSimilarity`` (e.g. ``axiomatic_search.text.all_minilm_l6_v2()``)
    or a ``sentence_transformers.SentenceTransformer``. Its module is put in eval mode while
    attributing (dropout off) and restored after; no random numbers are drawn.
    """

    def __init__(self, model: object) -> None:
        if hasattr(model, "encode") and not isinstance(model, SentenceEmbeddingSimilarity):
            model = as_text_model(model)
        if not isinstance(model, SentenceEmbeddingSimilarity):
            raise TypeError("model must be a SentenceEmbeddingSimilarity or a sentence_transformers."
                            f"SentenceTransformer (a bi-encoder with gradients), got {type(model).__name__}")
        try:
            embeddings = getattr(getattr(model.encoder[0], "auto_model", None), "get_input_embeddings", None)
        except (TypeError, IndexError, KeyError):
            embeddings = None
        if model.tokenizer is None or not callable(embeddings):
            raise TypeError("model must wrap a Hugging Face transformer (encoder[0].auto_model) and its tokenizer, "
                            f"got {type(model.encoder).__name__}")
        super().__init__(model)
        self.model, self.encoder, self.tokenizer = model, model.encoder, model.tokenizer
        self.layer = embeddings()

    def has_convergence_delta(self) -> bool:
        return True

    def tokenize(self, text: str) -> dict[str, torch.Tensor]:
        """The model's features for ``text`` (one row), with ``offset_mapping`` and
        ``special_tokens_mask``."""
        limit = getattr(self.encoder, "max_seq_length", None) or self.tokenizer.model_max_length
        try:
            found = self.tokenizer(text, truncation=True, max_length=limit, return_tensors="pt",
                                   return_offsets_mapping=True, return_special_tokens_mask=True)
        except NotImplementedError as error:  # slow tokenizers have no character offsets
            raise ValueError(f"model's tokenizer must be a fast tokenizer with offsets ({error})") from None
        return {key: value.to(self.model.device) for key, value in found.items()}

    def _embed(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        kept = {key: value for key, value in features.items() if key not in ("offset_mapping", "special_tokens_mask")}
        return self.encoder(kept)["sentence_embedding"].float()

    def _baseline_ids(self, features: dict[str, torch.Tensor], owners: list[int], baseline: str) -> torch.Tensor:
        token = self.tokenizer.mask_token_id if baseline == "mask" else self.tokenizer.pad_token_id
        if token is None:
            raise ValueError(f"baseline={baseline!r} needs the tokenizer's {baseline} token; this tokenizer has none")
        ids = features["input_ids"].clone()
        ids[0, torch.tensor([owner >= 0 for owner in owners], device=ids.device)] = token
        return ids

    def attribute_tokens(self, query: str, result: str, explain: str = "result", n_steps: int = 50,
                         baseline: str = "mask", return_convergence_delta: bool = False,
                         internal_batch_size: int | None = None):
        """``(tokens, values)``: the explained text's tokens (specials included) and one float64
        attribution each (all of them sum to ``d(x, y) − d(x, baseline)`` − delta); with
        ``return_convergence_delta``, ``(tokens, values, delta)``."""
        tokens, values, _, _, delta = self._attribute(query, result, explain, n_steps, baseline, internal_batch_size)
        return (tokens, values, delta) if return_convergence_delta else (tokens, values)

    def attribute(self, query: str, result: str, explain: str = "result", n_steps: int = 50, baseline: str = "mask",
                  return_convergence_delta: bool = False, internal_batch_size: int | None = None):
        """One float64 attribution per word of the explained text (``TextMasker(text).words``);
        with ``return_convergence_delta``, ``(values, delta)``, ``delta`` of shape ``(1,)``:
        ``values.sum() − (d(x, y) − d(x, baseline))``."""
        _, values, owners, n_words, delta = self._attribute(query, result, explain, n_steps, baseline,
                                                            internal_batch_size)
        owners = torch.tensor(owners)
        per_word = torch.zeros(n_words, dtype=torch.float64).index_add_(0, owners[owners >= 0], values[owners >= 0])
        return (per_word, delta) if return_convergence_delta else per_word

    def _attribute(self, query: str, result: str, explain: str, n_steps: int, baseline: str,
                   internal_batch_size: int | None):
        query, result = check_text(query, "query"), check_text(result, "result")
        check_choice(explain, EXPLAINED, "explain")
        check_choice(baseline, BASELINES, "baseline")
        n_steps = check_count(n_steps, "n_steps")
        if internal_batch_size is not None:
            internal_batch_size = check_count(internal_batch_size, "internal_batch_size")
        fixed_text, explained = (query, result) if explain == "result" else (result, query)
        features, spans = self.tokenize(explained), word_spans(explained)
        owners = self._owners(features, spans)
        baseline_ids = self._baseline_ids(features, owners, baseline)
        training = self.encoder.training
        self.encoder.eval()
        try:
            with torch.no_grad():
                fixed = self._embed(self.tokenize(fixed_text))

            def similarity(input_ids: torch.Tensor, *others: torch.Tensor) -> torch.Tensor:
                rest = dict(zip(self._others(features), others))
                embedded = self._embed({"input_ids": input_ids, **rest})
                pair = (fixed.expand_as(embedded), embedded)
                return self.model.metric(*(pair if explain == "result" else pair[::-1]))

            others = tuple(features[key] for key in self._others(features))
            found, delta = LayerIntegratedGradients(similarity, self.layer).attribute(
                features["input_ids"], baselines=baseline_ids, additional_forward_args=others, n_steps=n_steps,
                internal_batch_size=internal_batch_size, return_convergence_delta=True)
        finally:
            self.encoder.train(training)
        values = found[0].sum(dim=-1).detach().double().cpu()
        if not torch.isfinite(values).all():
            raise ValueError("TextSimilarityIntegratedGradients produced NaN or inf attributions: the model returned "
                             "non-finite similarities for these texts")
        tokens = self.tokenizer.convert_ids_to_tokens(features["input_ids"][0].tolist())
        return tokens, values, owners, len(spans), delta.detach().double().cpu()

    @staticmethod
    def _others(features: dict[str, torch.Tensor]) -> list[str]:
        return [key for key in ("attention_mask", "token_type_ids") if key in features]

    @staticmethod
    def _owners(features: dict[str, torch.Tensor], spans: list[tuple[int, int]]) -> list[int]:
        """The word (index into ``spans``, the words of ``TextMasker(text)``) each token lies in,
        −1 for specials and tokens outside words (punctuation); a token over several words goes
        to the one it overlaps most."""
        special = features["special_tokens_mask"][0].tolist()
        owners = []
        for (start, end), is_special in zip(features["offset_mapping"][0].tolist(), special):
            overlaps = [min(end, stop) - max(start, begin) for begin, stop in spans]
            best = max(range(len(spans)), key=overlaps.__getitem__)
            owners.append(best if not is_special and end > start and overlaps[best] > 0 else -1)
        return owners
