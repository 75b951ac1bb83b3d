"""Dataset loaders on tiny files the tests write themselves."""

import gzip
import io
import os
import pathlib
import pickle
import re
import shutil
import tarfile
import threading
import time
import tracemalloc
import warnings
import zipfile
import zlib

import numpy as np
import pytest

from sk01loss import datasets
from sk01loss.datasets import (
    image_folder_classes,
    load_cifar10,
    load_image_folder,
    load_mnist,
)


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
    assert y.tolist() == [0, 1, 2, 1] * 5
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


# --- hardening: helpers ----------------------------------------------------------


def idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + np.asarray(array).astype(np.uint8).tobytes()


def png_bytes(pixels, mode=None, fmt="PNG"):
    from PIL import Image

    buffer = io.BytesIO()
    image = pixels if hasattr(pixels, "save") else Image.fromarray(pixels, mode)
    image.save(buffer, fmt)
    return buffer.getvalue()


def png_header_only(width, height):
    """A PNG whose header announces width x height grey pixels, with no real data."""
    def chunk(kind, data):
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


def write_tree(root, files):
    """``files``: {relative path: bytes}; returns root."""
    for name, data in files.items():
        file = root / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
    return root


def write_tar(path, members, mode="w:gz"):
    """``members``: [(name, bytes or TarInfo-type, link target)]."""
    with tarfile.open(path, mode) as archive:
        for name, data, *link in members:
            info = tarfile.TarInfo(name)
            if link:
                info.type, info.linkname = data, link[0]
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def promptly(function, fifo=None, timeout=20):
    """``function()``'s result or exception, failing the test if it does not return
    within ``timeout`` seconds (a reader blocked on ``fifo`` is then released)."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as exc:  # noqa: BLE001
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        if fifo is not None:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            thread.join(5)
        pytest.fail(f"{function} did not return within {timeout} s")
    return outcome


def raises_naming(function, file, *, match=None):
    """Assert ``function()`` raises a ValueError naming ``file``; return its message."""
    with pytest.raises(ValueError, match=match) as info:
        function()
    assert str(file) in str(info.value), str(info.value)
    return str(info.value)


RNG = np.random.default_rng(1)
PIXELS = RNG.integers(0, 256, (4, 5, 3), dtype=np.uint8)


# --- 1. CIFAR-10 batches are unpickled without running code --------------------------

class RunsCode:
    """Unpickles by calling ``function(*args)``: what a crafted batch would do."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def cifar_folder(root, batch_bytes=None, protocol=4):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(exist_ok=True)
    for i, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        batch = {b"batch_label": b"batch", b"labels": [i % 10, (i + 3) % 10],
                 b"data": np.full((2, 3072), 10 * i, dtype=np.uint8),
                 b"filenames": [b"a.png", b"b.png"]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=protocol))
    if batch_bytes is not None:
        (folder / "test_batch").write_bytes(batch_bytes)
    return folder


@pytest.mark.parametrize("payload", ["os.system", "builtins.open", "builtins.exec",
                                     "inside a valid batch"])
def test_load_cifar10_never_runs_code_from_a_batch(tmp_path, payload):
    import builtins

    marker = tmp_path / "marker"
    evil = {"os.system": RunsCode(os.system, f"touch {marker}"),
            "builtins.open": RunsCode(builtins.open, str(marker), "w"),
            "builtins.exec": RunsCode(builtins.exec, f"open({str(marker)!r}, 'w')"),
            "inside a valid batch": {b"data": np.zeros((1, 3072), np.uint8),
                                     b"labels": [RunsCode(os.system, f"touch {marker}")]},
            }[payload]
    folder = cifar_folder(tmp_path, pickle.dumps(evil, protocol=2))
    message = raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch",
                            match="not a CIFAR-10 batch")
    assert not marker.exists()
    assert "refusing" in message and ("system" in message or "open" in message
                                      or "exec" in message)


def test_load_cifar10_refuses_numpy_calls_that_allocate_or_eval(tmp_path):
    # numpy.ndarray called directly would allocate whatever shape the pickle asks
    huge = b"\x80\x02cnumpy\nndarray\nJ\x00\x00\x00\x40\x85\x85R."
    folder = cifar_folder(tmp_path, huge)
    raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch")
    # an object array may hold anything: refused at its dtype
    (folder / "test_batch").write_bytes(pickle.dumps(
        {b"data": np.zeros((1, 3072), object), b"labels": [0]}, protocol=2))
    raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch")
    for module, name in [("numpy", "load"), ("numpy.lib.npyio", "load"), ("pickle", "loads"),
                         ("numpy", "frombuffer"), ("copyreg", "_reconstructor")]:
        crafted = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b")R."
        (folder / "test_batch").write_bytes(crafted)
        message = raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch")
        assert f"{module}.{name}" in message


def py2_batch(data, labels):
    """The bytes of a CIFAR-10 batch as Python 2's cPickle wrote the official ones
    (protocol 2, str as SHORT_BINSTRING/BINSTRING, numpy.core paths)."""
    def s(b):
        return (b"U" + bytes([len(b)]) + b if len(b) < 256
                else b"T" + len(b).to_bytes(4, "little") + b)

    def i(n):
        return b"J" + n.to_bytes(4, "little", signed=True)

    array = (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + i(0) + b"\x85"
             + s(b"b") + b"\x87R(" + i(1) + i(len(data)) + i(3072) + b"\x86"
             + b"cnumpy\ndtype\n" + s(b"u1") + i(0) + i(1) + b"\x87R(" + i(3) + s(b"|")
             + b"NNN" + i(-1) + i(-1) + i(0) + b"tb\x89" + s(data.tobytes()) + b"tb")
    label_list = b"](" + b"".join(i(int(v)) for v in labels) + b"e"
    return (b"\x80\x02}(" + s(b"batch_label") + s(b"testing batch 1 of 1") + s(b"labels")
            + label_list + s(b"data") + array + s(b"filenames") + b"](" + s(b"x.png") * len(labels)
            + b"eu.")


