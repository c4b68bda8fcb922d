"""Text search explained (issue 14), written to ``benchmarks/results/text.md`` and ``text.json``,
with the figure ``docs/text_correspondence.png``.

1. Two 12-word sentences, second order, on all-MiniLM-L6-v2 (offline): our factorised estimator
   at 5,000 forward passes against the exact indices (every coalition of each side embedded,
   ``2^12 + 2^12`` passes, exact for a cosine bi-encoder), our joint kernel and permutation
   estimators, and shapiq's SVARMIQ and permutation STII approximators on the joint game, all at
   the same 5,000 forward passes (a joint evaluation embeds a masked query and a masked result:
   two passes; shapiq's permutation sampler repeats coalitions, which are embedded again).
   Seconds, passes, inefficiency, largest error and correlation with the exact block,
   and how many of the exact top-5 word pairs each finds.
2. Six sentence pairs: the similarity and the three strongest word pairs (``method="auto"``,
   5,000 passes, which enumerates both sides of these short sentences: exact).
3. First order on the guitar pair through each host: the core's exact Shapley values, shap's
   Partition explainer, lime's text explainer, captum's layer integrated gradients: the top word
   and the seconds each took.

    python benchmarks/text.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import CountingGame, markdown_table, shapiq_estimate  # noqa: E402

from axiomatic_search.search_games import SecondOrderSearchGame  # noqa: E402
from axiomatic_search.text import (all_minilm_l6_v2, explain_text, explain_text_correspondence,  # noqa: E402
                                   text_maskers)
from axiomatic_search.text.figures import plot_text_correspondence  # noqa: E402
from axiomatic_search.text.words import word_spans  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FIGURE = Path(__file__).resolve().parent.parent / "docs" / "text_correspondence.png"
QUERY_12 = "The old fisherman pulled a heavy net of fish onto the boat"
RESULT_12 = "An elderly sailor hauled his catch of shiny fish aboard the vessel"
BUDGET = 5000
PAIRS = [
    ("A man is playing a guitar.", "Someone plays an instrument."),
    ("A woman is slicing an onion in the kitchen.", "A cook cuts vegetables."),
    ("The cat sleeps on the warm sofa.", "A kitten naps on the couch."),
    ("Heavy rain flooded the city streets overnight.", "Storms caused flooding in town."),
    ("The company reported record profits this quarter.", "The firm earned more money than ever."),
    ("Children are playing football in the park.", "Kids kick a ball on the grass."),
]


def top_pairs(block: np.ndarray, k: int = 5) -> set[tuple[int, int]]:
    order = np.argsort(-block, axis=None, kind="stable")[:k]
    return set(zip(*(index.tolist() for index in np.unravel_index(order, block.shape))))


def compare(model, seeds: int) -> tuple[list[dict], dict]:
    started = time.perf_counter()
    exact = explain_text_correspondence(model, QUERY_12, RESULT_12, method="exact")
    reference = {"method": "exact (each side enumerated)", "seconds": time.perf_counter() - started,
                 "passes": exact.n_forward_passes, "pairs": exact.strongest_pairs(5)}
    rows = []
    for method in ("factorised", "kernel", "permutation", "shapiq-svarmiq", "shapiq-permutation"):
        for seed in range(seeds):
            started = time.perf_counter()
            if method.startswith("shapiq"):
                joint = SecondOrderSearchGame(model, *text_maskers(model, QUERY_12, RESULT_12))
                counted = CountingGame(joint)
                main, pairs = shapiq_estimate(method, counted, BUDGET // 2, seed)  # two passes per evaluation
                block = pairs[:12, 12:]
                passes = 2 * sum(len(rows) for rows in counted._rows)  # repeats are embedded again
                gap = abs(main.sum() + pairs[np.triu_indices(24, 1)].sum() - (joint.full_value - joint.empty_value))
            else:
                found = explain_text_correspondence(model, QUERY_12, RESULT_12, method=method, budget=BUDGET,
                                                    random_state=seed)
                block, passes, gap = found.block, found.n_forward_passes, found.second_order.efficiency_gap
            seconds = time.perf_counter() - started
            rows.append({"method": method, "seed": seed, "seconds": seconds, "passes": int(passes),
                         "inefficiency": float(gap), "max_error": float(np.abs(block - exact.block).max()),
                         "correlation": float(np.corrcoef(block.ravel(), exact.block.ravel())[0, 1]),
                         "top5_found": len(top_pairs(block) & top_pairs(exact.block))})
            print(rows[-1], flush=True)
    return rows, reference


def six_pairs(model) -> list[dict]:
    rows = []
    for index, (query, result) in enumerate(PAIRS):
        found = explain_text_correspondence(model, query, result, budget=BUDGET, random_state=0)
        similarity = float(model([query], [result])[0])
        rows.append({"query": query, "result": result, "similarity": similarity, "passes": found.n_forward_passes,
                     "inefficiency": found.second_order.efficiency_gap, "strongest": found.strongest_pairs(3)})
        if index == 0:
            firsts = [explain_text(model, query, result, explain=side) for side in ("query", "result")]
            plot_text_correspondence(found, *firsts, path=FIGURE, title=f"“{query}” → “{result}”")
    return rows


def hosts(model) -> list[dict]:
    from captum_search import TextSimilarityIntegratedGradients
    from lime_search import LimeTextSearchExplainer
    from shap_search import TextSearchExplainer

    query, result = PAIRS[0]
    words = explain_text(model, query, result).players.words
    runs = {
        "axiomatic_search.explain_text (exact Shapley, 16 coalitions)":
            lambda: explain_text(model, query, result).values,
        "shap_search.TextSearchExplainer(algorithm='partition'), 500 evals":
            lambda: _word_values(TextSearchExplainer(model, algorithm="partition")(query, result, random_state=0), result),
        "lime_search.LimeTextSearchExplainer, 1,000 samples":
            lambda: _lime_values(LimeTextSearchExplainer().explain_instance(query, result, model, num_samples=1000,
                                                                             random_state=0), words),
        "captum_search.TextSimilarityIntegratedGradients, 50 steps":
            lambda: TextSimilarityIntegratedGradients(model).attribute(query, result).numpy(),
    }
    rows = []
    for name, run in runs.items():
        started = time.perf_counter()
        values = np.asarray(run(), dtype=np.float64)
        rows.append({"host": name, "seconds": time.perf_counter() - started, "top_word": words[int(np.argmax(values))],
                     "values": dict(zip(words, np.round(values, 4).tolist()))})
    return rows


def _word_values(explanation, text: str) -> np.ndarray:
    """shap's token values summed per word: shap's pieces join back into the text, so each
    piece's character offset says which word span it lies in (specials and punctuation: none)."""
    spans = word_spans(text)
    values, cursor = np.zeros(len(spans)), 0
    for piece, value in zip(explanation.data, explanation.values):
        piece = str(piece)
        start = text.find(piece.strip(), cursor) if piece.strip() else -1
        if start >= 0:
            cursor = start + len(piece.strip())
            owner = [k for k, (a, b) in enumerate(spans) if a <= start < b]
            if owner:
                values[owner[0]] += value
    return values


