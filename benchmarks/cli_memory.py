"""Peak memory and wall time of ``axiomatic-search explain`` on two 12-megapixel JPEGs.

Writes two 3000 × 4000 JPEGs (chelsea and its mirror, upscaled), runs the command line in a child
process with its defaults, and reports the child's peak resident memory.

    python benchmarks/cli_memory.py [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data, transform


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        photo = data.chelsea()
        for name, image in (("query.jpg", photo), ("result.jpg", photo[:, ::-1])):
            large = (transform.resize(image, (3000, 4000, 3)) * 255).astype(np.uint8)
            Image.fromarray(large).save(folder / name, quality=92)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "axiomatic_search", "explain", str(folder / "query.jpg"),
                        str(folder / "result.jpg"), "--out", str(folder / "out"), "--quiet"], check=True)
        seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    text = (f"axiomatic-search explain on two 3000×4000 JPEGs, default settings: peak resident memory "
            f"{peak_kib * 1024 / 1e9:.2f} GB ({peak_kib / 1024**2:.2f} GiB), {seconds:.0f} s wall\n")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cli_memory.md").write_text(text)
    print(text)
    return text


if __name__ == "__main__":
    main()