def test_load_cifar10_reads_python2_and_every_pickle_protocol(tmp_path):
    data = RNG.integers(0, 256, (3, 3072), dtype=np.uint8)
    folder = cifar_folder(tmp_path, py2_batch(data, [7, 0, 9]))
    X, y = load_cifar10(folder, "test")
    np.testing.assert_array_equal(X, data.astype(np.float32) / np.float32(255))
    assert y.tolist() == [7, 0, 9] and y.dtype == np.int64
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        for batch in ({b"data": data, b"labels": [7, 0, 9]},
                      {"data": data, "labels": np.array([7, 0, 9], np.int16)},
                      {b"data": data.astype(">u2"), b"labels": [np.int64(7), np.uint8(0), 9]},
                      {b"data": np.asfortranarray(data), b"labels": (7, 0, 9)}):
            (folder / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))
            X, y = load_cifar10(pathlib.Path(folder), "test")
            np.testing.assert_array_equal(X * 255, data)
            assert y.tolist() == [7, 0, 9]


@pytest.mark.parametrize("batch, problem", [
    ([1, 2], "list, not a dict"),
    ({b"data": np.zeros((0, 3072), np.uint8), b"labels": []}, "no images"),
    ({b"data": np.zeros((1, 3072), np.float32), b"labels": [0]}, "not pixels"),
    ({b"data": np.full((1, 3072), 256, np.int16), b"labels": [0]}, "not pixels"),
    ({b"data": np.full((1, 3072), -1, np.int16), b"labels": [0]}, "not pixels"),
    ({b"data": np.zeros((1, 3072), np.uint8), b"labels": [10]}, "labels"),
    ({b"data": np.zeros((1, 3072), np.uint8), b"labels": [-1]}, "labels"),
    ({b"data": np.zeros((1, 3072), np.uint8), b"labels": ["0"]}, "labels"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "expected"),
    ({b"data": np.zeros((1, 3072), np.uint8), b"labels": 0}, "expected"),
    ({b"data": b"\x00" * 3072, b"labels": [0]}, "expected"),
    ({b"labels": [0]}, "no b'data'"),
])
def test_load_cifar10_checks_what_a_batch_holds(tmp_path, batch, problem):
    folder = cifar_folder(tmp_path, pickle.dumps(batch))
    raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch", match=problem)


def test_load_cifar10_tells_archives_and_files_apart(tmp_path):
    import gzip as gz

    good = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0]})
    folder = cifar_folder(tmp_path, gz.compress(good))
    raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch", match="gzip")
    archive = write_tar(tmp_path / "cifar-10-python.tar.gz", [("a", good)])
    raises_naming(lambda: load_cifar10(archive, "test"), archive, match="extracted")
    with pytest.raises(ValueError, match="dtype"):
        load_cifar10(folder, "test", dtype=np.int32)


# --- 2. class discovery: one class list for all splits -------------------------------

def animal_tree(root, empty_test_dog=True):
    files = {}
    for split in ("train", "test"):
        for name in ("cat", "dog", "frog"):
            if split == "test" and name == "dog":
                continue
            files[f"{split}/{name}/0.png"] = png_bytes(PIXELS)
    write_tree(root, files)
    if empty_test_dog:
        (root / "test" / "dog").mkdir()
    return root


