"""``axiomatic-search batch PAIRS.csv --out DIR``: explain every pair of a CSV (``query,result``
columns of image paths, relative to the CSV's folder) on Ray Data, one Parquet row per pair.

A local Ray is started unless ``--address`` names a cluster (``ray start --head`` prints one);
``--replicas`` model replicas run at once, each with ``--gpus-per-replica`` GPUs. Finished pairs
are kept: an interrupted run, rerun with the same options, explains only what is missing.
``--engine local`` runs the same chunks in this process, without Ray. Read the results with
``axiomatic_search.distributed.read_results(DIR)`` (pandas) or any Parquet reader.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from ..correspondence import METHODS
from ..pairs import ORDER_METHODS
from .inputs import InputError, check_positive


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pairs", type=Path, help="a CSV file with 'query' and 'result' columns of image paths")
    parser.add_argument("--out", type=Path, default=Path("outputs/batch"), help="folder for the Parquet files")
    parser.add_argument("--order", type=int, default=2, choices=(1, 2),
                        help="1: which regions of the result matter; 2: the query×result correspondence")
    parser.add_argument("--method", default="auto", choices=sorted(set(METHODS) | {"kernel"}),
                        help="how each pair is explained (order 1: auto/kernel or exact)")
    parser.add_argument("--model", default="efficientnet_lite0",
                        help="a zoo model (efficientnet_lite0, resnet50, vgg11, densenet121) or 'package.module:function'")
    parser.add_argument("--players", type=int, default=None,
                        help="grid cells per side (default: SLIC superpixels for order 1, 4 for order 2)")
    parser.add_argument("--background", default="blur", choices=("blur", "mean", "black"),
                        help="what hidden parts become")
    parser.add_argument("--budget", type=int, default=None,
                        help="evaluations per pair (default: 5,000 for order 1, 2,000 forward passes for order 2)")
    parser.add_argument("--segments", type=int, default=50, help="SLIC superpixels (order 1)")
    parser.add_argument("--size", type=int, default=224, help="images are resized to size × size pixels")
    parser.add_argument("--seed", type=int, default=0, help="random_state of every pair")
    add_engine_options(parser, chunk_size=8)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_engine_options(parser: argparse.ArgumentParser, chunk_size: int) -> None:
    """Where a dataset run's chunks go: the options ``batch`` and ``benchmarks/table.py`` share."""
    parser.add_argument("--chunk-size", type=int, default=chunk_size, help="pairs per unit of work (and of resumption)")
    parser.add_argument("--engine", default="ray", choices=("ray", "local"), help="Ray Data, or this process")
    parser.add_argument("--address", default=None, help="a Ray cluster's address (default: a local Ray)")
    parser.add_argument("--replicas", type=int, default=None, help="model replicas at once (default: what fits)")
    parser.add_argument("--gpus-per-replica", type=float, default=0, help="GPUs per replica (then models run on cuda)")


def run(args: argparse.Namespace) -> int:
    check_positive(args.size, "--size", 16)
    check_positive(args.chunk_size, "--chunk-size")
    if args.budget is not None:
        check_positive(args.budget, "--budget")
    if args.players is not None:
        check_positive(args.players, "--players")
    if args.replicas is not None:
        check_positive(args.replicas, "--replicas")
    if args.method not in ORDER_METHODS[args.order]:
        raise InputError(f"--method {args.method} does not explain --order {args.order}; "
                         f"choose from {', '.join(ORDER_METHODS[args.order])}")
    if args.gpus_per_replica and args.address is None and not torch.cuda.is_available():
        raise InputError(f"--gpus-per-replica {args.gpus_per_replica}: no CUDA GPU here for a local Ray; "
                         "name a cluster with GPUs (--address) or leave it out")
    from ..distributed import explain_dataset, finished_pairs

    try:
        done = explain_dataset(
            args.pairs, args.out, model=args.model, order=args.order, method=args.method, players=args.players,
            budget=args.budget, background=args.background, n_segments=args.segments, size=args.size,
            chunk_size=args.chunk_size, random_state=args.seed, engine=args.engine, address=args.address,
            replicas=args.replicas, gpus_per_replica=args.gpus_per_replica, progress=False if args.quiet else None)
    except KeyboardInterrupt:
        print(f"interrupted: {finished_pairs(args.out)} pairs are written to {args.out}; "
              "rerun the same command to explain the rest", file=sys.stderr)
        return 130
    except (ValueError, TypeError) as error:
        message = str(error)
        if message.startswith(("pairs", str(args.pairs), str(args.pairs.resolve()), "address", "out", "model",
                               "budget", "players")):
            raise InputError(message) from None
        raise
    print(f"{done.pairs} pairs: {done.computed} explained now, {done.skipped} already there; "
          f"{args.out} ({done.seconds:.1f} s)")
    return 0
