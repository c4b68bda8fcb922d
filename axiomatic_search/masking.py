"""Maskers: turn a boolean coalition batch into masked copies of one input.

A masker is bound to the input it masks and owns its players (a label per pixel or per
feature) and its background(s). ``mask(coalitions)`` returns ``(b, K, *input_shape)``: every
coalition against each of the ``K`` backgrounds. Players in the coalition keep the input's
values; the others take the background's.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod

import numpy as np
import torch

from .backgrounds import Background, get_background
from .images import as_image_tensor, check_segmentation, grid_segments, slic_segments


def side_players(players: object) -> tuple[object, object]:
    """``(query players, result players)`` from one layout for both or a 2-tuple.

    >>> side_players(4), side_players((3, "slic"))
    ((4, 4), (3, 'slic'))
    """
    if isinstance(players, tuple):
        if len(players) != 2:
            raise ValueError(
                f"players as a tuple must be (query players, result players), got {len(players)} items: {players!r}"
            )
        return players
    return players, players


def image_maskers(query: object, result: object, players: object = "slic", background: object = "blur",
                  n_segments: int = 50) -> tuple["ImageMasker", "ImageMasker"]:
    """The query's and the result's maskers of an image pair (``players``: one layout for both,
    or a ``(query, result)`` tuple)."""
    query_players, result_players = side_players(players)
    return (ImageMasker(query, players=query_players, background=background, n_segments=n_segments, name="query"),
            ImageMasker(result, players=result_players, background=background, n_segments=n_segments, name="result"))


class Masker(ABC):
    """Masks one input by coalitions of its players."""

    n_players: int
    input: torch.Tensor
    backgrounds: torch.Tensor

    @property
    def n_backgrounds(self) -> int:
        return len(self.backgrounds)

    @abstractmethod
    def mask(self, coalitions: torch.Tensor) -> torch.Tensor:
        """``(b, n_players)`` booleans -> masked inputs ``(b, K, *input_shape)``."""

    def to(self, device: torch.device) -> "Masker":
        """Move the input and backgrounds to ``device`` (in place); returns self."""
        self.input = self.input.to(device)
        self.backgrounds = self.backgrounds.to(device)
        return self

    def masked_batch(self, coalitions: torch.Tensor, repeat: int | None = None) -> object:
        """The model's batch for ``(b, n_players)`` coalitions: ``b · K`` masked inputs, coalition
        by coalition (``repeat``: each coalition's ``K = 1`` input repeated that many times, to
        pair with another side's backgrounds)."""
        masked = self.mask(coalitions)
        if repeat is not None:
            masked = masked.expand(-1, repeat, *masked.shape[2:])
        return masked.reshape(-1, *masked.shape[2:])

    def fingerprint(self) -> bytes:
        """A digest of what this masker masks with: its input, backgrounds and player layout."""
        digest = hashlib.blake2b(digest_size=16)
        layout = getattr(self, "labels", getattr(self, "_groups", None))
        for part in (self.input, self.backgrounds, layout):
            if part is not None:
                array = np.ascontiguousarray(torch.as_tensor(part).detach().cpu().numpy())
                digest.update(f"{array.dtype}{array.shape}".encode())
                digest.update(array.tobytes())
        return digest.digest()


class ImageMasker(Masker):
    """Masks an image by superpixels or grid cells.

    ``players``: ``"slic"`` (paper defaults: ``n_segments=50``, compactness 10, sigma 3), an int
    ``k`` for a ``k × k`` grid, a ``(rows, cols)`` grid, or an ``(H, W)`` integer label map. ``background``: a
    ``Background``, ``"blur"`` (25 px), ``"mean"``, ``"black"``, or an image (counterfactual).

    >>> masker = ImageMasker(np.ones((8, 8, 3)), players=2, background="black")
    >>> masker.mask(torch.tensor([[True, False, False, False]])).shape
    torch.Size([1, 1, 3, 8, 8])
    """

    def __init__(
        self,
        image: object,
        players: str | int | np.ndarray = "slic",
        background: str | Background | object = "blur",
        n_segments: int = 50,
        name: str = "image",
    ) -> None:
        self.input = as_image_tensor(image, name=name)
        _, height, width = self.input.shape
        if isinstance(players, str):
            if players != "slic":
                raise ValueError(f"unknown players {players!r}; expected 'slic', an int grid size or a label map")
            labels = slic_segments(self.input, n_segments=n_segments)
        elif isinstance(players, (int, np.integer)):
            labels = grid_segments(height, width, int(players), name="players")
        elif isinstance(players, tuple) and len(players) == 2 and all(isinstance(p, (int, np.integer)) for p in players):
            labels = grid_segments(height, width, (int(players[0]), int(players[1])), name="players")
        elif isinstance(players, tuple):
            raise ValueError(f"players as a tuple must be a (rows, cols) grid of two ints, got {players!r}")
        else:
            labels = check_segmentation(players, height, width, name="players")
        self.labels = labels
        self.n_players = int(labels.max()) + 1
        self._labels = torch.from_numpy(labels).long()
        self.backgrounds = get_background(background)(self.input)

    def to(self, device: torch.device) -> "ImageMasker":
        super().to(device)
        self._labels = self._labels.to(device)
        return self

    def mask(self, coalitions: torch.Tensor) -> torch.Tensor:
        keep = coalitions[:, self._labels]  # (b, H, W)
        return torch.where(keep[:, None, None], self.input, self.backgrounds[None])

    def to_pixels(self, values: np.ndarray) -> np.ndarray:
        """Paint one value per player onto an ``(H, W)`` map."""
        values = np.asarray(values)
        if values.shape[0] != self.n_players:
            raise ValueError(f"values must have {self.n_players} entries (one per player), got {values.shape[0]}")
        return values[self.labels]

    def from_pixels(self, region: np.ndarray | tuple[int, int]) -> np.ndarray:
        """Weights per player of a boolean ``(H, W)`` region (the fraction of each player's
        pixels inside it), or a one-hot for the player under a ``(row, col)`` point."""
        if isinstance(region, tuple):
            if len(region) != 2:
                raise ValueError(f"a point must be (row, col), got {region!r}")
            row, col = region
            height, width = self.labels.shape
            if not (0 <= row < height and 0 <= col < width):
                raise ValueError(f"point (row, col) = {region} is outside the {height}×{width} image")
            weights = np.zeros(self.n_players)
            weights[self.labels[row, col]] = 1.0
            return weights
        region = np.asarray(region, dtype=bool)
        if region.shape != self.labels.shape:
            raise ValueError(f"region has shape {region.shape}; expected the image's {self.labels.shape}")
        inside = np.bincount(self.labels[region], minlength=self.n_players)
        return inside / np.bincount(self.labels.ravel(), minlength=self.n_players)


class VectorMasker(Masker):
    """Masks a feature vector (tabular data, embeddings) feature by feature or by groups.

    ``background``: a vector like ``x`` or ``(K, d)`` vectors to average over.

    >>> masker = VectorMasker(np.array([1.0, 2.0, 3.0]), background=np.zeros(3))
    >>> masker.mask(torch.tensor([[True, False, True]]))[0, 0].tolist()
    [1.0, 0.0, 3.0]
    """

    def __init__(self, x: object, background: object, groups: np.ndarray | None = None) -> None:
        self.input = torch.as_tensor(np.asarray(x), dtype=torch.float32)
        if self.input.ndim != 1:
            raise ValueError(f"x must be a 1-d feature vector, got shape {tuple(self.input.shape)}")
        backgrounds = torch.as_tensor(np.asarray(background), dtype=torch.float32)
        backgrounds = backgrounds[None] if backgrounds.ndim == 1 else backgrounds
        if backgrounds.ndim != 2 or backgrounds.shape[1] != len(self.input) or len(backgrounds) == 0:
            raise ValueError(
                f"background must have shape ({len(self.input)},) or (K, {len(self.input)}) with K ≥ 1, "
                f"got {tuple(backgrounds.shape)}"
            )
        self.backgrounds = backgrounds
        if groups is None:
            groups = np.arange(len(self.input))
        groups = np.asarray(groups)
        if groups.shape != (len(self.input),) or not np.issubdtype(groups.dtype, np.integer):
            raise ValueError(f"groups must be {len(self.input)} integer labels, got {groups.shape}")
        self._groups = torch.from_numpy(np.unique(groups, return_inverse=True)[1].reshape(-1)).long()
        self.n_players = int(self._groups.max()) + 1

    def to(self, device: torch.device) -> "VectorMasker":
        super().to(device)
        self._groups = self._groups.to(device)
        return self

    def mask(self, coalitions: torch.Tensor) -> torch.Tensor:
        keep = coalitions[:, self._groups]  # (b, d)
        return torch.where(keep[:, None], self.input, self.backgrounds[None])

    def to_pixels(self, values: np.ndarray) -> np.ndarray:
        """One value per feature (a group's value on each of its features)."""
        return np.asarray(values)[self._groups.cpu().numpy()]
