"""Same ``random_state`` → bit-identical results whatever a pair's position in a list, the batch
size, or the number of threads (on a model whose own outputs do not depend on them)."""

from __future__ import annotations

import numpy as np
import torch

from axiomatic_search.explain import explain_first_order, explain_second_order
from axiomatic_search.models import CallableSimilarity, GreyBoxSimilarity
from axiomatic_search.search_games import FirstOrderSearchGame, SecondOrderSearchGame

RNG = np.random.default_rng(11)
A, B, C = (RNG.random((10, 12, 3)) for _ in range(3))
MODEL = CallableSimilarity(lambda q, r: torch.tanh((q * r).flatten(1).mean(1) * 4) + r.flatten(1).std(1))


def test_a_results_values_do_not_depend_on_its_place_in_the_list():
    from shap_search import SearchExplainer

    explainer = SearchExplainer(MODEL, players=(2, 3))
    first = explainer(A, [B, C], max_evals=40, random_state=7, output="players").values
    second = explainer(A, [C, B], max_evals=40, random_state=7, output="players").values
    alone = explainer(A, C, max_evals=40, random_state=7, output="players").values
    assert np.array_equal(first[0], second[1]) and np.array_equal(first[1], second[0])
    assert np.array_equal(first[1], alone[0])
    generator = explainer(A, [B, C], max_evals=40, random_state=np.random.default_rng(3), output="players").values
    assert not np.array_equal(generator[0], first[0])  # a generator seeds the list once, not the global RNG


def test_kernel_sam_rows_do_not_depend_on_the_batch():
    from captum_search import KernelSAM, SecondOrderKernelSAM

    model = GreyBoxSimilarity(torch.nn.Identity(), metric="cosine")  # a conv's output may vary with the batch
    queries, results = torch.rand(2, 3, 6, 6), torch.rand(2, 3, 6, 6)
    with torch.no_grad():
        both = KernelSAM(model).attribute(queries, results, n_samples=300, random_state=1)
        swapped = KernelSAM(model).attribute(queries.flip(0), results.flip(0), n_samples=300, random_state=1)
        pairs = SecondOrderKernelSAM(model).attribute(queries, results, n_samples=200, random_state=1)
        pair = SecondOrderKernelSAM(model).attribute(queries[1:], results[1:], n_samples=200, random_state=1)
    assert torch.equal(both, swapped.flip(0))
    assert torch.equal(pairs[1], pair[0])


def test_batch_size_and_threads_change_nothing():
    threads = torch.get_num_threads()
    found = []
    try:
        for batch_size, n_threads in ((64, 2), (3, 2), (7, 1)):
            torch.set_num_threads(n_threads)
            first = FirstOrderSearchGame.for_images(MODEL, A, B, players=(2, 3), batch_size=batch_size)
            second = SecondOrderSearchGame.for_images(MODEL, A, B, players=(2, 2), batch_size=batch_size)
            found.append((explain_first_order(first, 30, random_state=4).values,
                          explain_second_order(second, 40, random_state=4).pairs))
    finally:
        torch.set_num_threads(threads)
    for values, pairs in found[1:]:
        assert np.array_equal(values, found[0][0]) and np.array_equal(pairs, found[0][1])
