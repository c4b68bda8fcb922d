"""README's Python blocks run as written (each in a fresh namespace), so its snippets stay true,
and each checks something it can know."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest
from PIL import Image

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_the_blocks_this_test_expects():
    assert len(BLOCKS) == 8
    for host in ("shap_search", "captum_search", "lime_search"):
        assert sum(f"from {host} import" in block for block in BLOCKS) == 1, host


def saved_at_150_dpi(path: Path) -> bool:
    with Image.open(path) as image:
        return image.info["dpi"][0] >= 149.9


@pytest.mark.parametrize("block", BLOCKS, ids=[block.splitlines()[0][:40] for block in BLOCKS])
def test_readme_block_runs(block, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - README's own code
    import matplotlib.pyplot as plt

    plt.close("all")
    if "found" in namespace and "explain_ranked" not in block:  # the correspondence block
        assert namespace["found"].block.shape == (16, 16) and abs(namespace["black"].second_order.efficiency_gap) < 1e-6
    if "explain_ranked" in block:  # many pairs: the query's embeddings shared, pairs streamed
        assert [found.n_forward_passes for found in namespace["ranked"]] == [200, 100, 100]
        assert namespace["found"].index == 1 and namespace["found"].values.shape == (16,)
    if "axiomatic_search.text" in block:  # text: the planted answer of the README's table
        assert [pair[:2] for pair in namespace["matches"].strongest_pairs(2)] == [("guitar", "instrument"), ("playing", "plays")]
        assert namespace["words"].efficiency_gap < 1e-6 and [m.index for m in namespace["best"]] == [1, 2]
        assert namespace["shap_values"].shape[0] == 2 and namespace["gradients"].shape == (4,)
        assert namespace["lime_values"].as_list(label=0)[0][0] == "instrument"
        assert (tmp_path / "text_correspondence.png").stat().st_size > 10_000
    if "from shap_search import" in block:
        assert namespace["joint"].efficiency_gap < 1e-6
        assert saved_at_150_dpi(tmp_path / "correspondence.png") and saved_at_150_dpi(tmp_path / "regions.png")
    if "from captum_search import" in block:
        assert tuple(namespace["sam"].shape) == (1, 7, 7) and tuple(namespace["block"].shape) == (1, 49, 49)
        assert saved_at_150_dpi(tmp_path / "ig_sam.png") and saved_at_150_dpi(tmp_path / "sam_correspondence.png")
    if "from lime_search import" in block:
        assert namespace["joint"].query_result_block.shape == (16, 16)
        assert saved_at_150_dpi(tmp_path / "lime_regions.png") and saved_at_150_dpi(tmp_path / "lime_correspondence.png")
