"""Dataset loaders on tiny files the tests write themselves."""

import gzip

import numpy as np
import pytest

from sk01loss.datasets import load_mnist


def write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def mnist_dir(tmp_path):
    rng = np.random.default_rng(0)
    for split, n in [("train", 12), ("t10k", 5)]:
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)), 2051)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 3, 2049)
    return tmp_path


def test_load_mnist_scales_flattens_and_filters(mnist_dir):
    X, y = load_mnist(mnist_dir, "train")
    assert X.shape == (12, 784) and X.dtype == np.float32
    assert 0 <= X.min() and X.max() <= 1
    assert X[0, 29] * 255 == pytest.approx(round(X[0, 29] * 255))
    np.testing.assert_array_equal(y, np.arange(12) % 3)
    X01, y01 = load_mnist(mnist_dir, "test", classes=[0, 1], dtype=np.float64)
    assert X01.dtype == np.float64 and set(y01) == {0, 1} and len(y01) == 4


def test_load_mnist_errors_name_the_file(mnist_dir):
    with pytest.raises(FileNotFoundError, match="train-images"):
        load_mnist(mnist_dir / "missing", "train")
    write_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz", np.arange(5), 2051)
    with pytest.raises(ValueError, match="t10k-labels.*magic number 2051"):
        load_mnist(mnist_dir, "test")
    with gzip.open(mnist_dir / "train-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(b"".join(n.to_bytes(4, "big") for n in (2051, 12, 28, 28)) + bytes(20))
    with pytest.raises(ValueError, match="train-images.*truncated"):
        load_mnist(mnist_dir, "train")
    (mnist_dir / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="train-images"):
        load_mnist(mnist_dir, "train")
    with pytest.raises(ValueError, match="split"):
        load_mnist(mnist_dir, "validation")
