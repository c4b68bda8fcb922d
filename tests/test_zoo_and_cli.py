"""The offline pretrained model, the sample photos and the main job."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from axiomatic_search import cli
from axiomatic_search.data import PHOTOS, load_photo, sample_pair
from axiomatic_search.images import as_image_tensor
from axiomatic_search.zoo import (
    efficientnet_lite0,
    efficientnet_lite0_classifier,
    efficientnet_lite0_weights_path,
    lukemelas_to_timm,
)

IMAGENET_CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


@pytest.fixture(scope="module")
def model():
    return efficientnet_lite0()


def test_pretrained_weights_classify_chelsea_as_a_cat():
    classifier = efficientnet_lite0_classifier()
    image = as_image_tensor(load_photo("chelsea"))
    with torch.inference_mode():
        logits = classifier((image[None] - 0.5) / 0.5)
    assert int(logits.argmax()) in IMAGENET_CATS
    assert float(logits.softmax(-1)[0, list(IMAGENET_CATS)].sum()) > 0.8


def test_a_flipped_copy_is_more_similar_than_another_photo(model):
    astronaut = as_image_tensor(load_photo("astronaut"))
    coffee = as_image_tensor(load_photo("coffee"))
    with torch.inference_mode():
        flipped = model(astronaut[None], astronaut.flip(-1)[None]).item()
        other = model(astronaut[None], coffee[None]).item()
    assert flipped > 0.8 and flipped > other + 0.3


def test_grey_box_exposes_feature_maps_and_its_head_matches_the_model(model):
    images = torch.rand(2, 3, 96, 96)
    with torch.inference_mode():
        maps = model.feature_maps(images)
        assert maps.shape == (2, 1280, 3, 3)
        np.testing.assert_allclose(model.head(maps[:1], maps[1:]), model(images[:1], images[1:]), rtol=1e-5)


def test_loading_code_reads_a_checkpoint_file_the_test_writes(tmp_path):
    shipped = torch.load(efficientnet_lite0_weights_path(), map_location="cpu", weights_only=True)
    renamed = lukemelas_to_timm(shipped)
    assert "blocks.5.3.conv_pwl.weight" in renamed and "classifier.bias" in renamed
    perturbed = {k: (v + 1.0 if k == "_fc.bias" else v) for k, v in shipped.items()}
    path = tmp_path / "lite0.pth"
    torch.save(perturbed, path)
    assert torch.equal(efficientnet_lite0_classifier(path).classifier.bias, shipped["_fc.bias"] + 1.0)


def test_every_offline_photo_loads():
    for name in PHOTOS:
        photo = load_photo(name, size=32)
        assert photo.shape == (32, 32, 3) and 0.0 <= photo.min() and photo.max() <= 1.0
    with pytest.raises(ValueError, match="unknown photo"):
        load_photo("lena")
    query, result, mask = sample_pair(64)
    assert query.shape == result.shape == (64, 64, 3) and mask.mean() == 0.25


def test_main_job_writes_its_figure(tmp_path, capsys):
    assert cli.main(["--out", str(tmp_path), "--size", "64", "--segments", "12", "--query-grid", "2", "--result-grid", "2",
                     "--budget-first", "60", "--budget-second", "60"]) == 0
    figure = tmp_path / "explanation.png"
    assert figure.stat().st_size > 10_000
    report = (tmp_path / "report.html").read_text()
    assert report.count('<section class="pair"') == 2 and "black box (factorised)" in report
    printed = capsys.readouterr().out
    assert "efficiency gap" in printed and "wrote" in printed
