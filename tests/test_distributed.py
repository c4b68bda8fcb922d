"""Dataset runs on a real local Ray (2 workers): bit-identical to the in-process path, complete
after a worker is killed, resumable after the driver is interrupted, and clear about bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from axiomatic_search.data import load_photo
from axiomatic_search.distributed import block_of, explain_dataset, read_results
from axiomatic_search.distributed.store import finished_chunks
from axiomatic_search.distributed.worker import load_model
from axiomatic_search.pairs import explain_pairs

ray = pytest.importorskip("ray")

MODEL_MODULE = '''
import time
import torch
from axiomatic_search.models import EmbeddingSimilarity


class Slowed(torch.nn.Module):
    """A small real CNN; each forward call waits a little, so a run lasts long enough to be
    interrupted part-way (the wait changes no value)."""

    def __init__(self, pause):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        self.network = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(),
                                           torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten()).double()
        with torch.no_grad():
            for parameter in self.network.parameters():
                parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=torch.float64) * 0.5)
        self.pause = pause

    def forward(self, images):
        time.sleep(self.pause)
        return self.network(images.double())


def build(device):
    return EmbeddingSimilarity(Slowed(0.0).to(device).eval())


def slow(device):
    return EmbeddingSimilarity(Slowed(0.05).to(device).eval())
'''
OPTIONS = dict(order=2, method="factorised", players=2, budget=24, size=24, chunk_size=2, random_state=7)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Six photos at 24 px, twelve pairs (queries repeat, as in a ranked list), a model module."""
    folder = tmp_path_factory.mktemp("dataset")
    names = ("chelsea", "coffee", "astronaut", "rocket", "camera", "china")
    for name in names:
        Image.fromarray((load_photo(name, 24) * 255).round().astype(np.uint8)).save(folder / f"{name}.png")
    rows = [(q, r) for q in names[:3] for r in names[3:]] + [(names[1], names[0]), (names[2], names[0]),
                                                             (names[3], names[4])]
    (folder / "pairs.csv").write_text("query,result\n" + "".join(f"{q}.png,{r}.png\n" for q, r in rows))
    (folder / "tiny_model.py").write_text(textwrap.dedent(MODEL_MODULE))
    sys.path.insert(0, str(folder))
    yield folder, len(rows)
    sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def local_ray(dataset):
    folder, _ = dataset
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(folder)}})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def clean_run(dataset, tmp_path_factory):
    folder, _ = dataset
    out = tmp_path_factory.mktemp("clean")
    explain_dataset(folder / "pairs.csv", out, model="tiny_model:build", engine="local", **OPTIONS)
    return read_results(out)