@pytest.mark.parametrize("empty_test_dog", [True, False])
def test_empty_or_missing_class_keeps_every_label(tmp_path, empty_test_dog):
    tree = animal_tree(tmp_path / "tree", empty_test_dog)
    _, y_train = load_image_folder(tree, "train")
    assert y_train.tolist() == [0, 1, 2]  # cat, dog, frog
    with pytest.warns(UserWarning, match=r"split 'test' has no images of the class\(es\) 'dog' \(1\)"):
        _, y_test = load_image_folder(tree, "test")
    assert y_test.tolist() == [0, 2]  # frog is 2 in both splits
    assert image_folder_classes(tree) == ["cat", "dog", "frog"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # dog not asked for: nothing to report
        _, y_frog = load_image_folder(tree, "test", classes=[2])
    assert y_frog.tolist() == [2]
    archive = shutil.make_archive(str(tmp_path / "tree"), "gztar", root_dir=tree)
    with pytest.warns(UserWarning, match="'dog'"):
        assert load_image_folder(archive, "test")[1].tolist() == [0, 2]


@pytest.mark.parametrize("name", ["train/../x.png", "train/../../etc/x.png", "/train/cat/0.png",
                                  "train/cat/../../../x.png", "..\\..\\train\\cat\\x.png",
                                  "C:/train/cat/x.png"])
@pytest.mark.parametrize("packing", ["tar.gz", "zip"])
def test_archive_with_path_traversal_is_refused(tmp_path, name, packing):
    members = [("train/cat/0.png", png_bytes(PIXELS)), (name, png_bytes(PIXELS))]
    archive = tmp_path / f"tree.{packing}"
    write_tar(archive, members) if packing == "tar.gz" else write_zip(archive, members)
    raises_naming(lambda: load_image_folder(archive, "train"), archive, match="path traversal")


def test_hidden_entries_are_never_classes_or_images(tmp_path):
    junk = b"\x00\x05\x16\x07 AppleDouble, not an image"
    files = {"train/cat/0.png": png_bytes(PIXELS), "train/dog/0.png": png_bytes(PIXELS[::-1]),
             "train/cat/._0.png": junk, "train/cat/.DS_Store": junk, "train/.DS_Store": junk,
             "train/.ipynb_checkpoints/0.png": png_bytes(PIXELS), "__MACOSX/train/cat/._0.png": junk,
             ".hidden/cat/0.png": png_bytes(PIXELS), "train/cat/.x/1.png": png_bytes(PIXELS)}
    tree = write_tree(tmp_path / "tree", files)
    expected_X, expected_y = load_image_folder(
        write_tree(tmp_path / "clean", {k: v for k, v in files.items() if k.count(".") == 1
                                        and "__MACOSX" not in k}), "train")
    assert expected_y.tolist() == [0, 1]
    zipped = write_zip(tmp_path / "tree.zip", list(files.items()))
    tarred = write_tar(tmp_path / "tree.tgz", [(f"./{k}", v) for k, v in files.items()])
    for path in (tree, zipped, tarred):
        X, y = load_image_folder(path, "train")
        np.testing.assert_array_equal(X, expected_X)
        np.testing.assert_array_equal(y, expected_y)
        assert image_folder_classes(path) == ["cat", "dog"]


def test_split_must_be_one_visible_folder(image_tree):
    for split in ("../tree", "train/cat", "..", ".", "", ".hidden", "__MACOSX"):
        with pytest.raises(ValueError, match="split"):
            load_image_folder(image_tree, split)
    assert load_image_folder(image_tree, "train/")[0].shape == (6, 144)


# --- 3. formats told from the bytes, every PathLike, every Pillow mode ----------------

def test_idx_compression_is_told_from_the_bytes(mnist_dir):
    import gzip as gz

    expected = load_mnist(mnist_dir, "train")
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        gzipped = (mnist_dir / f"{name}.gz").read_bytes()
        (mnist_dir / f"{name}.gz").unlink()
        (mnist_dir / name).write_bytes(gzipped)  # gzip bytes, no .gz
    for X, y in [load_mnist(mnist_dir, "train"), expected]:
        np.testing.assert_array_equal(X, expected[0])
        np.testing.assert_array_equal(y, expected[1])
    raw = gz.decompress((mnist_dir / "train-images-idx3-ubyte").read_bytes())
    (mnist_dir / "train-images-idx3-ubyte.gz").write_bytes(raw)  # raw bytes named .gz
    np.testing.assert_array_equal(load_mnist(str(mnist_dir), "train")[0], expected[0])
    (mnist_dir / "train-images-idx3-ubyte.gz").write_bytes(zipfile_bytes({"x": raw}))
    raises_naming(lambda: load_mnist(mnist_dir, "train"), "train-images", match="zip file")


def zipfile_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_archives_are_told_from_the_bytes_and_any_pathlike_works(image_tree, tmp_path):
    expected = load_image_folder(image_tree, "train")
    gztar = shutil.make_archive(str(tmp_path / "a"), "gztar", root_dir=image_tree)
    zipped = shutil.make_archive(str(tmp_path / "b"), "zip", root_dir=image_tree)
    plain = shutil.make_archive(str(tmp_path / "c"), "tar", root_dir=image_tree)
    xz = shutil.make_archive(str(tmp_path / "d"), "xztar", root_dir=image_tree)
    swapped = {tmp_path / "gz.zip": gztar, tmp_path / "zip.tar.gz": zipped,
               tmp_path / "tar.data": plain, tmp_path / "xz": xz}
    for target, source in swapped.items():
        shutil.copy(source, target)
    for path in [pathlib.Path(gztar), *swapped]:
        X, y = load_image_folder(path, "train")
        np.testing.assert_array_equal(X, expected[0])
        np.testing.assert_array_equal(y, expected[1])
    # an image's format comes from its bytes too: a PNG named .jpg is a PNG
    (image_tree / "train" / "cat" / "0.png").rename(image_tree / "train" / "cat" / "0.JPG")
    np.testing.assert_array_equal(load_image_folder(image_tree, "train")[0], expected[0])


def test_load_mnist_and_cifar_take_pathlike(mnist_dir, tmp_path):
    class Where(os.PathLike):
        def __init__(self, path):
            self.path = path

        def __fspath__(self):
            return str(self.path)

    assert load_mnist(Where(mnist_dir), "test")[0].shape == (5, 784)
    assert load_cifar10(Where(cifar_folder(tmp_path)), "test")[0].shape == (2, 3072)
    with pytest.raises(TypeError, match="os.PathLike"):
        load_image_folder(3, "train")


def one_image_tree(root, data, name="0.png"):
    return write_tree(root, {f"train/only/{name}": data})


def mode_image(mode, values):
    from PIL import Image

    if mode in ("I", "F", "I;16"):
        image = Image.new(mode, (values.shape[1], values.shape[0]))
        image.putdata(values.ravel().tolist())
        return image
    return Image.fromarray(values, mode)


@pytest.mark.parametrize("mode", ["1", "L", "P", "LA", "RGBA", "RGB", "I;16", "I", "F"])
def test_every_pillow_mode_maps_by_value(tmp_path, mode):
    from PIL import Image

    rgb = PIXELS
    if mode == "1":
        bits = (rgb[..., 0] > 127)
        image, expected = Image.fromarray(bits), np.repeat(bits[None], 3, 0).astype(float)
    elif mode == "L":
        image, expected = Image.fromarray(rgb[..., 0]), np.repeat(rgb[None, ..., 0], 3, 0) / 255
    elif mode == "P":
        palette = RNG.integers(0, 256, (256, 3), dtype=np.uint8)
        index = rgb[..., 0]
        image = Image.fromarray(index, "P")
        image.putpalette(palette.ravel().tolist())
        expected = palette[index].transpose(2, 0, 1) / 255
    elif mode == "LA":
        la = np.stack([rgb[..., 0], rgb[..., 1]], axis=-1)
        image, expected = Image.fromarray(la, "LA"), np.repeat(la[None, ..., 0], 3, 0) / 255
    elif mode in ("RGBA", "RGB"):
        rgba = np.concatenate([rgb, rgb[..., :1]], axis=-1)
        image = Image.fromarray(rgba if mode == "RGBA" else rgb, mode)
        expected = rgb.transpose(2, 0, 1) / 255  # alpha dropped, colours as stored
    elif mode in ("I;16", "I"):
        values = RNG.integers(0, 65536, rgb.shape[:2])
        values[0, 0], values[0, 1] = 0, 65535
        image, expected = mode_image(mode, values), np.repeat(values[None], 3, 0) / 65535
    else:
        values = RNG.random(rgb.shape[:2]).astype(np.float32)
        values[0, 0], values[0, 1] = 0, 1
        image, expected = mode_image(mode, values), np.repeat(values[None], 3, 0)
    fmt = "TIFF" if mode in ("I", "F") else "PNG"
    tree = one_image_tree(tmp_path / "tree", png_bytes(image, fmt=fmt), f"0.{fmt.lower()}")
    X, y = load_image_folder(tree, "train", dtype=np.float64)
    assert X.shape == (1, 3 * 4 * 5) and y.tolist() == [0]
    np.testing.assert_allclose(X[0], expected.ravel(), rtol=1e-7, atol=1e-7)
    assert 0 <= X.min() and X.max() <= 1


@pytest.mark.parametrize("mode, value, problem", [
    ("I", 70000, "0-65535"), ("I", -1, "0-65535"), ("F", 1.5, r"\[0, 1\]"),
    ("F", -0.25, r"\[0, 1\]"), ("F", float("nan"), "finite")])
def test_integer_and_float_images_out_of_range_are_refused(tmp_path, mode, value, problem):
    values = np.zeros((3, 3), np.float32 if mode == "F" else np.int64)
    values[1, 1] = value
    tree = one_image_tree(tmp_path / "tree", png_bytes(mode_image(mode, values), fmt="TIFF"),
                          "0.tif")
    raises_naming(lambda: load_image_folder(tree, "train"), tree / "train/only/0.tif",
                  match=problem)


def test_only_plain_image_formats_are_decoded(tmp_path):
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 4 4\n0 0 moveto\nshowpage\n"
    tree = one_image_tree(tmp_path / "tree", eps)
    raises_naming(lambda: load_image_folder(tree, "train"), tree / "train/only/0.png",
                  match="not a readable image")


# --- 4. unreadable or hostile files: a ValueError naming the file, promptly -------------

def test_broken_archives_raise_value_errors(image_tree, tmp_path):
    gztar = pathlib.Path(shutil.make_archive(str(tmp_path / "t"), "gztar", root_dir=image_tree))
    zipped = pathlib.Path(shutil.make_archive(str(tmp_path / "z"), "zip", root_dir=image_tree))
    stored = zipfile_bytes({"train/a/0.png": png_bytes(PIXELS)})  # bad CRC once changed
    cases = {"truncated.tar.gz": gztar.read_bytes()[:-100],
             "half.tar.gz": gztar.read_bytes()[: gztar.stat().st_size // 2],
             "garbage.tar.gz": b"this is not an archive" * 40,
             "empty.tar.gz": b"",
             "bad.zip": b"PK\x03\x04" + b"\x00" * 100,
             "truncated.zip": zipped.read_bytes()[:-30],
             "corrupt.zip": stored.replace(b"IDAT", b"IDAX")}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        raises_naming(lambda name=name: load_image_folder(tmp_path / name, "train"),
                      tmp_path / name)


def test_decompression_bomb_image_is_refused_promptly(tmp_path):
    tree = one_image_tree(tmp_path / "tree", png_header_only(15000, 15000))
    outcome = promptly(lambda: load_image_folder(tree, "train"), timeout=10)
    assert isinstance(outcome.get("error"), ValueError), outcome
    assert "0.png" in str(outcome["error"]) and "MAX_IMAGE_PIXELS" in str(outcome["error"])


def test_image_limits_are_settings(tmp_path, monkeypatch):
    tree = one_image_tree(tmp_path / "tree", png_bytes(PIXELS))
    monkeypatch.setattr(datasets, "MAX_IMAGE_PIXELS", 19)
    raises_naming(lambda: load_image_folder(tree, "train"), "0.png", match="MAX_IMAGE_PIXELS")
    monkeypatch.setattr(datasets, "MAX_IMAGE_PIXELS", 20)
    assert load_image_folder(tree, "train")[0].shape == (1, 60)
    monkeypatch.setattr(datasets, "MAX_FILE_BYTES", 50)
    for path in (tree, write_zip(tmp_path / "t.zip", [("train/a/0.png", png_bytes(PIXELS))]),
                 write_tar(tmp_path / "t.tar", [("train/a/0.png", png_bytes(PIXELS))], "w")):
        raises_naming(lambda path=path: load_image_folder(path, "train"), path,
                      match="MAX_FILE_BYTES")
    monkeypatch.setattr(datasets, "MAX_ARCHIVE_MEMBERS", 2)
    many = write_tar(tmp_path / "many.tar", [(f"train/a/{i}.png", b"") for i in range(3)], "w")
    raises_naming(lambda: load_image_folder(many, "train"), many, match="MAX_ARCHIVE_MEMBERS")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipes_are_never_opened(tmp_path, mnist_dir):
    tree = one_image_tree(tmp_path / "tree", png_bytes(PIXELS))
    cases = []
    fifo = tree / "train" / "only" / "x.png"
    os.mkfifo(fifo)
    cases.append((fifo, lambda: load_image_folder(tree, "train")))
    archive = tmp_path / "x.tar.gz"
    os.mkfifo(archive)
    cases.append((archive, lambda: load_image_folder(archive, "train")))
    labels = mnist_dir / "t10k-labels-idx1-ubyte.gz"
    labels.unlink()
    os.mkfifo(labels)
    cases.append((labels, lambda: load_mnist(mnist_dir, "test")))
    folder = cifar_folder(tmp_path)
    (folder / "test_batch").unlink()
    os.mkfifo(folder / "test_batch")
    cases.append((folder / "test_batch", lambda: load_cifar10(folder, "test")))
    for fifo, load in cases:
        outcome = promptly(load, fifo=fifo, timeout=10)
        assert isinstance(outcome.get("error"), ValueError), outcome
        assert str(fifo) in str(outcome["error"]) and "named pipe" in str(outcome["error"])


def test_links_and_special_members_of_archives_are_refused(tmp_path):
    png = png_bytes(PIXELS)
    tar = write_tar(tmp_path / "links.tar.gz", [("train/a/0.png", png),
                                                ("train/a/1.png", tarfile.SYMTYPE, "/etc/passwd")])
    raises_naming(lambda: load_image_folder(tar, "train"), "train/a/1.png", match="regular")
    hard = write_tar(tmp_path / "hard.tar", [("train/a/0.png", png),
                                             ("train/a/1.png", tarfile.LNKTYPE, "train/a/0.png")],
                     "w")
    raises_naming(lambda: load_image_folder(hard, "train"), "train/a/1.png", match="regular")
    info = zipfile.ZipInfo("train/a/1.png")
    info.create_system, info.external_attr = 3, (0o120777 << 16)  # a symbolic link
    with zipfile.ZipFile(tmp_path / "links.zip", "w") as archive:
        archive.writestr("train/a/0.png", png)
        archive.writestr(info, "/etc/passwd")
    raises_naming(lambda: load_image_folder(tmp_path / "links.zip", "train"), "train/a/1.png",
                  match="regular")
    # the links of a split not loaded do not matter
    elsewhere = write_tar(tmp_path / "elsewhere.tar.gz", [
        ("train/a/0.png", png), ("test/a/1.png", tarfile.SYMTYPE, "/etc/passwd")])
    assert load_image_folder(elsewhere, "train")[1].tolist() == [0]


def test_tar_member_with_a_negative_size_is_refused_promptly(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:", format=tarfile.GNU_FORMAT) as archive:
        info = tarfile.TarInfo("train/a/0.png")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"abcd"))
    raw = bytearray(buffer.getvalue())
    raw[124:136] = b"\xff" * 11 + b"\x00"  # base-256 size: minus 256
    raw[148:156] = b" " * 8
    raw[148:156] = b"%06o\x00 " % sum(raw[:512])
    (tmp_path / "neg.tar").write_bytes(bytes(raw))
    outcome = promptly(lambda: load_image_folder(tmp_path / "neg.tar", "train"), timeout=10)
    assert isinstance(outcome.get("error"), ValueError), outcome
    assert "neg.tar" in str(outcome["error"])


def test_encrypted_zip_member_is_a_value_error(tmp_path):
    data = bytearray(zipfile_bytes({"train/a/0.png": png_bytes(PIXELS)}))
    data[6] |= 1  # local header: encrypted
    central = data.rindex(b"PK\x01\x02")
    data[central + 8] |= 1  # central directory: encrypted
    (tmp_path / "locked.zip").write_bytes(bytes(data))
    raises_naming(lambda: load_image_folder(tmp_path / "locked.zip", "train"), "locked.zip",
                  match="encrypted")


@pytest.mark.parametrize("problem, images_header, images_payload, match", [
    ("zero items", (2051, 0, 28, 28), b"", "no data"),
    ("zero rows", (2051, 3, 0, 28), b"", "no data"),
    ("absurd count", (2051, 2 ** 32 - 1, 28, 28), b"", "MAX_FILE_BYTES"),
    ("declared more than the payload", (2051, 3, 28, 28), bytes(100), "truncated"),
    ("declared less than the payload", (2051, 3, 2, 2), bytes(100), "trailing"),
    ("wrong magic", (2049, 3, 28, 28), bytes(3 * 784), "magic number 2049"),
    ("no header", (2051,), b"", "truncated"),
], ids=lambda value: value if isinstance(value, str) else "")
@pytest.mark.parametrize("compress", [False, True])
def test_idx_headers_are_checked(mnist_dir, problem, images_header, images_payload, match,
                                 compress):
    import gzip as gz

    data = b"".join(n.to_bytes(4, "big") for n in images_header) + images_payload
    if len(images_header) > 1 and 0 < images_header[1] < 100:  # as many labels
        (mnist_dir / "t10k-labels-idx1-ubyte.gz").write_bytes(
            idx_bytes(np.arange(images_header[1]), 2049))
    (mnist_dir / "t10k-images-idx3-ubyte.gz").write_bytes(gz.compress(data) if compress else data)
    raises_naming(lambda: load_mnist(mnist_dir, "test"), mnist_dir / "t10k-images-idx3-ubyte.gz",
                  match=match)


def test_idx_counts_are_compared_before_any_payload(mnist_dir):
    labels = mnist_dir / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(idx_bytes(np.arange(4), 2049))
    message = raises_naming(lambda: load_mnist(mnist_dir, "test"), labels, match="5 images")
    assert "4 labels" in message


@pytest.fixture(scope="module")
def gzip_bomb():
    """261 KB of gzip that inflates to 256 MiB of zero bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    return b"".join([compressor.compress(chunk) for _ in range(256)] + [compressor.flush()])


def bounded(function, limit=16 << 20):
    """``function()``'s ValueError message, asserting it came within ``limit`` bytes of
    Python/NumPy allocations."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            function()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit, f"{peak} bytes allocated"
    return str(info.value)


def test_gzip_bomb_is_not_inflated(mnist_dir, gzip_bomb):
    images = mnist_dir / "t10k-images-idx3-ubyte.gz"
    assert len(gzip_bomb) < 300_000
    images.write_bytes(gzip_bomb)  # its header: magic number 0
    assert "magic number 0" in bounded(lambda: load_mnist(mnist_dir, "test"))
    header = idx_bytes(np.zeros((0, 28, 28)), 2051)[:4] + b"".join(
        n.to_bytes(4, "big") for n in (400_000, 28, 28))
    # a right header declaring 300 MB, then zeros: more than the 261 KB can hold
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    images.write_bytes(compressor.compress(header) + gzip_bomb[10:])  # not even valid gzip
    bounded(lambda: load_mnist(mnist_dir, "test"))
    images.write_bytes(gzip.compress(header) + gzip_bomb)
    assert "cannot hold" in bounded(lambda: load_mnist(mnist_dir, "test"))
    # a right header declaring 5 images (as the labels say), then 256 MiB of zeros:
    # read up to the declared size only
    header = idx_bytes(np.zeros((5, 28, 28)), 2051)[:16]
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    images.write_bytes(b"".join([compressor.compress(header)]
                                + [compressor.compress(chunk) for _ in range(256)]
                                + [compressor.flush()]))
    assert "trailing" in bounded(lambda: load_mnist(mnist_dir, "test"))


def test_cifar_batch_limits(tmp_path, monkeypatch):
    folder = cifar_folder(tmp_path)
    monkeypatch.setattr(datasets, "MAX_FILE_BYTES", 1000)
    raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch",
                  match="MAX_FILE_BYTES")


