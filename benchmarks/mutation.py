"""Mutation testing of the mathematical modules with mutmut: does the suite catch a wrong formula?

    python benchmarks/mutation.py            # about 40 minutes on 2 cores; writes benchmarks/results/mutation.{md,json}
    python benchmarks/mutation.py --report   # the report again from the last run (the mutants/ folder)
    python benchmarks/mutation.py --rerun-survivors   # after adding tests: only the survivors again

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
from typing import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
KILLED, TIMEOUT, SURVIVED, NO_TESTS, OTHER = "killed", "timeout", "survived", "no tests", "other"


def status_of(exit_code: int | None) -> str:
    """mutmut's own reading of an exit code, folded into the report's columns."""
    from mutmut.stats import status_by_exit_code

    status = status_by_exit_code[exit_code]
    return status if status in (KILLED, TIMEOUT, SURVIVED, NO_TESTS) else OTHER


def device_only(before: str, old: str, new: str) -> bool:
    """The change only moves a tensor: a ``.to(...)`` or ``device=`` argument, or its removal."""
    moved = re.fullmatch(r"\.to\([\w.]*\)|,? ?device=[\w.]+,? ?|[\w.]*device", old) is not None
    return moved and re.fullmatch(r"None|\.to\(\)|,? ?", new) is not None


@dataclass(frozen=True)
class Rule:
    """A survivor is equivalent when its changed fragment — the tokens between the longest common
    prefix and suffix of the old and new line — is ``old`` → ``new`` (full regex matches), right
    after text matching ``before``, inside a function whose name contains ``function``; or when
    ``test(before, old, new)`` says so."""

    before: str
    old: str
    new: str
    reason: str
    function: str = ""
    test: Callable[[str, str, str], bool] | None = None


DTYPE = (r"(dtype=)?np\.(float64|int64)", r"None|")
"""A numpy dtype argument, and its mutation to ``None`` or its removal."""

EQUIVALENT = (
    Rule("", "", "", "device placement: on a CPU-only machine every tensor is already where it goes (the CUDA tests "
         "cover devices on a GPU)", test=device_only),
    # numpy and torch defaults that are the intended value
    Rule(r"astype\(", r"np\.float64", "None", "astype(None) is astype(float64)"),
    Rule(r"np\.arange\(start, stop, (dtype=)?|combinations\(range\(n_players\), size\)\), (dtype=)?", *DTYPE,
         "numpy's default integer type is int64 here"),
    Rule(r"np\.array\(values, (dtype=)?", *DTYPE,
         "game tables are float64 already, and integer tables give the same dividends in integer arithmetic"),
    Rule(r"for s in range\(n_players \+ 1\)\], (dtype=)?", *DTYPE, "pair counts are integers either way; the division "
         "that follows is in floats"),
    Rule(r"np\.asarray\(block, (dtype=)?", *DTYPE, "argmax orders an integer block as its float copy"),
    Rule(r"replace=", "False", "None", "rng.choice treats replace=None as False"),
    Rule(r"train\[fold\] = ", "False", "None", "None assigned into a boolean array is False"),
    Rule(r"normalise\(\w+, ", "dim=1", "", "torch's normalize defaults to dim=1 (the (B, C) embeddings)"),
    Rule(r"argnums=1\), ", "argnums=0", "", "jacrev differentiates argument 0 by default"),
    Rule(r"ones, (baselines=)?", r"(baselines=)?torch\.zeros_like\(ones\),? ?", "None|",
         "captum's IntegratedGradients uses zero baselines by default"),
    Rule(r'coalitions, ', 'source="game"', "", 'check_game_values names the source "game" by default'),
    # batching
    Rule(r"batch_size: int = ", r"\d+", r"\d+", "batch size only groups forward passes; results are equal at any batch "
         "size (tested)"),
    Rule(r"n_players, ", "batch_size", "", "batch size only groups forward passes; results are equal at any batch size "
         "(tested)", function="__init__"),
    Rule(r"np\.array_split\((masks|np\.arange\(count\)), max\(1?,? ?-?\(?[-+]?(len\(masks\)|count)? ?", r"1|-|//",
         r"2|\+|/", "how many chunks the squares are scored in: the rows are the same in any number of chunks"),
    # the same computation spelled otherwise
    Rule(r'einsum\("', r"[a-z,>\-]+", r"[A-Z,>\-]+", "einsum labels in upper case name the same contraction"),
    Rule(r"maps\.shape\[", "-", r"\+", "feature maps are (B, C, H, W): shape[2:] is shape[-2:]"),
    Rule(r"n_players \* \(n_players - 1\) ", "//", "/", "n(n − 1) is even: the division is exact"),
    Rule(r"\.reshape\(-", "1", "2", "numpy reads any negative size in reshape as 'the rest'"),
    Rule(r"pairs=", "False", "None", "None is falsy, as False is"),
    Rule(r"out = ", r"1\.0", r"2\.0", "both falling factorials of each ratio start from it, so it cancels",
         function="subset_probabilities"),
    Rule(r"falling\(n_players, k\) if n_players ", ">=", ">", "at n = k the ratio is 0 for every size below n, and "
         "the kernels have no size n", function="subset_probabilities"),
    Rule(r"apply_spectral\(u, eigenvalues\) if ", "ridge", r"\(ridge\) or True", "with ridge 0 the added term is 0"),
    Rule(r"np\.divide\(1\.0, scaled, (out=np\.zeros\(3\), )?(out=)?(where=scaled )?", r"np\.zeros\(3\)|where=scaled > 0|>",
         r"None||>=", "the Johnson eigenvalues of a kernel with mass on every size are positive, so where= and out= "
         "never apply", function="solve_normal_equations"),
    Rule(r"if rhs_norm [^#]*", r"or|<=|\*|0\.0", r"and|<|/|1\.0", "an early exit for a right-hand side that is zero to "
         "rounding (and for n ≤ 2, which solve_pairs returns first): without it the solve returns an update of that "
         "rounding size", function="solve_normal_equations"),
    Rule(r"if np\.sqrt\(pairs_dot\(residual, residual\)\) ", "<=", "<", "the residual equals the tolerance exactly "
         "with probability zero"),
    Rule(r"if warn and relative ", ">", ">=", "the residual equals the threshold exactly with probability zero"),
    Rule(r"mass\.get\(s, 0\.0\) > 0 |mass\.get\(s, 0\.0\) |capacity\[s\] ", r"and|>", r"or|>=",
         "sizes without mass or without coalitions get a count of 0 either way, and counts of 0 are dropped",
         function="allocate"),
    Rule(r"if budget ", ">=", ">", "a budget equal to every capacity fills every size by water-filling too",
         function="allocate"),
    Rule(r"remaining \* mass\[s\] / open_mass ", ">=", ">", "a share equal to the capacity floors to the capacity",
         function="allocate"),
    Rule(r"members = np\.argpartition\(keys, size - 1, ", "axis=1", "", "argpartition works along the last axis by "
         "default, which is axis 1 here"),
    Rule(r"order = sorted\(counts, key=lambda size: -counts\[size\]\) if ", "paired", r"\(paired\) or True",
         "unpaired sizes are drawn independently: the order only changes which random numbers each uses"),
    Rule(r"and counts\[mirror\] ", "<", "<=", "when the mirror size is enumerated, the complements of all of it are "
         "the whole stratum, as drawing it gives"),
    Rule(r"^if n ", ">", ">=", "two players have 0 free pair values, fewer than no design", function="KernelShapleyTaylor"),
    Rule(r"len\(design\.coalitions\) < free and budget ", "<", "<=", "at a budget of 2ⁿ every size is enumerated, "
         "which determines every pair", function="KernelShapleyTaylor"),
    Rule(r"len\(design\.coalitions\) < free and budget < ", "2", "3", "from 2ⁿ on every size is enumerated, which "
         "determines every pair", function="KernelShapleyTaylor"),
    Rule(r"tol=1e-8, warn=", "False", "None", "None is falsy, as False is"),
    Rule(r"if keys\[0\] not in seen |if keys\[", r"and|0", r"or|1", "seen holds every drawn coalition with its "
         "complement, so either key answers for both", function="_sample_complement_pairs"),
    Rule(r"^sampled = c ", "<", "<=", "an enumerated size has the larger count and is drawn first, so the flag only "
         "sends a whole middle size through the complement-pair sampler, which also returns the whole stratum",
         function="stratified_design"),
    Rule(r"numel\(\), y\[|n_result = x\[", "0", "1", "every channel has H·W locations"),
    Rule(r"kernel = weights \* ", "-", r"\+", "the kernel is rescaled to its exact integral next, which cancels its sign"),
    Rule(r"torch\.ones\(n_(result|query), (dtype=)?", r"(dtype=)?[xy]\.dtype,? ?", "None|",
         "the probe only checks that the head is differentiable; its dtype does not change that",
         function="integrated_hessians"),
    Rule(r"checked\(found\[", "0", "1", "the convergence delta is non-finite exactly when an attribution is (it is "
         "their sum minus a finite difference)"),
    Rule(r'background == "', "blur", "XXblurXX|BLUR", "the branch spells out get_background('blur'), the same 25 px "
         "blur the next line gives for the string anyway"),
    Rule(r"get_background\(background\)\(image\)\[:", "1", "2", "a background yields one image"),
    Rule("", r".*", r".*", "side_vectors only switches on a fast path; without it the game scores pairs directly, with "
         "the same values (a test compares both paths)", function="side_vectors"),
    # a kernel scaled by a constant
    Rule(r"return \{s: \(n ", "-", r"\+", "a kernel scaled by a constant gives the same weighted least squares (and "
         "ridge, whose strength is a mass ratio)"),
    Rule(r"return \{s: \(n - ", "1", "2", "a kernel scaled by a constant (n − 2 > 0 for the n ≥ 3 this kernel has sizes "
         "for) gives the same fit", function="shapley_taylor_size_mass"),
    # least squares and conjugate gradients
    Rule(r"if len\(design\) == 0 ", "or", "and", "with no rows or one player, least squares has nothing to fit and "
         "returns the even split either way"),
    Rule(r"if len\(coalitions\) == 0 ", "or", "and", "the solver returns the even split for two or fewer players, and "
         "from no rows, by itself"),
    Rule(r"if len\(coalitions\) == 0 or n ", "<=", "<", "the solver returns the even split for two players by itself"),
    Rule(r"return ", r"0\.5", r"1\.5", "conjugate gradients use inner products in ratios and in a relative stopping "
         "test: a constant factor cancels", function="pairs_dot"),
    Rule(r"scaled = \(|np\.divide\(", r"1\.0", r"2\.0", "a preconditioner multiplied by a constant leaves the "
         "preconditioned iterates unchanged", function="solve_normal_equations"),
    Rule(r"inverse\[0\] = ", r"0\.0", r"1\.0", "residuals have their constant component removed, so the constant "
         "eigenvalue's inverse is never used"),
    Rule(r"n_pairs = n \* \(n ", "-", r"\+", "a larger default iteration cap: every solve here converges within 2P",
         function="solve_normal_equations"),
    Rule(r"n_pairs = n \* \(n - |n_pairs = n \* \(n - 1\) // ", "1|2", "2|3", "the default cap stays at least the "
         "P − 1 free directions, where conjugate gradients end in exact arithmetic", function="solve_normal_equations"),
    Rule(r"max_iter or ", "2", "3", "a larger default iteration cap: every solve here converges within 2P"),
    Rule(r"tol: float = ", r"1e-12", r".+", "solve_pairs, the only caller, passes tol", function="solve_normal_equations"),
    Rule(r"warn: bool = ", "True", "False", "solve_pairs, the only caller, passes warn", function="solve_normal_equations"),
    Rule(r"^iterations = ", "0", "None|1", "the loop, which runs at least once, sets it"),
    Rule(r"return solution ", "-", r"\+", "the solution has no constant component (each step is preconditioned with "
         "inverse[0] = 0)"),
    # sampling: the same distribution
    Rule(r"draw = min\(max\([^#]*", r"[\d_]+|\*|-", r"[\d_]+|/|\+", "how many candidate keys a round draws changes the "
         "random stream, not the distribution (uniform, distinct)"),
    Rule(r"if 2 ", r"\*", "/", "drawing complements saves memory; both ways draw uniform distinct coalitions"),
    Rule(r"if total ", "<=", "<", "both ways draw uniform distinct coalitions; they differ only at exactly 200,000"),
    Rule(r"rng\.random\(\(probes, n_players\)\) ", "<", "<=", "a uniform draw is exactly 0.5 with probability zero"),
    Rule(r"scale = np\.abs\(values\)\.max\(\) or ", r"1\.0", r"2\.0", "reached only when every value is 0, where every "
         "change is 0 and passes at any positive scale"),
    Rule(r"return \(change ", "<=", "<", "the scale is positive: a change of exactly 0 passes both; one of exactly "
         "1e-12 of the scale has probability zero"),
    # bounds no game reaches
    Rule(r"min\(n \+ 2 \+ sampled, 2", r"\*\*", r"\*", "2·n and 2ⁿ agree at n = 2, and from n = 3 on both exceed "
         "n + 2 + sampled (sampled ≤ 1)"),
    Rule(r"2\*\*min\(n, ", "62", "63", "2⁶² coalitions is never a budget"),
    Rule(r"and n ", "<", "<=", "a budget of 2⁶² evaluations is never reached", function="KernelShap"),
    Rule(r"and n < ", "62", "63", "a budget of 2⁶² evaluations is never reached", function="KernelShap"),
    Rule(r"return ", r"0\.0", r"1\.0", "with no sampled coalition the ridge is zero whatever the strength (_ridge)",
         function="_cross_validated_shrinkage"),
    Rule(r"return 0\.0 if ", r"len\(sampled\) == 0", r"\(len\(sampled\) == 0\) and False",
         "with no sampled coalition the ridge is zero whatever the strength (_ridge)"),
    Rule(r"np\.bincount\(sizes(\[train\])?, (minlength=n |minlength=n \+ )?", r"minlength=n \+ 1|\+|1", r"|-|2",
         "the counts are read only at sizes present in the design, which bincount covers without minlength"),
    Rule(r"prefix_values = values\[: n \+ ", "1", "2", "only indices 0..n of the prefixes are read"),
    Rule(r"np\.where\(position\[rows\] ", ">", ">=", "positions in a permutation are distinct"),
    Rule(r"for start in range\(", "0", "1", "coalition 0 is the empty one, whose membership row is zero: skipping it "
         "changes nothing", function="_weighted_membership"),
    Rule(r"for s in range\(n_players \+ ", "1", "2", "sizes run to n: the extra entry is never read"),
    Rule(r"true_cells\.max\(initial=", "-1", "None", "initial only matters for an empty true_cells, which has no "
         "query cell and is refused just after"),
    Rule(r"true_cells\.max\(initial=-", "1", "2", "true cells are at least −1: an initial of −2 never wins the max"),
    Rule(r"root_w \* \(targets - design @ start\), ", "rcond=None", "", "numpy's lstsq defaults to rcond=None"),
    Rule(r'kind="', "stable", "STABLE", "numpy reads the sort kind case-insensitively"),
)


def changed_fragment(removed: str, added: str) -> tuple[str, str, str]:
    """``(text before the change, old fragment, new fragment)`` of one changed line, cut at token
    boundaries (words, numbers, single symbols) between the longest common prefix and suffix."""
    token = r"\d[\d_]*(?:\.\d+)?(?:e-?\d+)?|\w+|==|!=|<=|>=|//|\*\*|\S"
    old_tokens = [m.span() for m in re.finditer(token, removed)]
    new_tokens = [m.span() for m in re.finditer(token, added)]
    text = lambda line, span: line[span[0] : span[1]]  # noqa: E731
    prefix = 0
    while (prefix < min(len(old_tokens), len(new_tokens))
           and text(removed, old_tokens[prefix]) == text(added, new_tokens[prefix])):
        prefix += 1
    suffix = 0
    while (suffix < min(len(old_tokens), len(new_tokens)) - prefix
           and text(removed, old_tokens[-1 - suffix]) == text(added, new_tokens[-1 - suffix])):
        suffix += 1
    start = old_tokens[prefix][0] if prefix < len(old_tokens) else len(removed)
    old_end = old_tokens[len(old_tokens) - suffix - 1][1] if len(old_tokens) - suffix > prefix else start
    new_start = new_tokens[prefix][0] if prefix < len(new_tokens) else len(added)
    new_end = new_tokens[len(new_tokens) - suffix - 1][1] if len(new_tokens) - suffix > prefix else new_start
    return removed[:start], removed[start:old_end].strip(), added[new_start:new_end].strip()


@dataclass
class Mutant:
    name: str
    module: str
    status: str
    removed: list[str]
    added: list[str]
    reason: str = ""
    code: int | None = None


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
    """The lines a mutant removed and added (its signature line when the change is a default)."""
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
    before, old, new = changed_fragment(mutant.removed[0], mutant.added[0])
    for rule in EQUIVALENT:
        if rule.function and rule.function not in mutant.name:
            continue
        if rule.test is not None:
            if rule.test(before, old, new):
                return rule.reason
        elif (re.search(rule.before + "$", before) and re.fullmatch(rule.old, old) is not None
              and re.fullmatch(rule.new, new) is not None):
            return rule.reason
    return ""


def collect() -> list[Mutant]:
    mutants = []
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        source = meta.with_suffix("")
        module = str(source.relative_to(MUTANTS))
        functions = function_sources(source)
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            status = status_of(code)
            local = name.split(".")[-1]
            original = functions.get(local.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", "")
            removed, added = changed_lines(original, functions.get(local, ""))
            mutants.append(Mutant(name, module, status, removed, added, code=code))
    for mutant in mutants:
        if mutant.status in (SURVIVED, NO_TESTS):
            mutant.reason = equivalence(mutant)
    return mutants


def report(mutants: list[Mutant], seconds: float | None, rerun: float = 0.0) -> tuple[str, dict]:
    """The markdown report and its summary; refused while mutmut has mutants left unchecked."""
    unchecked = sum(m.code is None for m in mutants)
    if unchecked:
        raise SystemExit(f"mutmut has not checked {unchecked} of {len(mutants)} mutants: run it to the end first")
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

    head = ("| module | mutants | killed | timeout | survived | no tests | other | equivalent | score |",
            "|---|---|---|---|---|---|---|---|---|")
    rows = [f"| `{module}` | {c['mutants']} | {c[KILLED]} | {c[TIMEOUT]} | {c[SURVIVED]} | {c[NO_TESTS]} | {c[OTHER]} | "
            f"{c['equivalent']} | {100 * score(c):.1f} % |" for module, c in sorted(by_module.items())]
    rows.append(f"| **all** | {total['mutants']} | {total[KILLED]} | {total[TIMEOUT]} | {total[SURVIVED]} | "
                f"{total[NO_TESTS]} | {total[OTHER]} | {total['equivalent']} | **{100 * score(total):.1f} %** |")
    timing = f" in {seconds / 60:.0f} minutes on this machine's 2 cores" if seconds else ""
    if rerun:
        timing += f", and its survivors again after the last tests were added ({rerun / 60:.0f} minutes)"
    lines = ["# Mutation testing of the mathematical modules", "",
             f"`python benchmarks/mutation.py` (mutmut {mutmut_version()}): {total['mutants']} mutants{timing}. Score = "
             "(killed + timeout) / (mutants − equivalent); a timeout is a mutant that made the tests run past "
             "mutmut's limit (a loop that no longer ends); other: suspicious, skipped or crashed runs, counted against the "
             "score. Lines that only hold the text of an error message or "
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
               "rerun_minutes": rerun / 60 if rerun else None,
               "gaps": [m.name for m in gaps]}
    return "\n".join(lines) + "\n", summary


def mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def run_mutmut(names: list[str]) -> float:
    """``mutmut run`` (on ``names`` only, when given) with one thread per worker; its seconds."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(os.cpu_count() or 2), *names],
                   cwd=ROOT, env=env, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="only rewrite the report from mutants/")
    parser.add_argument("--rerun-survivors", action="store_true",
                        help="run mutmut again on the last run's survivors only (after adding tests)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    record = args.out / "mutation.json"
    held = json.loads(record.read_text()) if record.exists() else {}
    seconds, rerun = (held.get("minutes") or 0) * 60 or None, (held.get("rerun_minutes") or 0) * 60
    if not args.report:
        names = [m.name for m in collect() if m.status in (SURVIVED, NO_TESTS) and not m.reason]
        if args.rerun_survivors and not names:
            raise SystemExit("no survivor left to run again")
        spent = run_mutmut(names if args.rerun_survivors else [])
        seconds, rerun = (seconds, rerun + spent) if args.rerun_survivors else (spent, 0.0)
    text, summary = report(collect(), seconds, rerun)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "mutation.md").write_text(text)
    (args.out / "mutation.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(text.split("## Survivors")[0])
    print(f"{len(summary['gaps'])} survivors no test kills (listed in {args.out / 'mutation.md'})")


if __name__ == "__main__":
    main()
