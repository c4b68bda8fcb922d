"""``axiomatic-search search QUERY FOLDER --top K``: rank a folder's images by similarity to the
query and explain the top K — "why did the engine return these?".

Prints the ranking (every image of the folder, most similar first) and writes one figure per
explained result, ``search-<rank>-<name>.png``, like ``explain``'s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from ..images import as_image_tensor
from ..report import write_report
from .explain import add_explanation_options, check_options, explain_pair, load_model, settings_line
from .inputs import InputError, check_positive, read_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="the query image file")
    parser.add_argument("folder", type=Path, help="a folder of result images (searched, not recursively)")
    parser.add_argument("--top", type=int, default=3, help="how many of the best results to explain")
    add_explanation_options(parser)


def folder_images(folder: Path) -> list[Path]:
    """The image files of ``folder`` by suffix, sorted by name; ``InputError`` when there are none."""
    if not folder.is_dir():
        raise InputError(f"folder: no such folder: {folder}")
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise InputError(f"folder: {folder} holds no image files ({', '.join(IMAGE_SUFFIXES)})")
    return paths


def rank(model, query: np.ndarray, results: list[np.ndarray], batch_size: int = 32) -> np.ndarray:
    """Similarity of the query to each result, batched."""
    fixed = as_image_tensor(query, "query")[None].to(model.device)
    scores = []
    with torch.inference_mode():
        for start in range(0, len(results), batch_size):
            batch = torch.stack([as_image_tensor(r, "result") for r in results[start : start + batch_size]])
            scores.append(model(fixed.expand(len(batch), -1, -1, -1), batch.to(model.device)).float().cpu())
    return torch.cat(scores).numpy()


def run(args: argparse.Namespace) -> int:
    background, notes = check_options(args)
    check_positive(args.top, "--top", 0)
    query, query_notes = read_image(args.query, args.size, "query")
    paths = folder_images(args.folder)
    images, readable, skipped = [], [], []
    for path in paths:
        try:
            images.append(read_image(path, args.size, path.name)[0])
            readable.append(path)
        except InputError as error:
            skipped.append(str(error))
    for note in query_notes + notes + [f"skipped {s}" for s in skipped]:
        print(f"note: {note}")
    if not images:
        raise InputError(f"folder: none of the {len(paths)} image files in {args.folder} could be read")
    model = load_model(args)
    started = time.perf_counter()
    scores = rank(model, query, images)
    order = np.argsort(-scores, kind="stable")
    print("rank  similarity  image")
    for position, index in enumerate(order, start=1):
        print(f"{position:>4}  {scores[index]:10.4f}  {readable[index].name}")
    passes, sections = len(images), []
    for position, index in enumerate(order[: args.top], start=1):
        figure = args.out / f"search-{position}-{readable[index].stem}.png"
        summary, spent, section = explain_pair(model, query, images[index], background, args, figure,
                                               f"#{position}: {readable[index].name}")
        passes += spent
        sections.append(section)
        print(f"#{position} {readable[index].name}: {summary}\n   wrote {figure}")
    seconds = time.perf_counter() - started
    ranking = [{"name": readable[i].name, "score": float(scores[i])} for i in order]
    report = write_report(args.out / "report.html", sections, f"Why the engine returned these for {Path(args.query).name}",
                          settings=settings_line(args), notes=query_notes + notes + skipped, ranking=ranking,
                          footer=f"{passes} forward passes, {seconds:.1f} s")
    print(f"explained the top {min(args.top, len(images))} of {len(images)} images: wrote {report}; "
          f"{passes} forward passes, {seconds:.1f} s")
    return 0


__all__ = ["add_arguments", "folder_images", "rank", "run"]
