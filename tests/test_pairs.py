"""Many pairs per call: ``explain_pairs`` and ``explain_ranked`` against single-pair calls."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search.correspondence import explain_correspondence
from axiomatic_search.data import load_photo
from axiomatic_search.explain import explain_first_order
from axiomatic_search.models import CallableSimilarity, EmbeddingSimilarity
from axiomatic_search.pairs import explain_pairs, explain_ranked
from axiomatic_search.search_games import FirstOrderSearchGame


def tiny_network(seed: int = 0, dtype=torch.float64) -> torch.nn.Module:
    generator = torch.Generator().manual_seed(seed)
    network = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(),
                                  torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten()).to(dtype)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=dtype) * 0.5)
    return network.eval()


class Float64(torch.nn.Module):
    """The network in float64, so batch composition cannot change a value's last bits."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, images):
        return self.network(images.double())


@pytest.fixture(scope="module")
def model():
    return EmbeddingSimilarity(Float64(tiny_network()), metric="cosine")


@pytest.fixture(scope="module")
def photos():
    # query and results of different, non-square shapes
    query = load_photo("chelsea", 48)[:, :40]
    results = [load_photo(name, 32)[:28] for name in ("coffee", "astronaut", "rocket")]
    return query, results


def test_ranked_list_equals_separate_calls_and_embeds_the_query_once(model, photos):
    query, results = photos
    options = dict(players=(2, (2, 3)), method="factorised", budget=40)
    ranked = explain_ranked(model, query, results, random_state=3, **options)
    separate = [explain_correspondence(model, query, result, random_state=3, **options) for result in results]
    for shared, alone in zip(ranked, separate):
        assert shared.values.shape == (4, 6)
        np.testing.assert_array_equal(shared.values, alone.block)
        assert shared.explanation.second_order.efficiency_gap < 1e-9
    # the first result pays for the query's side coalitions, the others only for their own
    query_passes = alone.n_forward_passes - ranked[1].n_forward_passes
    assert query_passes > 0 and ranked[0].n_forward_passes == alone.n_forward_passes
    assert [p.n_forward_passes for p in ranked[1:]] == [alone.n_forward_passes - query_passes] * 2
    assert [p.index for p in ranked] == [0, 1, 2]
    with torch.no_grad():
        similarities = [float(model(torch.as_tensor(query).permute(2, 0, 1)[None],
                                    torch.as_tensor(r).permute(2, 0, 1)[None])) for r in results]
    np.testing.assert_allclose([p.similarity for p in ranked], similarities, atol=1e-9)


def test_a_shared_cache_never_answers_for_another_query(model, photos):
    query, results = photos
    cache: dict = {}
    first = explain_correspondence(model, query, results[0], players=2, method="factorised", budget=30,
                                   random_state=0, query_cache=cache)
    other_query = results[1]
    reused = explain_correspondence(model, other_query, results[0], players=2, method="factorised", budget=30,
                                    random_state=0, query_cache=cache)
    fresh = explain_correspondence(model, other_query, results[0], players=2, method="factorised", budget=30,
                                   random_state=0)
    np.testing.assert_array_equal(reused.block, fresh.block)
    assert reused.n_forward_passes == fresh.n_forward_passes == first.n_forward_passes


@pytest.mark.parametrize("explain", ["result", "query"])
def test_first_order_batched_across_pairs_equals_one_call_per_pair(model, photos, explain):
    query, results = photos
    pairs = [(query, results[0]), (results[1], results[2]), (query, results[2])]  # two image sizes mixed
    batched = list(explain_pairs(model, pairs, order=1, players=3, budget=30, explain=explain, random_state=5,
                                 batch_size=7))
    for (q, r), found in zip(pairs, batched):
        game = FirstOrderSearchGame.for_images(model, q, r, explain=explain, players=3)
        alone = explain_first_order(game, 30, random_state=5)
        np.testing.assert_allclose(found.values, alone.values, atol=1e-10)
        assert abs(found.explanation.efficiency_gap) < 1e-9
        assert found.n_forward_passes == 30 + 1  # 30 coalitions, one background, and the fixed side
        assert found.explanation.players.labels.shape == (r if explain == "result" else q).shape[:2]


@pytest.mark.parametrize("explain", ["result", "query"])
def test_first_order_batches_a_pair_scorer_too_whatever_the_sizes(photos, explain):
    query, results = photos
    pairs = [(query, results[0]), (results[1], results[2]), (query, results[2])]  # fixed sides of two sizes
    scorer = CallableSimilarity(lambda q, r: torch.tanh(3 * q.double().mean((1, 2, 3)))
                                * r.double().flatten(1).pow(2).mean(1))
    batched = list(explain_pairs(scorer, pairs, order=1, players=2, budget=12, explain=explain, random_state=1,
                                 batch_size=5))
    for (q, r), found in zip(pairs, batched):
        game = FirstOrderSearchGame.for_images(scorer, q, r, players=2, explain=explain)
        alone = explain_first_order(game, 12, random_state=1)
        np.testing.assert_allclose(found.values, alone.values, atol=1e-12)
        assert found.n_forward_passes == 12  # a pair scorer has no embedding to compute once


