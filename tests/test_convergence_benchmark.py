"""benchmarks/convergence.py and its factorised families, on small games."""

from __future__ import annotations

import numpy as np
import pytest

from axiomatic_search import exact_shapley_taylor
from benchmarks import convergence
from benchmarks.factorised_families import make_factorised_game


def test_feature_map_family_is_an_exact_tabulated_game():
    bench = make_factorised_game("feature-map", 0, size=64)  # 2 × 2 feature maps a side
    assert (bench.game.n_query, bench.game.n_result) == (4, 4)
    enumerated = exact_shapley_taylor(bench.game)
    np.testing.assert_allclose(bench.exact.pairs, enumerated.pairs, atol=1e-6)
    np.testing.assert_allclose(bench.exact.main, enumerated.main, atol=1e-6)
    assert bench.exact.efficiency_gap < 1e-5


def test_forward_passes_count_distinct_halves_of_factorised_games():
    bench = make_factorised_game("feature-map", 1, size=64)
    counted = convergence.CountingGame(bench.game, n_query=4)
    coalitions = np.zeros((3, 8), dtype=bool)
    coalitions[1, 0] = coalitions[2, [0, 5]] = True  # query halves {}, {0}, {0}; result halves {}, {}, {1}
    counted(coalitions)
    assert counted.passes == 2 + 2


@pytest.mark.parametrize("family", ["relu", "feature-map"])
def test_every_method_runs_and_the_report_compares_ours_with_the_best_competitor(family, monkeypatch):
    if family == "feature-map":
        monkeypatch.setattr(convergence, "make_factorised_game", lambda f, i: make_factorised_game(f, i, size=64))
    passes = (130, 260)
    records = convergence.run_game(family, 0, 1, passes, convergence.methods_of(family))
    assert {r.method for r in records} >= {convergence.ours(family), "permutation", "shapiq-svarmiq"}
    assert all(np.isfinite(r.rel_mse) and r.passes > 0 for r in records)
    ours = [r for r in records if r.method == convergence.ours(family)]
    assert [r.passes for r in ours] == list(passes) if family == "relu" else all(r.passes <= r.nominal for r in ours)
    text = convergence.report(records, [family], passes, "test")
    assert "Ours against the best competitor" in text and "Worst ratio" in text


def test_a_run_of_some_families_keeps_the_other_families_rows(tmp_path):
    kept = convergence.Record("relu", 0, 0, "kernel", 500, 500, 0.25, float("nan"), 0.5)
    replaced = convergence.Record("sparse30", 0, 0, "kernel", 500, 500, 0.5, float("nan"), 0.5)
    path = tmp_path / "convergence.csv"
    with path.open("w", newline="") as handle:
        writer = convergence.csv.DictWriter(handle, fieldnames=list(convergence.Record.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(convergence.asdict(r) for r in (kept, replaced))
    loaded = convergence.load_records(path, ["sparse30"])
    assert len(loaded) == 1 and loaded[0].family == "relu" and loaded[0].rel_mse == 0.25
    assert loaded[0].passes == 500 and np.isnan(loaded[0].rel_block)
    path.write_text("family,budget\nrelu,500\n")  # an older format is ignored, not misread
    assert convergence.load_records(path, ["sparse30"]) == []
