"""Games over feature-map locations of a grey-box model (paper Props. 4.1 and 5.1).

Players are the spatial locations of backbone feature maps ``(C, H, W)``; a location left out
takes the background feature map's vector there (zeros, features of a blurred image, or of a
counterfactual image). With the model's own GAP head the masked embedding is linear in the
coalition, ``GAP(mask(y, S)) = GAP(b) + S · (y − b)_loc / HW``, so a batch of coalitions costs
one matrix product, not one head call per coalition. A custom ``head(query_maps,
result_maps) -> (B,)`` (for heads that are not GAP-linear) is evaluated on masked maps instead.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from ._checks import check_choice
from .factorised.game import FactorisedGame
from .games import Game
from .models import GreyBoxSimilarity, global_average_pool, metric_vectors

Head = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_maps(maps: torch.Tensor, name: str) -> torch.Tensor:
    maps = torch.as_tensor(maps)
    if maps.ndim != 3:
        raise ValueError(f"{name} must be one feature map of shape (C, H, W), got {tuple(maps.shape)}")
    return maps.detach().double()


def _background_for(maps: torch.Tensor, background: torch.Tensor | None, name: str) -> torch.Tensor:
    if background is None:
        return torch.zeros_like(maps)
    background = _check_maps(background, name)
    if background.shape != maps.shape:
        raise ValueError(f"{name} has shape {tuple(background.shape)}; expected the feature map's {tuple(maps.shape)}")
    return background.to(maps.device)


class _MaskedMaps:
    """One feature map and its background, masked by coalitions of its locations."""

    def __init__(self, maps: torch.Tensor, background: torch.Tensor) -> None:
        self.maps, self.background = maps, background
        channels, height, width = maps.shape
        self.n_players = height * width
        self.base_gap = background.mean(dim=(1, 2))
        self.delta = (maps - background).reshape(channels, -1).T / self.n_players  # (HW, C)

    def gap(self, coalitions: torch.Tensor) -> torch.Tensor:
        """GAP embeddings of the masked maps: ``(b, C)`` by one GEMM."""
        return self.base_gap + coalitions.double() @ self.delta

    def masked(self, coalitions: torch.Tensor) -> torch.Tensor:
        keep = coalitions.reshape(-1, 1, *self.maps.shape[1:])
        return torch.where(keep, self.maps, self.background)


class FeatureMapGame(Game):
    """First order: ``v(S) = d(x, mask(y, S))`` over the locations of the explained feature map.

    >>> model = GreyBoxSimilarity(torch.nn.Identity(), metric="dot")
    >>> game = FeatureMapGame(model, torch.ones(2, 1, 1), torch.ones(2, 2, 2))
    >>> game(np.array([[True, True, False, False]])).tolist()
    [1.0]
    """

    def __init__(
        self,
        model: GreyBoxSimilarity,
        query_maps: torch.Tensor,
        result_maps: torch.Tensor,
        background: torch.Tensor | None = None,
        explain: str = "result",
        head: Head | None = None,
        batch_size: int = 4096,
    ) -> None:
        self.explain = check_choice(explain, ("result", "query"), "explain")
        query_maps, result_maps = _check_maps(query_maps, "query_maps"), _check_maps(result_maps, "result_maps")
        if query_maps.shape[0] != result_maps.shape[0]:
            raise ValueError(
                f"query_maps and result_maps have {query_maps.shape[0]} and {result_maps.shape[0]} "
                "channels; a similarity head needs equal channel counts"
            )
        explained, self.fixed = (result_maps, query_maps) if explain == "result" else (query_maps, result_maps)
        self.players = _MaskedMaps(explained, _background_for(explained, background, "background"))
        super().__init__(self.players.n_players, batch_size)
        self.model, self.head = model, head
        self.fixed_gap = global_average_pool(self.fixed[None])

    def _pair(self, fixed, explained):
        return (fixed, explained) if self.explain == "result" else (explained, fixed)

    def _evaluate(self, coalitions: np.ndarray) -> np.ndarray:
        tensor = torch.from_numpy(coalitions).to(self.players.maps.device)
        with torch.no_grad():
            if self.head is None:
                scores = self.model.compare(*self._pair(self.fixed_gap.expand(len(tensor), -1), self.players.gap(tensor)))
            else:
                masked = self.players.masked(tensor)
                scores = self.head(*self._pair(self.fixed[None].expand(len(masked), -1, -1, -1), masked))
        return scores.double().cpu().numpy()


class SecondOrderFeatureMapGame(FactorisedGame):
    """Second order: query locations then result locations, both masked (paper Eq. 6).

    With the model's GAP head the game factorises (a masked side's GAP embedding is one row of a
    matrix product), so ``FactorisedShapleyTaylor`` applies; a custom head scores pairs jointly.
    """

    def __init__(
        self,
        model: GreyBoxSimilarity,
        query_maps: torch.Tensor,
        result_maps: torch.Tensor,
        query_background: torch.Tensor | None = None,
        result_background: torch.Tensor | None = None,
        head: Head | None = None,
        batch_size: int = 4096,
    ) -> None:
        query_maps, result_maps = _check_maps(query_maps, "query_maps"), _check_maps(result_maps, "result_maps")
        if query_maps.shape[0] != result_maps.shape[0]:
            raise ValueError(
                f"query_maps and result_maps have {query_maps.shape[0]} and {result_maps.shape[0]} "
                "channels; a similarity head needs equal channel counts"
            )
        self.query = _MaskedMaps(query_maps, _background_for(query_maps, query_background, "query_background"))
        self.result = _MaskedMaps(result_maps, _background_for(result_maps, result_background, "result_background"))
        super().__init__(self.query.n_players, self.result.n_players, batch_size)
        self.model, self.head = model, head

    @property
    def factorises(self) -> bool:
        return self.head is None

    def _embed_query(self, coalitions: np.ndarray) -> torch.Tensor:
        return self.query.gap(torch.from_numpy(coalitions).to(self.query.maps.device))

    def _embed_result(self, coalitions: np.ndarray) -> torch.Tensor:
        return self.result.gap(torch.from_numpy(coalitions).to(self.result.maps.device))

    def combine(self, query_side: torch.Tensor, result_side: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return self.model.compare_all(query_side, result_side).double().cpu().numpy()

    def side_vectors(self, side: torch.Tensor) -> np.ndarray | None:
        vectors = metric_vectors(self.model.metric, side.double())
        return None if vectors is None else vectors.cpu().numpy()

    def _evaluate(self, coalitions: np.ndarray) -> np.ndarray:
        tensor = torch.from_numpy(coalitions).to(self.query.maps.device)
        on_query, on_result = tensor[:, : self.n_query], tensor[:, self.n_query :]
        with torch.no_grad():
            if self.head is None:
                scores = self.model.compare(self.query.gap(on_query), self.result.gap(on_result))
            else:
                scores = self.head(self.query.masked(on_query), self.result.masked(on_result))
        return scores.double().cpu().numpy()