def test_pairs_are_read_lazily_one_chunk_at_a_time(model):
    pulled = []

    def queue(count):  # 10,000 queued pairs: none is made before its chunk is
        rng = np.random.default_rng(0)
        for k in range(count):
            pulled.append(k)
            yield rng.random((16, 16, 3)), rng.random((16, 16, 3))

    stream = explain_pairs(model, queue(10_000), players=2, budget=12, chunk_size=4, random_state=0)
    first = next(stream)
    assert first.index == 0 and len(pulled) == 4
    assert [next(stream).index for _ in range(4)] == [1, 2, 3, 4] and len(pulled) == 8
    stream.close()


def test_bad_pairs_get_errors_naming_the_argument(model, photos):
    query, results = photos
    with pytest.raises(ValueError, match=r"pairs\[1\] must be a \(query, result\) pair"):
        list(explain_pairs(model, [(query, results[0]), (query,)], players=2, budget=12))
    with pytest.raises(ValueError, match="order must be 1"):
        list(explain_pairs(model, [(query, results[0])], order=3))
    with pytest.raises(ValueError, match="method"):
        list(explain_pairs(model, [(query, results[0])], order=1, method="ig-sam"))
    with pytest.raises(ValueError, match="results must hold at least one"):
        explain_ranked(model, query, [])
    with pytest.raises(ValueError, match="budget"):
        list(explain_pairs(model, [(query, results[0])], order=1, players=3, budget=4))


CUDA_CASES = [
    (1, "kernel", dict(players=3, budget=30)),
    (1, "exact", dict(players=2)),
    (2, "factorised", dict(players=2, budget=40)),
    (2, "kernel", dict(players=2, budget=100)),
    (2, "permutation", dict(players=2, budget=100)),
    (2, "exact", dict(players=2)),
    (2, "sam", dict(players=2)),
    (2, "ig-sam", dict(players=2)),
]


def feature_trunk() -> torch.nn.Module:
    """The tiny network's convolution and ReLU: feature maps for a grey-box model."""
    return torch.nn.Sequential(*list(tiny_network(dtype=torch.float32))[:2])


def device_matches_cpu(photos, device: str, order: int, method: str, options: dict) -> None:
    from axiomatic_search.models import GreyBoxSimilarity

    query, results = photos[0][::3, ::3], [r[::3, ::3] for r in photos[1]]  # feature maps as large as the images
    cpu, other = GreyBoxSimilarity(feature_trunk()), GreyBoxSimilarity(feature_trunk().to(device))
    assert other.device.type == torch.device(device).type
    on_cpu = explain_ranked(cpu, query, results, order=order, method=method, random_state=0, **options)
    on_device = explain_ranked(other, query, results, order=order, method=method, random_state=0, **options)
    for a, b in zip(on_cpu, on_device):
        scale = np.abs(a.values).max() or 1.0
        np.testing.assert_allclose(b.values, a.values, atol=1e-2 * scale)  # TF32 convolutions on a GPU
    half = explain_ranked(other, query, results, order=order, method=method, random_state=0,
                          precision="float16" if device == "cuda" else "bfloat16", **options)
    np.testing.assert_allclose([p.similarity for p in half], [p.similarity for p in on_cpu], atol=1e-2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("order, method, options", CUDA_CASES)
def test_every_method_runs_on_cuda_and_matches_the_cpu(photos, order, method, options):
    device_matches_cpu(photos, "cuda", order, method, options)


def test_mixed_precision_is_applied_when_asked_and_stays_close(photos):
    query, results = photos
    model = EmbeddingSimilarity(tiny_network(dtype=torch.float32), metric="cosine")
    options = dict(players=2, method="factorised", budget=40, random_state=0)
    full = explain_ranked(model, query, results, **options)
    mixed = explain_ranked(model, query, results, precision="bfloat16", **options)
    assert max(np.abs(a.values - b.values).max() for a, b in zip(full, mixed)) > 0  # autocast was on
    # bfloat16 keeps about three digits: the similarities agree to them
    np.testing.assert_allclose([p.similarity for p in mixed], [p.similarity for p in full], atol=1e-2)
    with pytest.raises(ValueError, match="precision"):
        explain_ranked(model, query, results, precision="int8", **options)


@pytest.mark.parametrize("order, method, options", CUDA_CASES)
def test_every_method_runs_through_explain_pairs_under_mixed_precision(photos, order, method, options):
    device_matches_cpu(photos, "cpu", order, method, options)  # the CUDA test's checks, on the CPU
