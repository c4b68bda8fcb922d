"""One model replica's work: explain a chunk of pairs and write its Parquet file.

``ChunkExplainer`` is what Ray Data runs as an actor per replica (``map_batches``), and what the
in-process engine runs directly: one code path, so both give the same values.
"""

from __future__ import annotations

import importlib
import json
import platform
import time
from typing import Callable

import numpy as np

from ..images import load_image
from ..pairs import explain_pairs
from ..results import FirstOrderResult
from .store import write_chunk

ZOO = ("efficientnet_lite0", "resnet50", "vgg11", "densenet121")
"""Model names a run may give instead of a factory (the torchvision ones download their weights)."""


def load_model(spec: str | Callable, device: str):
    """A similarity model from a zoo name, a ``"package.module:function"`` import path, or a
    callable; the last two are called with ``device`` and must return a ``SimilarityModel``."""
    if callable(spec):
        return spec(device)
    if spec == "efficientnet_lite0":
        from ..zoo import efficientnet_lite0

        return efficientnet_lite0(device=device)
    if spec in ZOO:
        from ..runtime import accelerate
        from ..zoo_torchvision import torchvision_similarity

        return accelerate(torchvision_similarity(spec, device=device))
    module, _, name = str(spec).partition(":")
    if not name:
        raise ValueError(f"model must be one of {list(ZOO)}, a 'package.module:function' path or a callable, "
                         f"got {spec!r}")
    try:
        factory = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"model: cannot import {spec!r}: {error}") from None
    return factory(device)


def versions() -> dict[str, str]:
    """The versions a result was computed with."""
    from importlib.metadata import version

    import torch

    return {"axiomatic_search": version("axiomatic-search"), "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def pair_row(explanation, query: str, result: str, settings: str, versions_text: str,
             first_method: str = "kernel") -> dict:
    """One Parquet row: the pair, its similarity, its values (flattened) and how they were made."""
    found = explanation.explanation
    if isinstance(found, FirstOrderResult):
        values, base, full, main, method = found.values, found.base_value, found.full_value, None, first_method
    else:
        values, method = found.block, found.method
        second = found.second_order
        base = None if second is None else second.base_value
        full = None if second is None else second.full_value
        main = None if second is None else second.main.tolist()
    values = np.asarray(values, dtype=np.float64)
    return {
        "pair": int(explanation.index), "query": query, "result": result,
        "similarity": float(explanation.similarity), "method": method,
        "values": values.ravel().tolist(), "shape": list(values.shape),
        "base_value": base, "full_value": full, "main_effects": main,
        "forward_passes": int(explanation.n_forward_passes), "seconds": float(explanation.seconds),
        "settings": settings, "versions": versions_text,
    }


class ChunkWorker:
    """One replica's work on chunks: subclasses set up their state in ``__init__`` (a model,
    say) and implement ``explain_chunk(number, rows)``, which writes the chunk's file and returns
    the pairs it holds. Ray Data calls the worker on batches of ``{"chunk", "rows"}`` (rows as
    JSON); the in-process engine calls ``explain_chunk`` directly."""

    def explain_chunk(self, chunk: int, rows: list) -> int:
        raise NotImplementedError

    def __call__(self, batch: dict) -> dict:
        done = [self.explain_chunk(int(chunk), json.loads(rows)) for chunk, rows in zip(batch["chunk"], batch["rows"])]
        return {"chunk": np.asarray(batch["chunk"], dtype=np.int64), "pairs": np.asarray(done, dtype=np.int64)}


class ChunkExplainer(ChunkWorker):
    """Explains chunks of pairs (rows ``[index, query path, result path]``) with one model
    replica and ``explain_pairs``; one Parquet row per pair (``pair_row``)."""

    def __init__(self, out: str, model: str | Callable, device: str, settings: dict, options: dict) -> None:
        self.out, self.settings, self.options = out, settings, options
        self.model = load_model(model, device)
        self.settings_text = json.dumps(settings, sort_keys=True)
        self.versions_text = json.dumps(versions(), sort_keys=True)

    def explain_chunk(self, chunk: int, pairs: list[list]) -> int:
        import torch

        size, loaded = self.settings["size"], {}

        def image(path: str, side: str):  # each file once per chunk: a repeated query is one object, shared
            if path not in loaded:
                loaded[path] = load_image(path, size, side)[0]
            return loaded[path]

        images = [(image(query, "query"), image(result, "result")) for _, query, result in pairs]
        started, threads = time.perf_counter(), torch.get_num_threads()
        torch.set_num_threads(self.settings["threads"])  # as many as a replica has, whichever the engine
        try:
            found = list(explain_pairs(self.model, images, chunk_size=len(images), progress=False, **self.options))
        finally:
            torch.set_num_threads(threads)
        first_method = "exact" if self.options["method"] == "exact" else "kernel"
        rows = []
        for explanation in found:
            index, query, result = pairs[explanation.index]
            rows.append(pair_row(explanation, query, result, self.settings_text, self.versions_text, first_method))
            rows[-1]["pair"] = int(index)
        for row in rows:
            row["chunk_seconds"] = time.perf_counter() - started
        write_chunk(self.out, chunk, rows)
        return len(rows)
