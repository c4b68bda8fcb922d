"""The runtime backends: ONNX Runtime checked against torch, gradients through torch, the
channels_last wrapper, and ``accelerate`` on each kind of model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search.models import CallableSimilarity, EmbeddingSimilarity, GreyBoxSimilarity
from axiomatic_search.runtime import (
    ChannelsLast,
    OnnxBackbone,
    accelerate,
    default_batch_size,
    fast_module,
    resolve_backend,
)


def small_network(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.BatchNorm2d(8),
                               torch.nn.ReLU(), torch.nn.Conv2d(8, 5, 3, padding=1)).eval()


def images(batch: int, height: int, width: int, seed: int) -> torch.Tensor:
    return torch.rand(batch, 3, height, width, generator=torch.Generator().manual_seed(seed))


def test_onnx_backbone_matches_torch_for_each_input_shape_and_reports_the_difference():
    network = small_network()
    backbone = OnnxBackbone(network)
    for shape, batch in (((12, 20), 3), ((9, 7), 2), ((12, 20), 5)):  # non-square; a shape seen twice
        inputs = images(batch, *shape, seed=batch)
        with torch.no_grad():
            np.testing.assert_allclose(backbone(inputs).numpy(), network(inputs).numpy(), atol=1e-5)
    assert set(backbone.max_abs_difference) == {(3, 12, 20), (3, 9, 7)}
    assert all(difference < 1e-5 for difference in backbone.max_abs_difference.values())


def test_gradients_go_through_torch():
    network = small_network(1)
    backbone = OnnxBackbone(network)
    inputs = images(2, 8, 8, seed=0).requires_grad_(True)
    backbone(inputs).sum().backward()
    expected = images(2, 8, 8, seed=0).requires_grad_(True)
    network(expected).sum().backward()
    torch.testing.assert_close(inputs.grad, expected.grad)


class BranchOnBatchSize(torch.nn.Module):
    """Python control flow on the batch size: the export (traced on one image) bakes in one
    branch, so a batch of several differs from torch."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images * 2.0 if len(images) == 1 else images * 3.0


def test_an_unfaithful_export_is_caught_on_its_first_batch_and_that_shape_falls_back_to_torch():
    backbone = OnnxBackbone(BranchOnBatchSize())
    batch = torch.rand(2, 3, 4, 4)
    with pytest.warns(RuntimeWarning, match="differs from torch's"):
        torch.testing.assert_close(backbone(batch), batch * 3.0)
    assert backbone.max_abs_difference[(3, 4, 4)] > 0.1
    later = torch.rand(3, 3, 4, 4)
    torch.testing.assert_close(backbone(later), later * 3.0)  # torch from now on for this shape


def test_channels_last_and_accelerate_keep_the_similarity():
    grey = GreyBoxSimilarity(small_network(2), metric="cosine")
    queries, results = images(3, 16, 12, seed=1), images(3, 16, 12, seed=2)
    with torch.no_grad():
        expected = grey(queries, results)
        for backend in ("torch", "onnxruntime"):
            fast = accelerate(GreyBoxSimilarity(small_network(2), metric="cosine"), backend=backend)
            assert isinstance(fast, GreyBoxSimilarity)
            torch.testing.assert_close(fast(queries, results), expected, atol=1e-5, rtol=1e-5)
    embedding = accelerate(EmbeddingSimilarity(torch.nn.Sequential(small_network(3), torch.nn.Flatten())), "torch")
    assert isinstance(embedding.embed, ChannelsLast) and not isinstance(embedding, GreyBoxSimilarity)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        accelerate(CallableSimilarity(lambda q, r: (q * r).sum((1, 2, 3))))


def test_backend_choice_and_batch_sizes():
    assert resolve_backend("auto", "cpu") == "onnxruntime"  # installed with the dev extra
    assert resolve_backend("auto", "cuda") == "torch"
    assert resolve_backend("eager", "cpu") == "eager"
    network = small_network()
    assert fast_module(network, "eager") is network
    assert default_batch_size("cpu") == 32 and default_batch_size("cuda") == 256
    with pytest.raises(ValueError, match="unknown backend 'tensorrt'"):
        resolve_backend("tensorrt", "cpu")
    with pytest.raises(TypeError, match="needs a torch.nn.Module"):
        OnnxBackbone(lambda x: x)


def test_the_offline_model_on_onnx_runtime_agrees_with_eager_torch():
    from axiomatic_search.data import sample_pair
    from axiomatic_search.zoo import efficientnet_lite0

    query, result, _ = sample_pair(96)
    q = torch.from_numpy(query.transpose(2, 0, 1).copy())[None]
    r = torch.from_numpy(result.transpose(2, 0, 1).copy())[None]
    fast, eager = efficientnet_lite0(), efficientnet_lite0(backend="eager")
    assert isinstance(fast.backbone, OnnxBackbone)
    with torch.no_grad():
        torch.testing.assert_close(fast(q, r), eager(q, r), atol=1e-5, rtol=1e-5)
        assert fast.backbone.max_abs_difference[(3, 96, 96)] < 1e-3