@pytest.mark.parametrize("opcode", [pickle.BINBYTES8, pickle.BYTEARRAY8, pickle.BINUNICODE8,
                                    pickle.FRAME])
def test_cifar_pickle_lengths_are_not_trusted(tmp_path, opcode):
    # 12 bytes claiming 8 GiB: the C unpickler would allocate them before reading
    crafted = b"\x80\x05" + opcode + (2 ** 33).to_bytes(8, "little") + b"abc."
    folder = cifar_folder(tmp_path, crafted)
    assert "test_batch" in bounded(lambda: load_cifar10(folder, "test"))


@pytest.mark.parametrize("bad", [0, -3, 2.5, float("nan"), True, "4"])
def test_size_and_crop_are_positive_integers(image_tree, bad):
    for name in ("size", "crop"):
        with pytest.raises(ValueError, match=f"{name} must be a positive int"):
            load_image_folder(image_tree, "train", **{name: bad})
    assert load_image_folder(image_tree, "train", size=4.0, crop=np.int64(4))[0].shape == (6, 48)


# --- 5. amplification: work and memory follow the file's size --------------------------

class Alias:
    """Pickles as ``target``, but hashes by identity: lets a test pickle a dict whose
    key is a tuple that would take 2**60 steps to hash (building the real dict would)."""

    def __init__(self, target):
        self.target = target


