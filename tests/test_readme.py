"""README's Python blocks run as written (each in a fresh namespace), so its snippets stay true.

The lime block is the one left out: it continues the shap block's names and runs lime's 5,000
and 20,000 samples, minutes on a CPU (``examples/lime_quickstart.py`` runs it in
``tests/test_lime_search.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
RUN = [block for block in BLOCKS if "from lime_search" not in block]


def test_the_readme_has_the_blocks_this_test_expects():
    assert len(BLOCKS) == 5 and len(RUN) == 4


@pytest.mark.parametrize("block", RUN, ids=[block.splitlines()[0][:40] for block in RUN])
def test_readme_block_runs(block, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - README's own code
    import matplotlib.pyplot as plt

    plt.close("all")
    if "found" in namespace:  # the correspondence block
        assert namespace["found"].block.shape == (16, 16) and abs(namespace["black"].second_order.efficiency_gap) < 1e-6
    if "joint" in namespace and "plots" in namespace:  # the shap block
        assert (tmp_path / "correspondence.png").stat().st_size > 10_000
