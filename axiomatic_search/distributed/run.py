"""``explain_dataset``: every pair of a dataset explained on Ray Data, one Parquet row per pair.

Pairs are cut into fixed chunks of ``chunk_size`` consecutive rows; Ray Data sends each chunk to
an actor holding a model replica (``map_batches``, ``replicas`` actors, ``gpus_per_replica``
GPUs each), which explains it with ``explain_pairs`` and writes the chunk's file. Chunks are the
unit of work, of retry and of resumption: a chunk's values do not depend on which replica ran
it or on what ran before (every pair starts from ``random_state``), so the Ray path gives the
values of the in-process path (``engine="local"``, the same chunks in this process) bit for
bit, a chunk retried after a worker dies rewrites the same file, and a rerun explains only the
chunks that are missing.
"""

from __future__ import annotations

import hashlib
import json
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from tqdm.auto import tqdm

from .._checks import check_choice, check_count
from ..pairs import check_pair_options
from ..progress import progress_enabled
from .store import finished_chunks, open_run, require
from .table import Pair, read_pairs
from .worker import ChunkExplainer, ChunkWorker

ENGINES = ("ray", "local")
RETRIES = 3
PAIR_OPTIONS = ("order", "method", "players", "budget", "background", "n_segments", "explain", "random_state")
"""The run's settings that are ``explain_pairs`` options."""
"""Restarts of a replica that died, and retries of its chunk, before the run fails."""


@dataclass(frozen=True)
class DatasetRun:
    """What a run did: ``pairs`` in all, ``computed`` now and ``skipped`` (finished before)."""

    out: Path
    pairs: int
    computed: int
    skipped: int
    seconds: float


def explain_dataset(
    pairs: str | Path | Iterable[tuple[str, str]],
    out: str | Path,
    model: str | Callable = "efficientnet_lite0",
    order: int = 2,
    method: str = "auto",
    players: object = None,
    budget: int | None = None,
    background: str = "blur",
    n_segments: int = 50,
    explain: str = "result",
    size: int = 224,
    chunk_size: int = 8,
    random_state: int = 0,
    engine: str = "ray",
    address: str | None = None,
    replicas: int | None = None,
    gpus_per_replica: float = 0,
    cpus_per_replica: float = 1,
    progress: bool | None = None,
) -> DatasetRun:
    """Explain every ``(query, result)`` pair of a CSV (``query,result`` columns of image
    paths) or a list of path pairs into Parquet files under ``out`` (``read_results(out)``
    reads them). Options as ``explain_pairs``; ``size`` resizes images to ``size × size``.

    ``model``: a zoo name, a ``"package.module:function"`` path or a callable, called with the
    replica's device. ``engine="ray"``: Ray Data on the cluster at ``address`` (default: a local
    Ray started here); ``replicas`` actors (default: as many as the cluster's CPUs, or GPUs, allow),
    each with ``gpus_per_replica`` GPUs (then the model runs on ``cuda``) and ``cpus_per_replica``
    CPUs. ``engine="local"``: the same chunks in this process. Finished chunks are skipped; a
    progress bar counts pairs with an ETA.

    >>> explain_dataset([], "out")
    Traceback (most recent call last):
    ...
    ValueError: pairs: no pairs to explain
    """
    check_choice(engine, ENGINES, "engine")
    check_count(size, "size")
    check_pair_options(order, method, explain, chunk_size, budget, None)
    if not isinstance(random_state, int) or isinstance(random_state, bool):
        raise TypeError(f"random_state must be an int for a dataset run (each chunk starts from it), got {random_state!r}")
    if gpus_per_replica < 0 or cpus_per_replica <= 0:
        raise ValueError(f"gpus_per_replica must be ≥ 0 and cpus_per_replica > 0, got {gpus_per_replica}, {cpus_per_replica}")
    table = read_pairs(pairs)
    listing = hashlib.sha256(json.dumps([[p.query, p.result] for p in table]).encode()).hexdigest()
    settings = {"model": model_name(model), "order": order, "method": method, "players": players, "budget": budget,
                "background": background, "n_segments": n_segments, "explain": explain, "size": size,
                "chunk_size": chunk_size, "random_state": random_state, "pairs": len(table), "pairs_sha256": listing,
                "device": "cuda" if gpus_per_replica else "cpu", "threads": max(1, int(cpus_per_replica))}
    options = {key: settings[key] for key in PAIR_OPTIONS}  # what each replica hands explain_pairs
    if address is not None:
        if engine != "ray":
            raise ValueError(f"address: {address!r} names a Ray cluster; it needs engine='ray', not {engine!r}")
        check_address(address)
    out = open_run(out, settings)
    chunks = [_rows(table[start : start + chunk_size]) for start in range(0, len(table), chunk_size)]
    started = time.perf_counter()
    computed = run_chunks(chunks, out, ChunkExplainer,
                          {"model": model, "settings": settings, "options": options}, engine=engine, address=address,
                          replicas=replicas, gpus_per_replica=gpus_per_replica, cpus_per_replica=cpus_per_replica,
                          progress=progress)
    return DatasetRun(out, len(table), computed, len(table) - computed, time.perf_counter() - started)


