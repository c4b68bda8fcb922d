"""Real search games with exact Shapley–Taylor indices: EfficientNet-Lite0 (cosine) on a photo
and a known transform of it, ``grid × grid`` cells a side, every side coalition embedded once.

Each side's ``2**(grid²)`` masked images are embedded (L2-normalised, so the joint value is a
dot product) and cached under ``benchmarks/results/cache/`` (not committed; 4×4 cells at 224 px
is 65,536 forward passes a side, about 9 minutes each on the 2-core CPU with ONNX Runtime).
The exact indices come from ``exact_bilinear_shapley_taylor``; ``TabulatedGame`` replays the
game from the tables, so estimators run on the real game at the cost of a lookup.

    python benchmarks/pixel_games.py chelsea:permute astronaut:shift

prints each pair's exact cell accuracy and the factorised estimator's at a few budgets, and
writes them to ``benchmarks/results/pixel_games.md``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from axiomatic_search.datasets import transformed_pair  # noqa: E402
from axiomatic_search.exact import all_coalitions  # noqa: E402
from axiomatic_search.factorised import EmbeddingSearchGame, FactorisedGame  # noqa: E402
from axiomatic_search.factorised.exact import exact_bilinear_shapley_taylor  # noqa: E402
from axiomatic_search.metrics import cell_accuracy  # noqa: E402
from axiomatic_search.results import SecondOrderResult  # noqa: E402

CACHE = Path(__file__).resolve().parent / "results" / "cache"


class TabulatedGame(FactorisedGame):
    """A bilinear factorised game replayed from tables of side vectors (bitmask order)."""

    def __init__(self, query_vectors: np.ndarray, result_vectors: np.ndarray) -> None:
        nq, nr = int(np.log2(len(query_vectors))), int(np.log2(len(result_vectors)))
        super().__init__(nq, nr, batch_size=1 << 14)
        self.query_vectors = torch.from_numpy(np.asarray(query_vectors, dtype=np.float64))
        self.result_vectors = torch.from_numpy(np.asarray(result_vectors, dtype=np.float64))

    @staticmethod
    def _index(coalitions: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(coalitions.astype(np.int64) @ (1 << np.arange(coalitions.shape[1], dtype=np.int64)))

    def _embed_query(self, coalitions: np.ndarray) -> torch.Tensor:
        return self.query_vectors[self._index(coalitions)]

    def _embed_result(self, coalitions: np.ndarray) -> torch.Tensor:
        return self.result_vectors[self._index(coalitions)]

    def combine(self, query_side: torch.Tensor, result_side: torch.Tensor) -> np.ndarray:
        return (query_side @ result_side.T).numpy()

    def side_vectors(self, side: torch.Tensor) -> np.ndarray:
        return side.numpy()

    def combine_rows(self, query_side: torch.Tensor, result_side: torch.Tensor) -> np.ndarray:
        return (query_side * result_side).sum(dim=1).numpy()


def side_table(model, image: np.ndarray, grid: int, name: str, background: str = "blur") -> np.ndarray:
    """L2-normalised embeddings of every masked version of ``image`` (cached by ``name``)."""
    path = CACHE / f"{name}.npy"
    if path.exists():
        return np.load(path)
    game = EmbeddingSearchGame.for_images(model, image, image, players=grid, background=background, batch_size=32)
    n = game.n_query
    rows = []
    for start in range(0, 1 << n, 4096):
        coalitions = all_coalitions(n, start, min(start + 4096, 1 << n))
        embeddings = game.embed_query(coalitions)[:, 0].double()
        rows.append(torch.nn.functional.normalize(embeddings, dim=1).float().numpy())
        print(f"  {name}: {start + len(coalitions)}/{1 << n}", file=sys.stderr, flush=True)
    table = np.concatenate(rows)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, table)
    return table


@dataclass(frozen=True)
class PixelGame:
    """A tabulated pair game, its exact indices and the pair's true cells."""

    name: str
    game: TabulatedGame
    exact: SecondOrderResult
    true_cells: np.ndarray


def pixel_game(model, photo: str, transform: str, size: int = 224, grid: int = 4, background: str = "blur",
               model_name: str = "lite0") -> PixelGame:
    """The tabulated game of ``transformed_pair(photo, transform)`` and its exact indices
    (cached under ``model_name``, the background, the photo, transform, size and grid)."""
    pair = transformed_pair(photo, transform, size, grid)
    key = f"{model_name}-{background}-{photo}"
    query = side_table(model, pair.query, grid, f"{key}-{size}-{grid}-query", background)
    result = side_table(model, pair.result, grid, f"{key}-{transform}-{size}-{grid}-result", background)
    exact_path = CACHE / f"{key}-{transform}-{size}-{grid}-exact.npz"
    if exact_path.exists():
        saved = np.load(exact_path)
        exact = SecondOrderResult(saved["main"], saved["pairs"], float(saved["empty"]), float(saved["full"]),
                                  int(saved["evaluations"]), n_query=grid * grid)
    else:
        exact = exact_bilinear_shapley_taylor(query, result)
        np.savez(exact_path, main=exact.main, pairs=exact.pairs, empty=exact.base_value, full=exact.full_value,
                 evaluations=exact.n_evaluations)
    return PixelGame(f"{photo}-{transform}", TabulatedGame(query, result), exact, pair.true_cells)


def main(specs: list[str], budgets: tuple[int, ...] = (500, 1000, 3500), seeds: int = 5) -> str:
    """Exact cell accuracy of each tabulated pair game, and the factorised estimator's (as
    ``explain_correspondence`` runs it) with its relative error on the query×result block."""
    from axiomatic_search.factorised import FactorisedShapleyTaylor
    from axiomatic_search.zoo import efficientnet_lite0

    model = efficientnet_lite0()
    lines = ["| pair | exact | " + " | ".join(f"{b} passes" for b in budgets) + " |",
             "|---|---|" + "---|" * len(budgets)]
    for spec in specs:
        photo, transform = spec.split(":")
        found = pixel_game(model, photo, transform)
        exact = found.exact.query_result_block
        cells = []
        for budget in budgets:
            blocks = [FactorisedShapleyTaylor(within_share=0.0).estimate(found.game, budget, random_state=seed)
                      .query_result_block for seed in range(seeds)]
            error = np.mean([np.sum((b - exact) ** 2) / np.sum(exact**2) for b in blocks])
            cells.append(f"{np.mean([cell_accuracy(b, found.true_cells) for b in blocks]):.2f} (error {error:.3f})")
        lines.append(f"| {found.name} | {cell_accuracy(exact, found.true_cells):.2f} | " + " | ".join(cells) + " |")
    text = ("Cell accuracy of the exact query×result block and of the factorised estimate (mean of "
            f"{seeds} seeds; relative squared error of the block in brackets)\n\n" + "\n".join(lines) + "\n")
    out = Path(__file__).resolve().parent / "results" / "pixel_games.md"
    out.write_text(text)
    print(text)
    return text


if __name__ == "__main__":
    main(sys.argv[1:] or ["chelsea:permute", "astronaut:shift"])
