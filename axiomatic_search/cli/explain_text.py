"""``axiomatic-search explain-text QUERY RESULT``: which words make two texts similar, and which
word of the query matches which word of the result.

Writes ``report.html`` (words shaded by their Shapley values; hover a query word to see where it
lands in the result) and ``text-explanation.png`` (the word × word heatmap and the alignment) to
``--out``. The default model is all-MiniLM-L6-v2, offline; ``--model`` takes a folder holding any
sentence-transformers model (``--cross-encoder`` for a CrossEncoder).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt

from ..text.explain import FIRST_ORDER_METHODS, SECOND_ORDER_BUDGET, SECOND_ORDER_METHODS
from ..text.words import NAMED_BACKGROUNDS, PLAYERS, check_text, word_spans
from .inputs import InputError, check_device, check_positive

DEFAULT_MODEL = "all-minilm-l6-v2"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="the query text (quote it)")
    parser.add_argument("result", help="the result text")
    add_text_options(parser)


def add_text_options(parser: argparse.ArgumentParser) -> None:
    """The options both text commands share."""
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"{DEFAULT_MODEL} (offline) or a folder holding a sentence-transformers model")
    parser.add_argument("--cross-encoder", action="store_true", help="load --model as a CrossEncoder (a pair scorer)")
    parser.add_argument("--method", default="auto", choices=SECOND_ORDER_METHODS, help="how the correspondence is computed")
    parser.add_argument("--budget", type=int, default=SECOND_ORDER_BUDGET, help="forward passes of the correspondence")
    parser.add_argument("--first-budget", type=int, default=None,
                        help="evaluations per first-order explanation (default: exact up to 12 words, else 5000)")
    parser.add_argument("--players", default="words", choices=PLAYERS, help="what the players are")
    parser.add_argument("--background", default="mask",
                        help=f"what hidden words become: {', '.join(NAMED_BACKGROUNDS)}, or (explain-text) a "
                             "counterfactual sentence with as many words as the result: why this result rather than that")
    parser.add_argument("--device", default="cpu", help="torch device for the model")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the estimators")
    parser.add_argument("--out", type=Path, default=Path("outputs"), help="folder for the report and figures")
    parser.add_argument("--quiet", action="store_true", help="no progress bars (they only show on a terminal)")


def text_argument(text: str, name: str) -> str:
    """``check_text`` with its errors as ``InputError``."""
    try:
        return check_text(text, name, minimum_words=2)
    except (TypeError, ValueError) as error:
        raise InputError(str(error)) from None


def check_options(args: argparse.Namespace) -> None:
    check_positive(args.budget, "--budget", 8)
    if args.first_budget is not None:
        check_positive(args.first_budget, "--first-budget", 3)
    check_device(args.device)
    if args.model != DEFAULT_MODEL and not Path(args.model).is_dir():
        raise InputError(f"--model: {args.model!r} is neither {DEFAULT_MODEL} nor a folder holding a model")
    if args.cross_encoder and args.model == DEFAULT_MODEL:
        raise InputError(f"--cross-encoder needs --model FOLDER of a CrossEncoder; {DEFAULT_MODEL} is a bi-encoder")
    if args.background not in NAMED_BACKGROUNDS:
        text_argument(args.background, "--background")
        if getattr(args, "result", None) is None:
            raise InputError("--background: a counterfactual sentence stands in for one result; search-text takes "
                             f"{' or '.join(NAMED_BACKGROUNDS)}")
        words, needed = len(word_spans(args.background)), len(word_spans(args.result))
        if args.players == "words" and words != needed:
            raise InputError(f"--background: the counterfactual sentence has {words} words and the result {needed}; "
                             "word i of the result is replaced by word i of the counterfactual")


def load_model(args: argparse.Namespace):
    """The model, after the checks (loading takes seconds)."""
    from ..text import all_minilm_l6_v2, as_text_model

    try:
        if args.model == DEFAULT_MODEL:
            return all_minilm_l6_v2(device=args.device)
        from sentence_transformers import CrossEncoder, SentenceTransformer
    except ImportError as error:  # the text extra is not installed
        raise InputError(f"--model: {error}") from None

    kind = CrossEncoder if args.cross_encoder else SentenceTransformer
    try:
        return as_text_model(kind(args.model, device=args.device, local_files_only=True))
    except (OSError, ValueError, KeyError) as error:  # transformers' ways of saying "not a model"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"--model: {args.model} does not hold a {kind.__name__} sentence-transformers can load "
                         f"({first_line})") from None


def explain_text_pair(model, query: str, result: str, args: argparse.Namespace, figure: Path, heading: str,
                      query_cache: dict | None = None) -> tuple[str, int, dict]:
    """First order on both texts, the correspondence, the figure: ``(summary, forward passes,
    the report's section)``."""
    from ..text import explain_text, explain_text_correspondence
    from ..text.figures import plot_text_correspondence
    from ..text.report import text_section

    progress = False if args.quiet else None
    # a counterfactual sentence stands in for the result; the query's hidden words are masked
    query_background = args.background if args.background in NAMED_BACKGROUNDS else "mask"
    options = dict(players=args.players, random_state=args.seed, progress=progress)
    try:
        firsts = [explain_text(model, query, result, explain=side, budget=args.first_budget,
                               background=query_background if side == "query" else args.background, **options)
                  for side in ("query", "result")]
        found = explain_text_correspondence(model, query, result, method=args.method, budget=args.budget,
                                            background=(query_background, args.background), query_cache=query_cache,
                                            **options)
    except ValueError as error:
        message = str(error)
        raise InputError(f"--budget: {message}" if message.startswith("budget=") else message) from None
    plt.close(plot_text_correspondence(found, firsts[0], firsts[1], path=figure, title=heading))
    pairs = ", ".join(f"{q} ↔ {r} ({v:.3f})" for q, r, v in found.strongest_pairs(3))
    words = ", ".join(f"{w} {v:+.3f}" for w, v in zip(firsts[1].players.words, firsts[1].values))
    summary = (f"similarity {firsts[1].full_value:.4f} (every word hidden: {firsts[1].base_value:.4f})\n"
               f"result words (first order): {words}\nstrongest word pairs ({found.method}): {pairs}")
    section = text_section(heading, found, firsts[0], firsts[1])
    return summary, sum(f.n_evaluations for f in firsts) + found.n_forward_passes, section


def settings_line(args: argparse.Namespace) -> str:
    return (f"model {args.model}, method {args.method}, budget {args.budget} forward passes, first order "
            f"{args.first_budget or 'exact up to 12 words'}, players {args.players}, background {args.background!r}, "
            f"seed {args.seed}")


def run(args: argparse.Namespace) -> int:
    from ..text.report import write_text_report

    check_options(args)
    query, result = text_argument(args.query, "query"), text_argument(args.result, "result")
    model = load_model(args)
    started = time.perf_counter()
    figure = args.out / "text-explanation.png"
    summary, passes, section = explain_text_pair(model, query, result, args, figure, f"“{query}” → “{result}”")
    seconds = time.perf_counter() - started
    report = write_text_report(args.out / "report.html", [section], "Why these two texts are similar",
                               settings=settings_line(args), footer=f"{passes} forward passes, {seconds:.1f} s")
    print(summary)
    print(f"wrote {report} and {figure}; {passes} forward passes, {seconds:.1f} s")
    return 0


__all__ = ["add_arguments", "add_text_options", "check_options", "explain_text_pair", "load_model", "run",
           "settings_line", "text_argument"]
