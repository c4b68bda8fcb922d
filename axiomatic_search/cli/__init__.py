"""The command line: ``axiomatic-search`` (or ``python -m axiomatic_search``).

    axiomatic-search demo [--out outputs]              the offline sample pair, end to end
    axiomatic-search explain QUERY RESULT [--method auto] [--out outputs]
    axiomatic-search search QUERY FOLDER [--top 3] [--out outputs]
    axiomatic-search batch PAIRS.csv [--out outputs/batch] [--address HOST:PORT]
    axiomatic-search explain-text "QUERY" "RESULT" [--out outputs]     text pairs (sentence similarity)
    axiomatic-search search-text "QUERY" DOCS.txt [--top 3] [--out outputs]

Without a command it runs ``demo``. Bad input (a missing or unreadable file, an unknown method,
a budget too small, a device that is not there) is one line on stderr naming the argument, and
exit code 2, before any model is loaded.
"""

from __future__ import annotations

import argparse
import sys

from . import batch, demo, explain, explain_text, search, search_text
from .inputs import InputError

COMMANDS = {"demo": demo, "explain": explain, "search": search, "batch": batch, "explain-text": explain_text,
            "search-text": search_text}


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown in ``--help``, descriptions kept as written."""


def _plain(text: str) -> str:
    """A docstring as terminal text: no reStructuredText literal quotes."""
    return text.replace("``", "")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="axiomatic-search", description=_plain(__doc__),
                                     formatter_class=_Formatter, allow_abbrev=False)
    commands = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    for name, module in COMMANDS.items():
        summary = _plain(module.__doc__.split("\n\n")[0]).split(": ", 1)[-1]
        module.add_arguments(commands.add_parser(name, help=summary, description=_plain(module.__doc__),
                                                 formatter_class=_Formatter, allow_abbrev=False))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["demo", *argv]  # the README's first command: options of the demo, no command
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except InputError as error:  # bad input found while checking it: one line, no traceback
        print(f"axiomatic-search {args.command}: error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:  # a budget below what a sampler needs, found as it runs
        message = str(error)
        if message.startswith("budget="):
            message = f"--budget: {message}"
        elif not message.startswith(("--first-budget", "--budget-first")):
            raise
        print(f"axiomatic-search {args.command}: error: {message}", file=sys.stderr)
        return 2


__all__ = ["build_parser", "main"]
