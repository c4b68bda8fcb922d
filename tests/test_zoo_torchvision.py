"""The paper's torchvision backbones and MoCo v2, on checkpoints the tests write."""

from __future__ import annotations

import pytest
import torch
import torchvision

from axiomatic_search.zoo_torchvision import moco_v2_similarity, torchvision_similarity


@pytest.mark.parametrize("name,channels", [("resnet50", 2048), ("vgg11", 512), ("densenet121", 1024)])
def test_backbones_give_feature_maps_and_load_a_checkpoint(tmp_path, name, channels):
    torch.manual_seed(0)
    classifier = getattr(torchvision.models, name)(weights=None)
    path = tmp_path / f"{name}.pth"
    torch.save(classifier.state_dict(), path)
    model = torchvision_similarity(name, weights=path)
    images = torch.rand(2, 3, 64, 64)
    with torch.inference_mode():
        maps = model.feature_maps(images)
        assert maps.shape == (2, channels, 2, 2)
        assert model(images[:1], images[:1]).item() == pytest.approx(1.0, abs=1e-5)
    first = next(iter(model.backbone.network.parameters()))
    assert torch.equal(first, next(iter(classifier.parameters())))


def test_unknown_backbone():
    with pytest.raises(ValueError, match="unknown backbone"):
        torchvision_similarity("alexnet", weights=None)


def test_moco_v2_checkpoint_format(tmp_path):
    torch.manual_seed(1)
    encoder = torchvision.models.resnet50(weights=None)
    state = {f"module.encoder_q.{k}": v for k, v in encoder.state_dict().items() if not k.startswith("fc.")}
    state.update({"module.encoder_q.fc.0.weight": torch.zeros(2048, 2048), "module.encoder_q.fc.2.weight": torch.zeros(128, 2048),
                  "module.encoder_k.conv1.weight": torch.zeros(64, 3, 7, 7), "module.queue": torch.zeros(128, 8)})
    path = tmp_path / "moco_v2_800ep.pth.tar"
    torch.save({"epoch": 800, "arch": "resnet50", "state_dict": state}, path)
    model = moco_v2_similarity(path)
    assert torch.equal(model.backbone.network[0].weight, encoder.conv1.weight)
    torch.save({"state_dict": {"conv1.weight": torch.zeros(1)}}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="encoder_q"):
        moco_v2_similarity(tmp_path / "bad.pth")