def _lime_values(explanation, words: list[str]) -> np.ndarray:
    found = dict(explanation.as_list(label=0))
    return np.array([found.get(word, 0.0) for word in words])


def write(rows, reference, pairs, host_rows) -> None:
    def mean(method, key):
        return float(np.mean([r[key] for r in rows if r["method"] == method]))

    methods = list(dict.fromkeys(r["method"] for r in rows))
    ours = mean("factorised", "seconds")
    table = markdown_table(
        ["method (5,000 forward passes)", "seconds", "× factorised time", "passes", "inefficiency", "largest error",
         "correlation with exact", "exact top-5 pairs found"],
        [[m, f"{mean(m, 'seconds'):.1f}", f"{mean(m, 'seconds') / ours:.2f}", f"{mean(m, 'passes'):.0f}",
          f"{mean(m, 'inefficiency'):.1e}", f"{mean(m, 'max_error'):.4f}", f"{mean(m, 'correlation'):.3f}",
          f"{mean(m, 'top5_found'):.1f} / 5"] for m in methods]
        + [[reference["method"], f"{reference['seconds']:.1f}", f"{reference['seconds'] / ours:.2f}",
            str(reference["passes"]), "0 (exact)", "0", "1", "5 / 5"]])
    pair_table = markdown_table(
        ["query", "result", "similarity", "strongest word pairs (interaction)"],
        [[p["query"], p["result"], f"{p['similarity']:.3f}",
          "; ".join(f"{q} ↔ {r} ({v:.3f})" for q, r, v in p["strongest"])] for p in pairs])
    host_table = markdown_table(["first order on the result, through", "seconds", "top word"],
                                [[h["host"], f"{h['seconds']:.2f}", h["top_word"]] for h in host_rows])
    seeds = len([r for r in rows if r["method"] == "factorised"])
    text = (f"# Text search explained (all-MiniLM-L6-v2, {platform.processor() or platform.machine()}, "
            f"{torch.get_num_threads()} threads)\n\n"
            f"## Two 12-word sentences, second order (mean of {seeds} seeds)\n\n"
            f"“{QUERY_12}” → “{RESULT_12}”\n\n{table}\n\n"
            f"Exact strongest pairs: " + "; ".join(f"{q} ↔ {r} ({v:.4f})" for q, r, v in reference["pairs"]) +
            f"\n\n## Six pairs (method auto: factorised, both sides enumerated: exact)\n\n{pair_table}\n\n"
            f"## First order through each host (the guitar pair)\n\n{host_table}\n\n"
            "Command: `python benchmarks/text.py`\n")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "text.md").write_text(text, encoding="utf-8")
    (RESULTS / "text.json").write_text(json.dumps({"second_order": rows, "exact": reference, "pairs": pairs,
                                                   "hosts": host_rows}, indent=1, default=str), encoding="utf-8")
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per sampling method")
    args = parser.parse_args()
    model = all_minilm_l6_v2()
    model(["warm up"], ["warm up"])
    rows, reference = compare(model, args.seeds)
    write(rows, reference, six_pairs(model), hosts(model))


if __name__ == "__main__":
    main()
