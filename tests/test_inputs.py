"""One conversion for every entry point: a file path, a PIL image, an (H, W, 3) array (uint8 or
float in [0, 1]) and a (C, H, W) tensor of the same picture give the same explanation in the
core and in each adapter; captum's classes also take (B, C, H, W) batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from axiomatic_search.explain import explain_first_order
from axiomatic_search.images import as_image_batch, as_image_tensor
from axiomatic_search.models import CallableSimilarity, GreyBoxSimilarity
from axiomatic_search.search_games import FirstOrderSearchGame

RNG = np.random.default_rng(3)
QUERY_PIXELS = RNG.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)  # not square
RESULT_PIXELS = RNG.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
MODEL = CallableSimilarity(lambda q, r: (q * r).flatten(1).mean(1) + q.flatten(1).std(1) * r.flatten(1).mean(1))


def forms(pixels: np.ndarray, folder, name: str) -> dict[str, object]:
    path = folder / f"{name}.png"
    Image.fromarray(pixels).save(path)
    return {
        "path": str(path),
        "Path": path,
        "PIL": Image.fromarray(pixels),
        "uint8 array": pixels,
        "float array": pixels / 255.0,
        "CHW tensor": torch.from_numpy(pixels).permute(2, 0, 1),
        "float CHW tensor": torch.from_numpy(pixels / 255.0).permute(2, 0, 1),
    }


@pytest.fixture
def images(tmp_path):
    return forms(QUERY_PIXELS, tmp_path, "query"), forms(RESULT_PIXELS, tmp_path, "result")


def test_every_form_converts_to_the_same_tensor(images):
    expected = torch.from_numpy(QUERY_PIXELS / 255.0).permute(2, 0, 1).float()
    for form, image in images[0].items():
        assert torch.allclose(as_image_tensor(image), expected, atol=1e-7), form
    batch = as_image_batch(list(images[0].values()))
    assert batch.shape == (7, 3, 12, 16) and torch.allclose(batch, expected.expand(7, -1, -1, -1), atol=1e-7)
    with pytest.warns(UserWarning, match="L image converted to RGB"):
        grey = as_image_tensor(Image.fromarray(QUERY_PIXELS[:, :, 0]), name="query")
    assert grey.shape == (3, 12, 16) and torch.equal(grey[0], grey[2])


def test_shap_takes_a_ranked_list_of_paths_or_a_batch_tensor(images):
    from shap_search import SearchExplainer

    queries, results = images
    explainer = SearchExplainer(MODEL, players=(2, 2), algorithm="exact")
    expected = explainer(queries["uint8 array"], [results["uint8 array"], queries["uint8 array"]]).values
    batch = torch.stack([results["CHW tensor"], queries["CHW tensor"]])
    np.testing.assert_allclose(explainer(queries["path"], [results["path"], queries["Path"]]).values, expected, atol=1e-6)
    np.testing.assert_allclose(explainer(queries["PIL"], batch).values, expected, atol=1e-6)


def test_the_core_and_each_adapter_give_the_same_answer_for_every_form(images):
    from lime_search import LimeSearchExplainer
    from shap_search import SearchExplainer

    queries, results = images
    core, shap_values, lime_weights = {}, {}, {}
    for form in queries:
        game = FirstOrderSearchGame.for_images(MODEL, queries[form], results[form], players=(2, 2), background="black")
        core[form] = explain_first_order(game, method="exact").values
        shap_values[form] = SearchExplainer(MODEL, players=(2, 2), algorithm="exact")(
            queries[form], results[form], output="players").values
        lime_weights[form] = dict(LimeSearchExplainer(n_segments=4).explain_instance(
            queries[form], results[form], MODEL, num_samples=40, random_state=0).local_exp[0])
    for form in queries:
        np.testing.assert_allclose(core[form], core["uint8 array"], atol=1e-6, err_msg=form)
        np.testing.assert_allclose(shap_values[form], shap_values["uint8 array"], atol=1e-6, err_msg=form)
        assert lime_weights[form].keys() == lime_weights["uint8 array"].keys()
        np.testing.assert_allclose(list(lime_weights[form].values()), list(lime_weights["uint8 array"].values()),
                                   atol=1e-6, err_msg=form)


def test_captum_classes_take_batches_single_images_paths_and_pil(images):
    from captum_search import SAM

    backbone = torch.nn.Conv2d(3, 4, 3)
    torch.nn.init.normal_(backbone.weight, generator=torch.Generator().manual_seed(0))
    sam = SAM(GreyBoxSimilarity(backbone, metric="dot"))
    queries, results = images
    batch = torch.stack([as_image_tensor(queries["uint8 array"])]), torch.stack([as_image_tensor(results["uint8 array"])])
    with torch.no_grad():
        expected = sam.attribute(*batch)
        for form in queries:
            np.testing.assert_allclose(sam.attribute(queries[form], results[form]), expected, atol=1e-6, err_msg=form)
        uint8_batch = torch.from_numpy(np.stack([QUERY_PIXELS])).permute(0, 3, 1, 2)
        np.testing.assert_allclose(sam.attribute(uint8_batch, batch[1]), expected, atol=1e-6)  # uint8 scaled


def test_conversions_that_lose_information_are_warned_about_and_bad_forms_refused(tmp_path):
    rgba = np.concatenate([QUERY_PIXELS, np.full((12, 16, 1), 128, np.uint8)], axis=2)
    on_white = (QUERY_PIXELS.transpose(2, 0, 1).astype(float) * 128 + 255 * 127) / 255 / 255  # alpha 128 of 255 over white
    for form in (Image.fromarray(rgba), rgba):  # a PIL image and an array: the same compositing
        with pytest.warns(UserWarning, match="transparency composited on white"):
            converted = as_image_tensor(form, name="query")
        np.testing.assert_allclose(converted.numpy(), on_white, atol=1.5 / 255)
    (tmp_path / "notes.jpg").write_text("not a picture")
    with pytest.raises(ValueError, match="query: .*notes.jpg is not an image file"):
        as_image_tensor(tmp_path / "notes.jpg", name="query")
    with pytest.raises(ValueError, match="query: no such file"):
        as_image_tensor(str(tmp_path / "missing.png"), name="query")
    with pytest.raises(ValueError, match=r"results hold images of different shapes"):
        as_image_batch([np.zeros((4, 4, 3)), np.zeros((4, 5, 3))], name="results")
    with pytest.raises(ValueError, match="results is empty"):
        as_image_batch([], name="results")
