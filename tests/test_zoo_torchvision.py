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
    classifier.eval()
    # the classifier's own layers up to its last feature map, run independently of the library
    layers = {"resnet50": lambda x: torch.nn.Sequential(*list(classifier.children())[:-2])(x),
              "vgg11": lambda x: classifier.features(x),
              "densenet121": lambda x: torch.relu(classifier.features(x))}[name]
    mean, std = torch.tensor([0.485, 0.456, 0.406])[:, None, None], torch.tensor([0.229, 0.224, 0.225])[:, None, None]

    def own_maps(x: torch.Tensor) -> torch.Tensor:  # ImageNet normalisation, as torchvision's weights expect
        return layers((x - mean) / std)
    with torch.inference_mode():
        maps = model.feature_maps(images)
        assert maps.shape == (2, channels, 2, 2)
        torch.testing.assert_close(maps, own_maps(images), rtol=1e-5, atol=1e-6)
        expected = torch.cosine_similarity(own_maps(images[:1]).mean(dim=(2, 3)), own_maps(images[1:]).mean(dim=(2, 3)))
        assert model(images[:1], images[1:]).item() == pytest.approx(expected.item(), abs=1e-6)
    # every backbone weight is the checkpoint's (the classifier head is left out)
    loaded = list(model.backbone.network.state_dict().values())
    written = [v for k, v in classifier.state_dict().items() if not k.startswith(("fc.", "classifier."))]
    assert len(loaded) == len(written) and all(torch.equal(a, b) for a, b in zip(loaded, written))


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
