"""Mutation testing of the mathematical modules with mutmut: does the suite catch a wrong formula?

    python benchmarks/mutation.py            # about 40 minutes on 2 cores; writes benchmarks/results/mutation.{md,json}
    python benchmarks/mutation.py --report   # the report again from the last run (the mutants/ folder)

mutmut (configured under ``[tool.mutmut]`` in pyproject.toml: the modules, and the test files
that guard them) makes one-token changes to estimators, exact indices, the feature-map games,
the captum_search closed forms, the metrics and SBSM, and runs the tests that reach each changed
function. A mutant is *killed* when a test fails (or it runs past the time limit: an infinite
loop), *survives* when every test passes. Survivors are either equivalent — listed in
``EQUIVALENT`` below by a rule on the changed line, with the reason — or a gap the report names.
The score is killed / (all − equivalent). Not in CI: it takes a while.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
KILLED, TIMEOUT, SURVIVED, NO_TESTS = "killed", "timeout", "survived", "no tests"
STATUS = {1: KILLED, 3: KILLED, 0: SURVIVED, 5: NO_TESTS, 33: NO_TESTS, 36: TIMEOUT, -24: TIMEOUT, 24: TIMEOUT,
          152: TIMEOUT, 255: TIMEOUT}


@dataclass(frozen=True)
class Rule:
    """A survivor is equivalent when its changed lines match ``removed`` / ``added`` (regexes)
    and, if given, its function's name matches ``function``."""

    removed: str
    added: str
    reason: str
    function: str = ""
    predicate: str = ""


DEVICE = r"\.to\([^()]*\)|,?\s*device=[\w.]+"
"""A device argument (``.to(x.device)``, ``device=y.device``), or its mutation to ``None`` or nothing."""


def device_only(removed: str, added: str) -> bool:
    """The two lines differ only in where a tensor goes."""
    return removed != added and re.sub(DEVICE, "", removed).replace(", )", ")") == re.sub(DEVICE, "", added).replace(", )", ")")