class AliasPickler(pickle._Pickler):
    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, Alias):
            obj = obj.target
        return super().save(obj, save_persistent_id)


def alias_dumps(obj, protocol=2):
    buffer = io.BytesIO()
    AliasPickler(buffer, protocol).dump(obj)
    return buffer.getvalue()


def shared(depth, leaf=0, kind=list):
    """``leaf`` nested ``depth`` times, each level holding the level below twice: a few
    bytes of pickle (one memo reference a level) that stand for 2**depth leaves."""
    value = kind([leaf])
    for _ in range(depth):
        value = kind([value, value])
    return value


def in_child(function, *, seconds, headroom=1 << 30):
    """``function()`` run in a forked child, so that a regressed loader can neither hang
    the tests (a bomb may hold the GIL in C code, past any thread timeout) nor take
    the machine's memory: the child may grow by ``headroom`` bytes at most (an
    address-space limit) and is killed after ``seconds``. Returns the type name and
    message of what it raised ("" and "" if nothing) and its peak of Python/NumPy
    allocations (tracemalloc). Where there is no fork, runs it in a thread."""
    if not hasattr(os, "fork"):
        tracemalloc.start()
        try:
            outcome = promptly(function, timeout=seconds)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        error = outcome.get("error")
        return (type(error).__name__, str(error)) if error else ("", ""), peak
    import resource
    import select
    import signal

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            try:
                with open("/proc/self/statm") as statm:
                    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
                hard = resource.getrlimit(resource.RLIMIT_AS)[1]
                limit = used + headroom
                if hard != resource.RLIM_INFINITY:
                    limit = min(limit, hard)
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
            except (OSError, ValueError):  # no /proc: the timeout still holds
                pass
            tracemalloc.start()
            try:
                function()
                result = ("", "")
            except BaseException as exc:  # noqa: BLE001 (reported to the parent)
                result = (type(exc).__name__, str(exc))
            report = pickle.dumps((result, tracemalloc.get_traced_memory()[1]))
            while report:
                report = report[os.write(write_end, report):]
        finally:
            os._exit(0)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read_end], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"{function} did not return within {seconds} s")
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        status = os.waitpid(pid, 0)[1]
    assert chunks, f"the child died without a report (wait status {status})"
    return pickle.loads(b"".join(chunks))


