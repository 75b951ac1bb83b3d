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
        images = rng.integers(0, 256, (n, 28, 28))
        write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", images, 2051)
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


def test_load_cifar10_batches(tmp_path):
    import pickle

    from sk01loss.datasets import load_cifar10

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                 b"labels": [0, 1, 2, 1]}
        (folder / name).write_bytes(pickle.dumps(batch))
    X, y = load_cifar10(tmp_path, "train")
    assert X.shape == (20, 3072) and X.dtype == np.float32 and X.max() <= 1
    X01, y01 = load_cifar10(folder, "test", classes=[0, 1])
    assert X01.shape == (3, 3072) and list(y01) == [0, 1, 1]
    wrong_width = {b"data": np.zeros((2, 100)), b"labels": [0, 1]}
    (folder / "test_batch").write_bytes(pickle.dumps(wrong_width))
    with pytest.raises(ValueError, match="test_batch.*3072"):
        load_cifar10(folder, "test")
    (folder / "test_batch").write_bytes(b"\x80\x04 truncated")
    with pytest.raises(ValueError, match="test_batch"):
        load_cifar10(folder, "test")
    (folder / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        load_cifar10(folder, "train")


@pytest.fixture
def image_tree(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label, name in enumerate(["cat", "ant", "dog"]):
            (tmp_path / "tree" / split / name).mkdir(parents=True)
            for i in range(2):
                pixels = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(tmp_path / "tree" / split / name / f"{i}.png")
    return tmp_path / "tree"


@pytest.mark.parametrize("packing", ["directory", "tar.gz", "zip"])
def test_load_image_folder_from_directory_or_archive(image_tree, tmp_path, packing):
    import shutil

    from PIL import Image

    from sk01loss.datasets import load_image_folder

    path = str(image_tree)
    if packing != "directory":
        archive_format = "gztar" if packing == "tar.gz" else "zip"
        path = shutil.make_archive(str(tmp_path / "tree"), archive_format, root_dir=image_tree)
    X, y = load_image_folder(path, "train")
    assert X.shape == (6, 3 * 6 * 8) and X.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 0, 1, 1, 2, 2])  # ant, cat, dog in sorted order
    first = np.asarray(Image.open(image_tree / "train" / "ant" / "0.png"), dtype=np.float32) / 255
    np.testing.assert_allclose(X[0], first.transpose(2, 0, 1).ravel())  # channel-major
    X2, y2 = load_image_folder(path, "test", classes=[2], size=4, crop=4)
    assert X2.shape == (2, 3 * 4 * 4) and set(y2) == {2}


def test_load_image_folder_errors(image_tree, tmp_path):
    from sk01loss.datasets import load_image_folder

    (image_tree / "train" / "cat" / "bad.jpg").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="bad.jpg"):
        load_image_folder(image_tree, "train")
    with pytest.raises(FileNotFoundError, match="validation"):
        load_image_folder(image_tree, "validation")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_image_folder(tmp_path / "nowhere.tar.gz")