EQUIVALENT = (
    # where tensors live
    Rule(r"device|\.to\(", r".", "device placement: on a CPU-only machine every tensor is already where it goes (the CUDA "
         "tests cover devices on a GPU)", predicate="device_only"),
    # numpy defaults that are the intended type
    Rule(r"astype\(np\.float64\)", r"astype\(None\)", "astype(None) is astype(float64)"),
    Rule(r"dtype=np\.int64", r"dtype=None|, \)|\(start, stop, \)", "numpy's default integer type is int64 here"),
    Rule(r"replace=False", r"replace=None", "rng.choice treats replace=None as False"),
    Rule(r"np\.array\(values, dtype=np\.float64\)", r"dtype=None|\(values, \)",
         "game tables are float64 already, and integer tables give the same dividends in integer arithmetic"),
    Rule(r"dtype=np\.float64\)\[sizes\]", r"dtype=None\)\[sizes\]|\], \)\[sizes\]",
         "pair counts are integers either way; the division that follows is in floats"),
    Rule(r"block = np\.asarray\(block, dtype=np\.float64\)", r".", "argmax orders an integer block as its float copy"),
    Rule(r"train\[fold\] = False", r"= None", "None assigned into a boolean array is False"),
    # batching
    Rule(r"batch_size: int = \d+|batch_size\)", r"batch_size: int = \d+|, \)",
         "batch size only groups forward passes; results are equal at any batch size (tested)"),
    Rule(r"max\(1, -\(-", r"max\(2, -\(-|max\(1, \+\(-|max\(1, -\(\+|/ batch_size",
         "chunk count: array_split gives the same rows in any number of chunks"),
    # spelling of the same computation
    Rule(r'einsum\("', r'einsum\("[A-Z,>\-]+"', "einsum labels in upper case name the same contraction"),
    Rule(r"maps\.shape\[-2:\]", r"maps\.shape\[\+2:\]", "feature maps are (B, C, H, W): shape[2:] is shape[-2:]"),
    Rule(r"normalise\(\w+, dim=1\)", r"normalise\(\w+, \)", "torch's normalize defaults to dim=1 (the (B, C) embeddings)"),
    Rule(r"vectors = metric_vectors|return None if vectors is None", r".",
         "side_vectors is a fast path: without it the game scores pairs directly, with the same values",
         function="side_vectors"),
    Rule(r"n_pairs = n_players \* \(n_players - 1\) // 2", r"/ 2$", "n(n − 1) is even: the division is exact"),
    Rule(r"\.reshape\(-1, 2,", r"\.reshape\(-2, 2,", "numpy reads any negative size in reshape as 'the rest'"),
    Rule(r"cross = torch\.func\.jacrev\(.*argnums=0\)", r"argnums=1\), \)$", "jacrev differentiates argument 0 by default"),
    Rule(r"baselines=torch\.zeros_like\(ones\)", r"baselines=None|ones, additional_forward_args",
         "captum's IntegratedGradients uses zero baselines by default"),
    Rule(r"images = get_background\(background\)\(image\)\[:1\]", r"\[:2\]", "a background yields one image"),
    Rule(r'background == "blur"', r'"XXblurXX"|"BLUR"',
         "the branch spells out get_background('blur'), the same 25 px blur, which the next line gives anyway"),
    Rule(r"n_query, n_result = x\[0\]\.numel\(\), y\[0\]\.numel\(\)", r"x\[1\]|y\[1\]", "every channel has H·W locations"),
    Rule(r"kernel = weights \* -nodes \* np\.log\(nodes\)", r"\+nodes",
         "the kernel is rescaled to its exact integral next, which cancels its sign"),
    Rule(r"probe = torch\.ones\(n_result|output = similarity\(torch\.ones\(n_query", r"^(?!.*requires_grad=(False|None))",
         "the probe only checks that the head is differentiable; its dtype and device do not change that",
         function="integrated_hessians"),
    Rule(r"checked\(found\[0\] if return_convergence_delta", r"found\[1\]",
         "the convergence delta is non-finite exactly when an attribution is (it is their sum minus a finite difference)"),
    # kernels scaled by a constant
    Rule(r"return \{s: \(n - 1\) /", r"\(n [+-] [12]\) /",
         "a kernel scaled by a constant gives the same weighted least squares (and ridge, whose strength is a mass ratio)"),
    # least squares and conjugate gradients
    Rule(r"if len\(design\) == 0 or n == 1:", r"== 0 and n == 1",
         "with no rows or one player, least squares has nothing to fit and returns the even split either way"),
    Rule(r"if len\(coalitions\) == 0 or n <= 2:", r"== 0 and n <= 2|or n < 2",
         "the solver returns the even split for two or fewer players, and from no rows, by itself"),
    Rule(r"return 0\.5 \* float\(np\.vdot", r"1\.5 \*",
         "conjugate gradients use inner products in ratios and in a relative stopping test: a constant factor cancels"),
    Rule(r"scaled = \(1\.0 \+ ridge\) \* eigenvalues|inverse = np\.divide\(1\.0, scaled", r"\(2\.0 \+ ridge\)|divide\(2\.0,",
         "a preconditioner multiplied by a constant leaves the preconditioned iterates unchanged"),
    Rule(r"inverse\[0\] = 0\.0", r"= 1\.0",
         "residuals have their constant component removed, so the constant eigenvalue's inverse is never used"),
    Rule(r"n_pairs = n \* \(n - 1\) // 2", r".",
         "only the default iteration cap (2P; P suffices in exact arithmetic) uses it, and every solve here converges first",
         function="solve_normal_equations"),
    Rule(r"range\(1, \(max_iter or 2 \* n_pairs\)", r"3 \* n_pairs",
         "a larger default iteration cap: every solve here converges before 2P iterations"),
    Rule(r"tol: float = 1e-12,|warn: bool = True,", r".", "solve_pairs, the only caller, passes tol and warn",
         function="solve_normal_equations"),
    Rule(r"^iterations = 0$", r".", "the loop, which runs at least once, sets it"),
    Rule(r"return solution - eigen_components\(solution\)\[0\]", r"solution \+ eigen",
         "the solution has no constant component (each step is preconditioned with inverse[0] = 0)"),
    # sampling: the same distribution
    Rule(r"draw = min\(max\(2 \* \(count - len\(seen\)\), 16\), 65_536\)", r".",
         "how many candidate keys a round draws changes the random stream, not the distribution (uniform, distinct)"),
    Rule(r"if 2 \* size > n_players:", r"2 / size", "drawing complements saves memory; both ways draw uniform distinct coalitions"),
    Rule(r"if total <= _ENUMERATE_LIMIT:", r"total < _ENUMERATE_LIMIT",
         "both ways draw uniform distinct coalitions; they differ only at exactly 200,000"),
    Rule(r"rng\.random\(\(probes, n_players\)\) < 0\.5", r"<= 0\.5", "a uniform draw is exactly 0.5 with probability zero"),
    Rule(r"scale = np\.abs\(values\)\.max\(\) or 1\.0", r"or 2\.0",
         "reached only when every value is 0, where every change is 0 and passes at any positive scale"),
    Rule(r"return \(change <= NULL_TOLERANCE \* scale\)", r"change < NULL",
         "the scale is positive: a change of exactly 0 passes both; one of exactly 1e-12 of the scale has probability zero"),
    # bounds no game reaches
    Rule(r"2\*\*min\(n, 62\)", r"2 \* min\(n, 62\)|min\(n, 63\)", "n + 2 + sampled ≤ min(2n, 2ⁿ) for every n ≥ 2"),
    Rule(r"enumerable = .* n < 62 and", r"n <= 62|n < 63", "a budget of 2⁶² evaluations is never reached"),
    Rule(r"return 0\.0 if len\(sampled\) == 0 else SHRINKAGE_GRID\[2\]", r"1\.0 if|\) and False else",
         "with no sampled coalition the ridge is zero whatever the strength (_ridge)"),
    Rule(r"np\.bincount\(sizes(\[train\])?, minlength=n \+ 1\)", r".",
         "the counts are read only at sizes present in the design, which bincount covers without minlength"),
    Rule(r"prefix_values = values\[: n \+ 1\]", r"n \+ 2\]", "only indices 0..n of the prefixes are read"),
    Rule(r"second = np\.where\(position\[rows\] > position\[cols\]", r">=", "positions in a permutation are distinct"),
    Rule(r"for start in range\(0, len\(weights\), _CHUNK\):", r"range\(1, ",
         "coalition 0 is the empty one, whose membership row is zero: skipping it changes nothing"),
    Rule(r"pair_counts = np\.array\(\[comb\(int\(s\), 2\) for s in range\(n_players \+ 1\)\]", r"n_players \+ 2",
         "sizes run to n: the extra entry is never read"),
    Rule(r"if true_cells\.max\(initial=-1\)", r"initial=",
         "initial only matters for an empty true_cells, which has no query cell and is refused just after"),
    Rule(r'source="game"\)', r"coalitions, \)$", 'check_game_values names the source "game" by default'),
)