def refused_promptly(load, file, *, seconds=5, memory=16 << 20):
    """Assert ``load()`` raises a ValueError naming ``file`` within ``seconds`` and
    ``memory`` bytes of Python/NumPy allocations; return its message."""
    (kind, message), peak = in_child(load, seconds=seconds)
    assert kind == "ValueError", f"{kind}: {message}"
    assert str(file) in message, message
    assert peak < memory, f"{peak} bytes allocated"
    return message


ROW = np.zeros((1, 3072), np.uint8)


@pytest.mark.parametrize("batch, problem", [
    # 201 bytes standing for 2**26 elements, which numpy.asarray used to expand
    ({b"data": shared(26), b"labels": [0]}, "data of type list"),
    ({b"data": shared(60), b"labels": [0]}, "data of type list"),
    ({b"data": ROW, b"labels": shared(26)}, "2 labels"),
    ({b"data": ROW, b"labels": [shared(26)]}, "a list at position 0"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, shared(60, kind=tuple)]},
     "a tuple at position 1"),
    ({b"data": ROW, b"labels": shared(40, kind=tuple)}, "labels of type tuple|2 labels"),
    # 807 KB: 200,000 references to one row of 3072 ints, 4.58 GiB once expanded
    ({b"data": [list(range(3072))] * 200_000, b"labels": [0] * 200_000}, "data of type list"),
    ({b"data": ROW, b"labels": [list(range(3072))] * 200_000}, "200000 labels"),
], ids=["nested-26", "nested-60", "labels-nested", "label-nested", "label-tuple-60",
        "labels-tuple-40", "row-200000", "labels-rows-200000"])
def test_cifar_shared_references_are_not_expanded(tmp_path, batch, problem):
    folder = cifar_folder(tmp_path, pickle.dumps(batch, protocol=2))
    assert (folder / "test_batch").stat().st_size < 1 << 20
    message = refused_promptly(lambda: load_cifar10(folder, "test"), folder / "test_batch")
    assert re.search(problem, message), message