def run_chunks(
    chunks: list[list],
    out: str | Path,
    worker: type[ChunkWorker],
    options: dict,
    engine: str = "ray",
    address: str | None = None,
    replicas: int | None = None,
    gpus_per_replica: float = 0,
    cpus_per_replica: float = 1,
    progress: bool | None = None,
    runtime_env: dict | None = None,
) -> int:
    """Run ``worker(out=..., device=..., **options)`` over the chunks (lists of rows) whose file
    is not in ``out`` yet: on Ray Data (an actor per replica) or in this process; returns the
    rows (pairs) computed. A progress bar counts them, with an ETA. ``runtime_env`` goes to
    ``ray.init`` when this call starts Ray."""
    check_choice(engine, ENGINES, "engine")
    done = finished_chunks(out)
    todo = [(number, rows) for number, rows in enumerate(chunks) if number not in done]
    total = sum(len(rows) for _, rows in todo)
    device = "cuda" if gpus_per_replica else "cpu"
    with tqdm(total=total, desc="explaining pairs", unit="pair", dynamic_ncols=True,
              disable=not progress_enabled(progress)) as bar:
        if todo and engine == "local":
            replica = worker(out=str(out), device=device, **options)
            for number, rows in todo:
                bar.update(replica.explain_chunk(number, json.loads(json.dumps(rows))))  # as Ray hands them over
        elif todo:
            for finished in _ray_rows(todo, out, worker, {"device": device, **options}, address, replicas,
                                      gpus_per_replica, cpus_per_replica, runtime_env):
                bar.update(finished)
    return total


def model_name(model: str | Callable) -> str:
    """How a run records its model: the zoo name or import path, or a callable's module and
    qualified name (a lambda or a nested function has no name that a rerun could match)."""
    if isinstance(model, str):
        return model
    module, name = getattr(model, "__module__", None), getattr(model, "__qualname__", None)
    if not callable(model) or not module or not name or "<" in name:
        raise TypeError(f"model: a dataset run needs a zoo name, a 'package.module:function' path or a function "
                        f"defined at module level (its name identifies the run), got {model!r}")
    return f"{module}:{name}"


def check_address(address: str) -> None:
    """A ``host:port`` (or ``ray://host:port``) address that answers, or a ValueError naming it;
    ``"auto"`` is left to Ray (it finds the cluster this machine belongs to)."""
    if address == "auto":
        return
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"address: {address!r} is not host:port (or ray://host:port, or 'auto')")
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError as error:
        raise ValueError(f"address: no Ray cluster answers at {address} ({error}); "
                         "start one with `ray start --head` or leave --address out for a local Ray") from None


def _rows(chunk: list[Pair]) -> list[list]:
    return [[pair.index, pair.query, pair.result] for pair in chunk]


def _ray_rows(todo, out, worker, options, address, replicas, gpus_per_replica, cpus_per_replica, runtime_env):
    ray = require("ray")
    require("ray.data")
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False,
                     runtime_env=runtime_env)
        except (ConnectionError, RuntimeError) as error:
            if address is None:
                raise RuntimeError(f"could not start a local Ray: {error}") from None
            raise ValueError(f"address: cannot join the Ray cluster at {address!r}: {error}") from None
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    if replicas is None:
        resources = ray.cluster_resources()
        by_cpu = int(resources.get("CPU", 1) // cpus_per_replica)
        by_gpu = int(resources.get("GPU", 0) // gpus_per_replica) if gpus_per_replica else by_cpu
        replicas = max(1, min(by_cpu, by_gpu, len(todo)))
    check_count(replicas, "replicas")
    items = [{"chunk": number, "rows": json.dumps(rows)} for number, rows in todo]
    dataset = ray.data.from_items(items, override_num_blocks=len(items))
    explained = dataset.map_batches(
        worker, batch_size=1, compute=ray.data.ActorPoolStrategy(size=replicas),
        num_gpus=gpus_per_replica or None, num_cpus=cpus_per_replica,
        max_restarts=RETRIES, max_task_retries=RETRIES,  # a replica that dies every time ends the run
        fn_constructor_kwargs={"out": str(out), **options})
    for row in explained.iter_rows():
        yield int(row["pairs"])
