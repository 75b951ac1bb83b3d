"""Smoke tests of the benchmarks CLI on a tiny generated MNIST-format dataset, so
the experiments cannot rot; the real runs are not part of the test suite."""

import gzip
import json

import numpy as np
import pytest

from benchmarks.__main__ import main


def write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    """Ten classes of 28x28 images, each class a bright block in its own place."""
    path = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    for split, n in [("train", 120), ("t10k", 40)]:
        labels = np.arange(n) % 10
        images = rng.integers(0, 60, (n, 28, 28))
        for i, label in enumerate(labels):
            images[i, 2 * label:2 * label + 6, 4:20] += 180
        write_idx(path / f"{split}-images-idx3-ubyte.gz", images, 2051)
        write_idx(path / f"{split}-labels-idx1-ubyte.gz", labels, 2049)
    return path


def test_table1_quick_runs_and_resumes(tiny_mnist, tmp_path, capsys):
    args = ["table1", "--quick", "--data-dir", str(tiny_mnist), "--out", str(tmp_path),
            "--votes", "2", "--n-jobs", "1"]
    main(args)
    folder = tmp_path / "table1" / "mnist-quick"
    table = (folder / "table1.md").read_text()
    for model in ("svm", "scd01", "mlp", "mlp01"):
        assert f"| {model} |" in table
    records = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
    assert len(records) == 8
    assert all(0 <= r["single"] <= 1 for r in records if r["key"].endswith("accuracy"))
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["seed"] == 2018 and "numba" in meta["environment"]
    capsys.readouterr()
    main(args + ["--resume"])  # everything is on disk: nothing is fitted again
    assert "fitting" not in capsys.readouterr().out
    assert len((folder / "results.jsonl").read_text().splitlines()) == 8