def test_cifar_reported_201_byte_bomb(tmp_path):
    # the fuzzer's file: b"data" a list nesting one sublist twice at each of 26 levels
    raw = pickle.dumps({b"data": shared(26), b"labels": [0]}, protocol=4)
    folder = cifar_folder(tmp_path, raw)
    assert len(raw) < 256
    assert "expected a NumPy array" in refused_promptly(lambda: load_cifar10(folder, "test"),
                                                        folder / "test_batch")


@pytest.mark.parametrize("where", ["dict key", "dict key of data", "set", "frozenset",
                                   "dict opcode"])
def test_cifar_keys_that_take_forever_to_hash_are_refused(tmp_path, where):
    key = Alias(shared(60, kind=tuple))  # hashing the tuple: 2**60 steps
    batch = {b"data": ROW, b"labels": [0]}
    if where == "dict key":
        batch[key] = 1
    elif where == "dict key of data":
        batch[b"data"] = {key: ROW}
    elif where == "set":
        batch[b"extra"] = {key}
    elif where == "frozenset":
        batch[b"extra"] = frozenset([key])
    raw = alias_dumps(batch, protocol=4 if "set" in where else 2)
    if where == "dict opcode":  # DICT builds the dict from the items after a MARK
        raw = alias_dumps([b"data", ROW, b"labels", [0], key, 1], protocol=2)
        assert raw[:6] == b"\x80\x02]q\x00(" and raw[-2:] == b"e."
        raw = b"\x80\x02(" + raw[6:-2] + b"d."
    folder = cifar_folder(tmp_path, raw)
    message = refused_promptly(lambda: load_cifar10(folder, "test"), folder / "test_batch")
    assert "dict key or set element of type tuple" in message


DTYPE_U1 = b"cnumpy\ndtype\nX\x02\x00\x00\x00u1\x85R"  # numpy.dtype("u1")


def _stand_in_calls(global_, args_opcodes, calls):
    """A protocol-2 pickle that calls the stand-in ``global_`` ``calls`` times on one
    memoized argument tuple (memo 1), appending each result to a list."""
    head = b"\x80\x02]c" + global_ + b"q\x000" + args_opcodes + b"q\x010"
    return head + b"(" + b"h\x00h\x01R" * calls + b"e."


def test_cifar_stand_ins_build_no_more_than_the_file_holds(tmp_path):
    folder = cifar_folder(tmp_path)
    big = 1 << 20
    # one memoized 1 MB str, latin-1 encoded 4000 times: 4 GB from 1 MB
    text = b"X" + big.to_bytes(4, "little") + b"x" * big
    latin1 = _stand_in_calls(b"_codecs\nencode\n", text + b"X\x06\x00\x00\x00latin1\x86", 4000)
    # one memoized bytearray of 1 MB, made an array 4000 times
    dtype = DTYPE_U1
    shape = b"J" + (big // 3072 + 1).to_bytes(4, "little") + b"M\x00\x0c\x86"
    payload = (big // 3072 + 1) * 3072
    frombuffer = (b"\x80\x05]cnumpy._core.numeric\n_frombuffer\nq\x000(\x96"
                  + payload.to_bytes(8, "little") + bytes(payload) + dtype + shape
                  + b"X\x01\x00\x00\x00Ctq\x010(" + b"h\x00h\x01R" * 4000 + b"e.")
    # one array whose state (1 MB of bytes) is set again 4000 times
    array = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"
             b"C\x01b\x87R")
    state = (b"(K\x01" + shape + dtype + b"\x89B" + payload.to_bytes(4, "little")
             + bytes(payload) + b"tq\x05")
    rebuild = array + state + b"b" + b"h\x05b" * 4000 + b"."
    for raw, kind in [(latin1, "latin-1"), (frombuffer, "array"), (rebuild, "array")]:
        (folder / "test_batch").write_bytes(raw)
        message = refused_promptly(lambda: load_cifar10(folder, "test"), folder / "test_batch",
                                   memory=16 << 20)
        assert f"builds more {kind} bytes than the file holds" in message


def test_cifar_pickle_cannot_rewrite_the_stand_ins(tmp_path):
    poison_token = (b"\x80\x02cnumpy\nndarray\nN}X\x04\x00\x00\x00nameX\x08\x00\x00\x00"
                    b"poisoneds\x86b.")
    poison_function = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\n"
                       b"}X\x06\x00\x00\x00markerK\x01sb.")
    folder = cifar_folder(tmp_path)
    for raw in (poison_token, poison_function):
        (folder / "test_batch").write_bytes(raw)
        message = raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch")
        assert "sets the state of a" in message
    assert datasets._NDARRAY.name == "numpy.ndarray"
    assert not hasattr(datasets._reconstruct, "marker")
    assert load_cifar10(cifar_folder(tmp_path), "test")[1].tolist() == [5, 8]  # still works


def test_cifar_hostile_shapes_and_orders_cost_nothing(tmp_path):
    def frombuffer(shape, order=b"X\x01\x00\x00\x00C"):
        return (b"\x80\x02cnumpy._core.numeric\n_frombuffer\n(C\x00" + DTYPE_U1 + shape
                + order + b"tR.")

    # 200,000 dimensions of 2**40: their product alone is quadratic work
    many = b"(\x8a\x06\x00\x00\x00\x00\x00\x01q\x01" + b"h\x01" * 200_000 + b"t"
    # a shape, or an order, that is a shared nested tuple: its repr is 2**40 long
    nested = pickle.dumps(shared(40, kind=tuple), 2)[2:-1]
    folder = cifar_folder(tmp_path)
    for raw in (frombuffer(many), frombuffer(nested), frombuffer(b"K\x00\x85", nested)):
        (folder / "test_batch").write_bytes(raw)
        message = refused_promptly(lambda: load_cifar10(folder, "test"), folder / "test_batch")
        assert "an array of shape" in message or "an array of order a tuple" in message


# --- 6. trailing bytes, duplicates, size and classes ------------------------------------

