"""Every example in ``examples/`` runs as a notebook (jupytext's reading of the script, executed by
nbclient with smaller parameters injected after its ``parameters`` cell, as papermill does) and says
something true. The same files run as scripts at their own defaults in
``benchmarks/quickstarts.py``, which times them for README."""

from __future__ import annotations

import os
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from PIL import Image

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FIGURES = {
    "shap_quickstart": ["first_order.png", "regions.png", "counterfactual.png", "correspondence.png"],
    "lime_quickstart": ["first_order.png", "regions.png", "correspondence.png"],
    "captum_quickstart": ["first_order.png", "regions.png", "correspondence.png"],
}
SMALL = {
    "shap_quickstart": "size = 64\nfirst_evals = 100\nsecond_evals = 120",
    "lime_quickstart": "size = 64\nsamples = 60\nsecond_samples = 80",
    "captum_quickstart": "size = 96\nig_steps = 4\nkernel_samples = 200\nsecond_samples = 150\npixel_steps = 8",
}


def test_every_example_is_covered():
    assert sorted(path.stem for path in EXAMPLES.glob("*.py")) == sorted(FIGURES)


def check_output(name: str, printed: str, folder: Path) -> None:
    for figure in FIGURES[name]:
        with Image.open(folder / figure) as image:
            assert image.info["dpi"][0] >= 149.9, figure
    if name == "shap_quickstart":
        first, second = map(float, re.search(r"first order (\S+), second order (\S+);", printed).groups())
        assert first < 1e-6 and second < 1e-6
    if name == "captum_quickstart":
        for method in ("IG-SAM", "SAM", "Kernel SAM"):
            assert re.search(rf"\n{method}: the strongest query cell, \d+, lands on result cell \d+", printed)
        assert float(re.search(r"completeness gap (\S+)\n", printed).group(1)) < 0.1


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_example_runs_as_a_notebook(name, tmp_path):
    notebook = jupytext.read(EXAMPLES / f"{name}.py")
    tagged = [k for k, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "the example needs one cell tagged parameters"
    injected = nbformat.v4.new_code_cell(f"{SMALL[name]}\nout = {str(tmp_path / 'figures')!r}",
                                         metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(tagged[0] + 1, injected)
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}  # inline figures
    NotebookClient(notebook, timeout=240, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=environment)
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    pictures = {output["data"]["image/png"] for output in outputs if "image/png" in output.get("data", {})}
    assert len(pictures) >= len(FIGURES[name]), "every figure shows in the notebook, once"
    printed = "".join(output.get("text", "") for output in outputs if output.get("name") == "stdout")
    check_output(name, printed, tmp_path / "figures")
