"""First-order explanations of many pairs with model inputs batched across the pairs.

Kernel SHAP draws its coalitions before it sees a value (``KernelShap.plan``), so the masked
inputs of every pair in a chunk can be scored together: small images, or budgets smaller than a
batch, still fill the device. An embedding model embeds the masked inputs of several pairs in
one batch and compares each with its own pair's fixed embedding; any other model scores
``(fixed, masked)`` pairs batched the same way. Masked inputs are built one batch at a time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from ..estimators import KernelShap
from ..images import as_image_tensor
from ..masking import ImageMasker
from ..models import EmbeddingSimilarity, SimilarityModel
from ..progress import advance
from ..results import FirstOrderResult


@dataclass
class FirstOrderPair:
    """One pair's explained side: its masker, the fixed other image and Kernel SHAP's plan."""

    masker: ImageMasker
    fixed: torch.Tensor
    plan: object
    values: np.ndarray | None = None
    forward_passes: int = 0


def first_order_pairs(
    model: SimilarityModel,
    pairs: list[tuple[object, object]],
    budget: int,
    rngs: list[np.random.Generator],
    explain: str = "result",
    players: object = "slic",
    background: object = "blur",
    n_segments: int = 50,
    batch_size: int = 64,
) -> list[tuple[FirstOrderResult, int]]:
    """``(result, forward passes)`` per pair: Kernel SHAP values of the explained side of each ``(query, result)`` pair, with model
    inputs batched across pairs; ``rngs[k]`` draws pair ``k``'s coalitions, so a pair's
    coalitions are those of ``explain_first_order`` on it with the same generator.

    >>> from axiomatic_search.models import EmbeddingSimilarity
    >>> model = EmbeddingSimilarity(lambda x: x.flatten(1), metric="dot")
    >>> image = np.random.default_rng(0).random((4, 4, 3))
    >>> results = first_order_pairs(model, [(image, image)] * 2, 16, [np.random.default_rng(0)] * 2, players=2)
    >>> [(bool(abs(r.values.sum() - (r.full_value - r.base_value)) < 1e-9), passes) for r, passes in results]
    [(True, 17), (True, 17)]
    """
    device = model.device
    items = []
    for (query, result), rng in zip(pairs, rngs):
        explained, fixed = (result, query) if explain == "result" else (query, result)
        masker = ImageMasker(explained, players=players, background=background, n_segments=n_segments,
                             name=explain).to(device)
        fixed = as_image_tensor(fixed, name="query" if explain == "result" else "result").to(device)
        items.append(FirstOrderPair(masker, fixed, KernelShap().plan(masker.n_players, budget, rng)))
    _score_all(model, items, explain, batch_size)
    return [(dataclasses.replace(item.plan.solve(item.values), players=item.masker), item.forward_passes)
            for item in items]


@torch.inference_mode()
def _score_all(model: SimilarityModel, items: list[FirstOrderPair], explain: str, batch_size: int) -> None:
    side = "result" if explain == "result" else "query"
    fixed_side = "query" if explain == "result" else "result"
    embedding = isinstance(model, EmbeddingSimilarity)
    if embedding:
        fixed = [model.embeddings(item.fixed[None], fixed_side) for item in items]
    for item in items:
        item.forward_passes = 1 if embedding else 0
    scored: list[list[torch.Tensor]] = [[] for _ in items]
    pending: list[tuple[int, int, torch.Tensor]] = []  # (pair, coalitions, masked inputs)

    def flush() -> None:
        if not pending:
            return
        inputs = torch.cat([entry[2] for entry in pending])
        if embedding:
            embedded = model.embeddings(inputs, side)
            partners = torch.cat([fixed[k].expand(len(masked), -1) for k, _, masked in pending])
            scores = (model.compare(partners, embedded) if explain == "result" else model.compare(embedded, partners))
        else:
            partners = torch.cat([items[k].fixed.expand(len(masked), *items[k].fixed.shape)
                                  for k, _, masked in pending])
            scores = model(partners, inputs) if explain == "result" else model(inputs, partners)
        scores = torch.as_tensor(scores)
        if scores.shape != (len(inputs),):
            raise ValueError(f"the similarity model returned shape {tuple(scores.shape)} for a batch of "
                             f"{len(inputs)} pairs; expected ({len(inputs)},)")
        offset = 0
        for k, rows, masked in pending:  # values stay on the device until every batch is scored
            scored[k].append(scores[offset : offset + len(masked)].double().reshape(rows, -1).mean(dim=1))
            items[k].forward_passes += len(masked)
            offset += len(masked)
        advance(len(inputs))
        pending.clear()

    for k, item in enumerate(items):
        backgrounds = item.masker.n_backgrounds
        rows_per_batch = max(1, batch_size // backgrounds)
        coalitions = torch.from_numpy(item.plan.coalitions).to(item.fixed.device)  # one copy to the device
        for start in range(0, len(coalitions), rows_per_batch):
            chunk = coalitions[start : start + rows_per_batch]
            masked = item.masker.mask(chunk)
            masked = masked.reshape(-1, *masked.shape[2:])
            if pending and not _fits(pending, k, masked, items, embedding, batch_size):
                flush()
            pending.append((k, len(chunk), masked))
    flush()
    for k, item in enumerate(items):  # one copy back per pair
        item.values = torch.cat(scored[k]).cpu().numpy()
        if not np.isfinite(item.values).all():
            raise ValueError(f"the similarity of {model!r} is NaN or inf for some masked inputs")


def _fits(pending: list, k: int, masked: torch.Tensor, items: list[FirstOrderPair], embedding: bool,
          batch_size: int) -> bool:
    """Whether pair ``k``'s masked inputs join the pending batch: room left, the same input shape
    and, for a model scoring (fixed, masked) pairs, a fixed side of the same shape."""
    first, _, inputs = pending[0]
    if sum(len(entry[2]) for entry in pending) + len(masked) > batch_size or masked.shape[1:] != inputs.shape[1:]:
        return False
    return embedding or items[k].fixed.shape == items[first].fixed.shape