@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_cifar_trailing_bytes_are_refused(tmp_path, protocol):
    good = pickle.dumps({b"data": ROW, b"labels": [3]}, protocol=protocol)
    folder = cifar_folder(tmp_path, good)
    assert load_cifar10(folder, "test")[1].tolist() == [3]
    for tail in (b"\x00", b".", good, b"\n" * 1000):
        (folder / "test_batch").write_bytes(good + tail)
        message = raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch",
                                match="trailing bytes")
        assert f"{len(tail)} bytes after" in message


def test_cifar_trailing_bytes_inside_the_last_frame_are_refused(tmp_path):
    good = pickle.dumps({b"data": ROW, b"labels": [3]}, protocol=4)
    length = int.from_bytes(good[3:11], "little")
    assert good[2:3] == pickle.FRAME and 11 + length == len(good)  # one frame, to STOP
    grown = good[:3] + (length + 3).to_bytes(8, "little") + good[11:] + b"abc"
    folder = cifar_folder(tmp_path, grown)
    raises_naming(lambda: load_cifar10(folder, "test"), folder / "test_batch",
                  match="3 bytes after")


@pytest.mark.parametrize("packing", ["zip", "tar", "tar.gz"])
@pytest.mark.parametrize("second", ["train/a/0.png", "./train/a/0.png", "train//a/0.png",
                                    "test/a/0.png"])
@pytest.mark.parametrize("same_bytes", [True, False])
def test_archives_with_duplicate_members_are_refused(tmp_path, packing, second, same_bytes):
    one, other = png_bytes(PIXELS), png_bytes(255 - PIXELS)
    first = "test/a/0.png" if second == "test/a/0.png" else "train/a/0.png"
    members = [(first, one), ("train/b/1.png", one), (second, one if same_bytes else other)]
    archive = tmp_path / f"dup.{packing}"
    if packing == "zip":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
            write_zip(archive, members)
    else:
        write_tar(archive, members, "w" if packing == "tar" else "w:gz")
    for load in (lambda: load_image_folder(archive, "train"),
                 lambda: image_folder_classes(archive)):
        message = raises_naming(load, archive, match="twice")
        assert repr(first) in message and repr(second) in message


def test_archive_duplicates_that_are_no_images_do_not_matter(tmp_path):
    members = [("train/a/0.png", png_bytes(PIXELS)), ("README", b"1"), ("README", b"2"),
               ("train/a/", b""), ("train/a/", b"")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        archive = write_zip(tmp_path / "x.zip", members)
    assert load_image_folder(archive, "train")[0].shape == (1, 60)


@pytest.mark.parametrize("name", ["size", "crop"])
@pytest.mark.parametrize("bad", [10 ** 9, 8193, 10 ** 400, 1e300, np.int64(2 ** 62)],
                         ids=["1e9", "8193", "1e400", "1e300 float", "2**62 int64"])
def test_size_and_crop_beyond_the_pixel_limit_blame_the_parameter(image_tree, name, bad):
    outcome = promptly(lambda: load_image_folder(image_tree, "train", **{name: bad}), timeout=5)
    error = outcome.get("error")
    assert isinstance(error, ValueError), outcome
    assert str(error).startswith(f"{name} must be at most 8192"), str(error)
    assert "MAX_IMAGE_PIXELS" in str(error) and ".png" not in str(error)


def test_size_and_crop_limits_follow_max_image_pixels(image_tree, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_IMAGE_PIXELS", 50)  # the images: 8x6, 48 pixels
    with pytest.raises(ValueError, match="crop must be at most 7"):
        load_image_folder(image_tree, "train", crop=8)
    assert load_image_folder(image_tree, "train", crop=7)[0].shape == (6, 3 * 7 * 7)
    # size 7 resizes the 8x6 images to 9x7: 63 pixels, more than 50
    raises_naming(lambda: load_image_folder(image_tree, "train", size=7), "0.png",
                  match="8x6 resized to 9x7 by size=7")


def test_a_resize_beyond_the_pixel_limit_blames_size_promptly(tmp_path):
    # a 64x1 strip with size=4096: 262144x4096 pixels, which Pillow would allocate
    tree = one_image_tree(tmp_path / "tree", png_bytes(np.zeros((1, 64, 3), np.uint8)))
    message = refused_promptly(lambda: load_image_folder(tree, "train", size=4096), "0.png")
    assert "262144x4096 by size=4096" in message and "MAX_IMAGE_PIXELS" in message


@pytest.mark.parametrize("classes", [["cat"], "cat", [0, "ant"], [0.0], [True], 0, [[0]]])
def test_classes_are_label_indices(image_tree, mnist_dir, tmp_path, classes):
    with pytest.raises(TypeError, match="classes must be") as info:
        load_image_folder(image_tree, "train", classes=classes)
    assert "image_folder_classes(path).index(name)" in str(info.value)
    with pytest.raises(TypeError, match="classes must be"):
        load_mnist(mnist_dir, "test", classes=classes)
    with pytest.raises(TypeError, match="classes must be"):
        load_cifar10(cifar_folder(tmp_path), "test", classes=classes)


def test_classes_may_be_any_iterable_of_ints(image_tree):
    names = image_folder_classes(image_tree)
    wanted = names.index("cat")
    for classes in ([wanted], (wanted,), np.array([wanted]), (c for c in [wanted]),
                    {wanted}, [np.uint8(wanted)]):
        _, y = load_image_folder(image_tree, "train", classes=classes)
        assert y.tolist() == [wanted, wanted]


def test_messages_use_an_before_image(tmp_path):
    tree = one_image_tree(tmp_path / "tree", png_bytes(PIXELS))
    os.symlink(os.devnull, tree / "train" / "only" / "1.png")
    message = raises_naming(lambda: load_image_folder(tree, "train"), "1.png",
                            match="character device")
    assert "an image must be a plain file" in message
    os.symlink(os.devnull, tmp_path / "link.zip")
    message = raises_naming(lambda: load_image_folder(tmp_path / "link.zip", "train"),
                            "link.zip")
    assert "an image folder or archive must be a plain file" in message
