"""``axiomatic-search search-text QUERY DOCS.txt --top K``: rank the documents of a text file (one
per line) by similarity to the query and explain the top K — "why did the engine return these?".

Prints the ranking and writes ``report.html`` (the ranking, then each explained document as
``explain-text`` shows a pair) and ``search-text-<rank>.png`` per explained document.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from .explain_text import add_text_options, check_options, explain_text_pair, load_model, settings_line, text_argument
from .inputs import InputError, check_positive


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="the query text (quote it)")
    parser.add_argument("documents", type=Path, help="a UTF-8 text file, one document per line (blank lines skipped)")
    parser.add_argument("--top", type=int, default=3, help="how many of the best documents to explain")
    add_text_options(parser)


def read_documents(path: Path) -> tuple[list[str], list[int]]:
    """The non-blank lines of ``path`` and their line numbers; ``InputError`` for a missing,
    unreadable or empty file."""
    if not path.is_file():
        raise InputError(f"documents: no such file: {path}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise InputError(f"documents: {path} is not UTF-8 text") from None
    numbered = [(number, line.strip()) for number, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise InputError(f"documents: {path} holds no documents (one per line expected)")
    return [text for _, text in numbered], [number for number, _ in numbered]


def run(args: argparse.Namespace) -> int:
    from ..text import rank_texts
    from ..text.report import write_text_report

    check_options(args)
    check_positive(args.top, "--top", 0)
    query = text_argument(args.query, "query")
    documents, line_numbers = read_documents(args.documents)
    model = load_model(args)
    started = time.perf_counter()
    scores = rank_texts(model, query, documents)
    order = np.argsort(-scores, kind="stable")
    print("rank  similarity  document")
    for position, index in enumerate(order, start=1):
        print(f"{position:>4}  {scores[index]:10.4f}  {documents[index]}")
    passes, sections, cache, notes = len(documents), [], {}, []
    for position, index in enumerate(order[: args.top], start=1):
        try:
            text_argument(documents[index], f"document on line {line_numbers[index]}")
        except InputError as error:  # ranked, but one word is too little to explain
            notes.append(f"#{position} not explained: {error}")
            print(f"note: {notes[-1]}")
            continue
        figure = args.out / f"search-text-{position}.png"
        summary, spent, section = explain_text_pair(model, query, documents[index], args, figure,
                                                    f"#{position}: “{documents[index]}”", query_cache=cache)
        passes += spent
        sections.append(section)
        print(f"#{position} {documents[index]}\n   {summary}\n   wrote {figure}".replace("\n", "\n   ").replace("\n      ", "\n   "))
    seconds = time.perf_counter() - started
    ranking = [{"name": documents[i], "score": float(scores[i])} for i in order]
    report = write_text_report(args.out / "report.html", sections, f"Why the engine returned these for “{query}”",
                               settings=settings_line(args), ranking=ranking, notes=notes,
                               footer=f"{passes} forward passes, {seconds:.1f} s")
    print(f"explained the top {len(sections)} of {len(documents)} documents: wrote {report}; "
          f"{passes} forward passes, {seconds:.1f} s")
    return 0


__all__ = ["add_arguments", "read_documents", "run"]