def replica_processes() -> list[int]:
    """Process ids of the Ray workers holding a model replica (their title names the actor)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and title.startswith("ray::") and "ChunkExplainer" in title:
            found.append(int(entry.name))
    return found


def values_of(frame) -> dict[int, np.ndarray]:
    return {int(row["pair"]): block_of(row) for _, row in frame.iterrows()}


def test_the_local_engine_matches_explain_pairs_and_writes_every_field(dataset, clean_run):
    folder, count = dataset
    assert list(clean_run["pair"]) == list(range(count))
    model = load_model("tiny_model:build", "cpu")
    from axiomatic_search.images import load_image

    first_chunk = [(load_image(folder / q, 24)[0], load_image(folder / r, 24)[0])
                   for q, r in zip(clean_run["query"][:2], clean_run["result"][:2])]
    direct = list(explain_pairs(model, first_chunk, chunk_size=2, **{k: v for k, v in OPTIONS.items()
                                                                     if k not in ("size", "chunk_size")}))
    for found, (_, row) in zip(direct, clean_run.iloc[:2].iterrows()):
        np.testing.assert_array_equal(found.values, block_of(row))
        assert row["similarity"] == found.similarity == row["full_value"] and tuple(row["shape"]) == (4, 4)
        assert len(row["main_effects"]) == 8 and row["base_value"] == found.explanation.second_order.base_value
    row = clean_run.iloc[0]
    assert '"budget": 24' in row["settings"] and '"torch"' in row["versions"] and row["forward_passes"] > 0


def test_ray_with_two_workers_is_bit_identical_to_the_in_process_path(dataset, local_ray, clean_run, tmp_path):
    folder, count = dataset
    run = explain_dataset(folder / "pairs.csv", tmp_path, model="tiny_model:build", replicas=2, **OPTIONS)
    assert (run.computed, run.skipped) == (count, 0)
    on_ray = read_results(tmp_path)
    assert list(on_ray["pair"]) == list(range(count))
    clean = values_of(clean_run)
    for pair, values in values_of(on_ray).items():
        np.testing.assert_array_equal(values, clean[pair])
    np.testing.assert_array_equal(on_ray["similarity"].to_numpy(), clean_run["similarity"].to_numpy())


def test_a_killed_worker_leaves_every_pair_exactly_once_and_unchanged(dataset, local_ray, clean_run, tmp_path):
    folder, count = dataset
    failures = []

    def run():
        try:
            explain_dataset(folder / "pairs.csv", tmp_path, model="tiny_model:slow", replicas=2, **OPTIONS)
        except Exception as error:  # reported below
            failures.append(error)

    driver = threading.Thread(target=run)
    driver.start()
    deadline = time.time() + 60
    while not finished_chunks(tmp_path) and time.time() < deadline:
        time.sleep(0.05)
    actors = replica_processes()
    assert actors and len(finished_chunks(tmp_path)) < count // 2, "the run must be under way when a worker dies"
    os.kill(actors[0], signal.SIGKILL)
    driver.join(timeout=120)
    assert not driver.is_alive() and not failures, failures
    after = read_results(tmp_path)
    assert sorted(after["pair"]) == list(range(count))  # every pair, exactly once
    clean = values_of(clean_run)
    for pair, values in values_of(after).items():
        np.testing.assert_array_equal(values, clean[pair])


def test_an_interrupted_driver_resumes_with_only_the_unfinished_pairs(dataset, clean_run, tmp_path):
    folder, count = dataset
    command = [sys.executable, "-m", "axiomatic_search", "batch", str(folder / "pairs.csv"), "--out", str(tmp_path),
               "--engine", "local", "--model", "tiny_model:slow", "--method", "factorised", "--players", "2",
               "--budget", "24", "--size", "24", "--chunk-size", "2", "--seed", "7", "--quiet"]
    driver = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(folder)}, stderr=subprocess.PIPE,
                              text=True)
    deadline = time.time() + 60
    while not finished_chunks(tmp_path) and time.time() < deadline and driver.poll() is None:
        time.sleep(0.05)
    driver.send_signal(signal.SIGINT)
    driver.wait(timeout=30)
    done = finished_chunks(tmp_path)
    assert driver.returncode == 130
    assert f"interrupted: {2 * len(done)} pairs are written" in driver.stderr.read()
    assert 0 < len(done) < count // 2, "interrupted part-way"
    resumed = explain_dataset(folder / "pairs.csv", tmp_path, model="tiny_model:slow", engine="local", **OPTIONS)
    assert resumed.skipped == 2 * len(done) and resumed.computed == count - 2 * len(done)
    after = read_results(tmp_path)
    assert sorted(after["pair"]) == list(range(count))
    clean = values_of(clean_run)
    for pair, values in values_of(after).items():
        np.testing.assert_array_equal(values, clean[pair])


def test_bad_input_is_one_clear_error_and_finished_pairs_are_kept(dataset, tmp_path):
    folder, _ = dataset
    lines = (folder / "pairs.csv").read_text().splitlines()
    missing = folder / "missing.csv"  # beside the images: relative paths are read from the CSV's folder
    missing.write_text("\n".join(lines[:3] + ["chelsea.png,nowhere.png"]) + "\n")
    with pytest.raises(ValueError, match=r"1 image file\(s\) missing: row 2 result .*nowhere.png"):
        explain_dataset(missing, tmp_path / "a", engine="local")
    duplicate = folder / "duplicate.csv"
    duplicate.write_text("\n".join(lines[:3] + [lines[1]]) + "\n")
    with pytest.raises(ValueError, match="duplicate pair.*row 2 repeats row 0"):
        explain_dataset(duplicate, tmp_path / "b", engine="local")
    out = tmp_path / "kept"
    explain_dataset(folder / "pairs.csv", out, model="tiny_model:build", engine="local", **OPTIONS)
    kept = sorted(p.name for p in out.iterdir())
    with pytest.raises(ValueError, match=r"address: no Ray cluster answers at 127.0.0.1:9"):
        explain_dataset(folder / "pairs.csv", out, model="tiny_model:build", address="127.0.0.1:9", **OPTIONS)
    with pytest.raises(ValueError, match="holds a run with other settings.*budget: 24 there, 30 now"):
        explain_dataset(folder / "pairs.csv", out, model="tiny_model:build", engine="local",
                        **{**OPTIONS, "budget": 30})
    assert sorted(p.name for p in out.iterdir()) == kept
    with pytest.raises(ValueError, match="cannot import 'tiny_model:nothing'"):
        explain_dataset(folder / "pairs.csv", tmp_path / "c", model="tiny_model:nothing", engine="local", **OPTIONS)


def test_the_batch_command_reports_in_one_line(dataset, clean_run, tmp_path, capsys):
    from axiomatic_search.cli import main

    folder, count = dataset
    common = ["--engine", "local", "--model", "tiny_model:build", "--method", "factorised", "--players", "2",
              "--budget", "24", "--size", "24", "--chunk-size", "2", "--seed", "7", "--quiet"]
    assert main(["batch", str(folder / "pairs.csv"), "--out", str(tmp_path), *common]) == 0
    assert f"{count} pairs: {count} explained now, 0 already there" in capsys.readouterr().out
    assert main(["batch", str(folder / "pairs.csv"), "--out", str(tmp_path), *common]) == 0
    assert f"{count} pairs: 0 explained now, {count} already there" in capsys.readouterr().out
    np.testing.assert_array_equal(np.stack(read_results(tmp_path)["values"]), np.stack(clean_run["values"]))
    for extra, message in ((["--address", "127.0.0.1:9"], "address: no Ray cluster answers"),
                           (["--budget", "0"], "--budget must be at least 1"),
                           (["--order", "1", "--method", "ig-sam"], "--method ig-sam does not explain --order 1")):
        argv = ["batch", str(folder / "pairs.csv"), "--out", str(tmp_path), *common[2:-1], *extra]  # on Ray
        assert main(argv) == 2
        error = capsys.readouterr().err
        assert message in error and len(error.strip().splitlines()) == 1, error
    assert main(["batch", str(folder / "nothing.csv"), "--out", str(tmp_path / "x")]) == 2
    assert "pairs: no such file" in capsys.readouterr().err


def test_progress_counts_pairs_against_the_total_with_an_eta(dataset, tmp_path, capsys):
    folder, count = dataset
    explain_dataset(folder / "pairs.csv", tmp_path, model="tiny_model:build", engine="local", progress=True, **OPTIONS)
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert f"{count}/{count}" in bar and "pair/s" in bar and "<00:00" in bar  # done, rate, time left


def test_a_run_folder_is_resumed_only_by_the_same_run(dataset, tmp_path):
    folder, count = dataset
    options = {**OPTIONS, "players": (2, 2)}  # a tuple reads back from run.json as a list: still the same run
    with pytest.raises(ValueError, match="method"):
        explain_dataset(folder / "pairs.csv", tmp_path / "run", model="tiny_model:build", engine="local",
                        **{**options, "method": "bogus"})
    assert not (tmp_path / "run").exists()  # refused before the folder was made
    first = explain_dataset(folder / "pairs.csv", tmp_path / "run", model="tiny_model:build", engine="local",
                            **options)
    (tmp_path / "run" / ".chunk-0000001.deadbeef.tmp").write_bytes(b"half a chunk")
    again = explain_dataset(folder / "pairs.csv", tmp_path / "run", model="tiny_model:build", engine="local",
                            **options)
    assert (first.computed, again.computed, again.skipped) == (count, 0, count)
    assert not list((tmp_path / "run").glob("*.tmp"))  # a stopped run's temporary file is swept
    rows = read_results(tmp_path / "run")
    assert rows["forward_passes"][1] < rows["forward_passes"][0]  # chunk 0's pairs share their query's file
    edited = folder / "edited.csv"  # as many rows, other pairs
    lines = (folder / "pairs.csv").read_text().splitlines()
    edited.write_text("\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n")
    with pytest.raises(ValueError, match="holds a run with other settings.*pairs_sha256"):
        explain_dataset(edited, tmp_path / "run", model="tiny_model:build", engine="local", **options)
    (tmp_path / "run" / "run.json").unlink()
    with pytest.raises(ValueError, match="holds chunk files but no run.json"):
        explain_dataset(folder / "pairs.csv", tmp_path / "run", model="tiny_model:build", engine="local", **options)
    with pytest.raises(TypeError, match="model: a dataset run needs"):
        explain_dataset(folder / "pairs.csv", tmp_path / "other", model=lambda device: None, engine="local", **options)