@dataclass
class Mutant:
    name: str
    module: str
    status: str
    removed: list[str]
    added: list[str]
    reason: str = ""


def function_sources(path: Path) -> dict[str, str]:
    """Source of every (possibly nested in a class) function of a mutmut-generated file."""
    tree = ast.parse(path.read_text())
    lines = path.read_text().splitlines()
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = "\n".join(lines[node.lineno - 1 : node.end_lineno])
    return out


def changed_lines(original: str, mutated: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(original.splitlines()[1:], mutated.splitlines()[1:]):  # the def lines differ by name
        if line.startswith("- "):
            removed.append(line[2:].strip())
        elif line.startswith("+ "):
            added.append(line[2:].strip())
    if not removed and not added:  # the change is in the signature (a default value)
        removed, added = [original.splitlines()[0].strip()], [mutated.splitlines()[0].strip()]
    return removed, added


def equivalence(mutant: Mutant) -> str:
    """The reason of the first rule the mutant's one changed line matches ('' if none does)."""
    if len(mutant.removed) != 1 or len(mutant.added) != 1:
        return ""
    removed, added = mutant.removed[0], mutant.added[0]
    for rule in EQUIVALENT:
        if rule.function and rule.function not in mutant.name:
            continue
        if rule.predicate == "device_only":
            if device_only(removed, added):
                return rule.reason
        elif re.search(rule.removed, removed) and re.search(rule.added, added):
            return rule.reason
    return ""


def collect() -> list[Mutant]:
    mutants = []
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        source = meta.with_suffix("")
        module = str(source.relative_to(MUTANTS))
        functions = function_sources(source)
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            status = STATUS.get(code, "not checked" if code is None else "suspicious")
            local = name.split(".")[-1]
            original = functions.get(local.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", "")
            removed, added = changed_lines(original, functions.get(local, ""))
            mutants.append(Mutant(name, module, status, removed, added))
    for mutant in mutants:
        if mutant.status in (SURVIVED, NO_TESTS):
            mutant.reason = equivalence(mutant)
    return mutants


def report(mutants: list[Mutant], seconds: float | None) -> tuple[str, dict]:
    by_module: dict[str, Counter] = {}
    for m in mutants:
        counts = by_module.setdefault(m.module, Counter())
        counts["mutants"] += 1
        counts["equivalent" if m.reason else m.status] += 1
    total = Counter()
    for counts in by_module.values():
        total.update(counts)

    def score(c: Counter) -> float:
        return (c[KILLED] + c[TIMEOUT]) / max(c["mutants"] - c["equivalent"], 1)

    head = ("| module | mutants | killed | timeout | survived | no tests | equivalent | score |", "|---|---|---|---|---|---|---|---|")
    rows = [f"| `{module}` | {c['mutants']} | {c[KILLED]} | {c[TIMEOUT]} | {c[SURVIVED]} | {c[NO_TESTS]} | "
            f"{c['equivalent']} | {100 * score(c):.1f} % |" for module, c in sorted(by_module.items())]
    rows.append(f"| **all** | {total['mutants']} | {total[KILLED]} | {total[TIMEOUT]} | {total[SURVIVED]} | "
                f"{total[NO_TESTS]} | {total['equivalent']} | **{100 * score(total):.1f} %** |")
    timing = f" in {seconds / 60:.0f} minutes on this machine's 2 cores" if seconds else ""
    lines = ["# Mutation testing of the mathematical modules", "",
             f"`python benchmarks/mutation.py` (mutmut {mutmut_version()}): {total['mutants']} mutants{timing}. Score = "
             "(killed + timeout) / (mutants − equivalent); a timeout is a mutant that made the tests run past "
             "mutmut's limit (a loop that no longer ends). Lines that only hold the text of an error message or "
             "warning are not mutated (`do_not_mutate_patterns` in pyproject.toml).", "", *head, *rows, ""]
    gaps = [m for m in mutants if m.status in (SURVIVED, NO_TESTS) and not m.reason]
    lines += [f"## Survivors no test kills ({len(gaps)})", ""]
    lines += [f"- `{m.name}` ({m.status}): `{' / '.join(m.removed)}` → `{' / '.join(m.added)}`" for m in gaps] or ["None."]
    equivalents = [m for m in mutants if m.reason]
    lines += ["", f"## Equivalent mutants ({len(equivalents)}), with the reason", ""]
    lines += [f"- `{m.name}`: `{' / '.join(m.removed)}` → `{' / '.join(m.added)}` — {m.reason}" for m in equivalents]
    summary = {"mutants": total["mutants"], "killed": total[KILLED], "timeout": total[TIMEOUT],
               "survived": total[SURVIVED], "no_tests": total[NO_TESTS], "equivalent": total["equivalent"],
               "score": score(total), "minutes": None if seconds is None else seconds / 60,
               "gaps": [m.name for m in gaps]}
    return "\n".join(lines) + "\n", summary


def mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="only rewrite the report from mutants/")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    seconds = None
    if not args.report:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "MPLBACKEND": "Agg"}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(os.cpu_count() or 2)],
                       cwd=ROOT, env=env, check=False)
        seconds = time.perf_counter() - started
    elif (args.out / "mutation.json").exists():
        seconds = (json.loads((args.out / "mutation.json").read_text()).get("minutes") or 0) * 60 or None
    text, summary = report(collect(), seconds)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mutation.md").write_text(text)
    (args.out / "mutation.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(text.split("## Survivors")[0])
    print(f"{len(summary['gaps'])} survivors no test kills (listed in {args.out / 'mutation.md'})")


if __name__ == "__main__":
    main()
