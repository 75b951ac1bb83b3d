"""Property-based tests of the dataset loaders on random and corrupted files.

The invariant, for every loader: a call gives either a valid result (2-D float32
pixels in [0, 1], int64 labels in range, as many as rows) or a ``ValueError`` that
names the file, promptly and within bounded memory; never another exception or a
hang. Where the files are well formed, the result is also checked against what the
files hold. ``pytest --hypothesis-profile=long`` runs many more examples.
"""

import gzip
import io
import math
import pathlib
import pickle
import shutil
import tarfile
import tempfile
import threading
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from sk01loss.datasets import (
    MAX_IMAGE_PIXELS,
    load_cifar10,
    load_image_folder,
    load_mnist,
)

from .test_datasets import Alias, alias_dumps
from .test_datasets import in_child as _in_child

Image = pytest.importorskip("PIL.Image")

TIMEOUT = 30  # seconds a single load may take on tiny files before we call it a hang
MEMORY = 32 << 20  # bytes of Python/NumPy allocations a load of tiny files may make


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def fresh(workdir):
    return pathlib.Path(tempfile.mkdtemp(dir=workdir))


def outcome(load, *, measure_memory=False):
    """``("ok", (X, y))`` or ``("error", exception)`` of ``load()``, failing the test if
    it hangs or (with ``measure_memory``) allocates more than ``MEMORY``."""
    result = {}

    def target():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result["ok"] = load()
            except BaseException as exc:  # noqa: BLE001 (judged below)
                result["error"] = exc

    if measure_memory:
        tracemalloc.start()
    try:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(TIMEOUT)
        assert not thread.is_alive(), f"the loader hung for {TIMEOUT} s"
        if measure_memory:
            peak = tracemalloc.get_traced_memory()[1]
            assert peak < MEMORY, f"the loader allocated {peak} bytes"
    finally:
        if measure_memory:
            tracemalloc.stop()
    return next(iter(result.items()))


def check(load, file, n_classes, *, measure_memory=False):
    """The invariant: a valid result, or a ValueError naming ``file``. Returns the
    result, or None for a ValueError."""
    kind, value = outcome(load, measure_memory=measure_memory)
    if kind == "error":
        if not isinstance(value, ValueError):
            raise AssertionError(f"{type(value).__name__} instead of a ValueError") from value
        assert str(file) in str(value), str(value)
        event("ValueError")
        event(str(value).split(": ")[0].replace(str(file), "<file>")[:60])
        return None
    event("valid result")
    X, y = value
    assert X.ndim == 2 and X.dtype == np.float32 and X.shape[0] == len(y) >= 1
    assert y.ndim == 1 and y.dtype == np.int64
    assert np.all(np.isfinite(X)) and X.min() >= 0 and X.max() <= 1
    assert y.min() >= 0 and y.max() < n_classes
    return X, y


# --- byte-level corruption -------------------------------------------------------------

positions = st.one_of(st.integers(0, 24), st.integers(0, 1 << 20))
mutations = st.lists(st.one_of(
    st.tuples(st.just("flip"), positions, st.integers(1, 255)),
    st.tuples(st.just("truncate"), positions, st.just(0)),
    st.tuples(st.just("insert"), positions, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), positions, st.integers(1, 16)),
    st.tuples(st.just("int32"), positions, st.sampled_from(
        [0, 1, 2, 3, 255, 256, 2049, 2051, 3072, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1])),
), max_size=3)


def mutate(data, changes):
    data = bytearray(data)
    for op, position, value in changes:
        at = position % (len(data) + 1)
        if op == "flip" and at < len(data):
            data[at] ^= value
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = value
        elif op == "delete":
            del data[at:at + value]
        elif op == "int32":
            data[at:at + 4] = value.to_bytes(4, "big")
    return bytes(data)


# --- IDX (MNIST) ---------------------------------------------------------------------

def idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


@given(n=st.integers(1, 4), rows=st.integers(1, 4), cols=st.integers(1, 4),
       seed=st.integers(0, 2 ** 32 - 1), compress=st.tuples(st.booleans(), st.booleans()),
       target=st.sampled_from([0, 1]), before_compression=st.booleans(), changes=mutations)
def test_idx_files_give_a_result_or_a_value_error(workdir, n, rows, cols, seed, compress,
                                                  target, before_compression, changes):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, rows, cols))
    labels = rng.integers(0, 256, n)
    folder = fresh(workdir)
    contents = [idx_bytes(images, 2051), idx_bytes(labels, 2049)]
    for i, name in enumerate(["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]):
        data = contents[i]
        if i == target and before_compression:
            data = mutate(data, changes)
        if compress[i]:
            data = gzip.compress(data)
        if i == target and not before_compression:
            data = mutate(data, changes)
        # the name says nothing: gzip bytes may be named without .gz and raw ones with
        (folder / (name + (".gz" if seed % 2 else ""))).write_bytes(data)
    result = check(lambda: load_mnist(folder, "test"), folder, 256, measure_memory=True)
    if not changes:
        assert result is not None
        np.testing.assert_array_equal(result[0] * 255, images.reshape(n, -1))
        np.testing.assert_array_equal(result[1], labels)


@given(data=st.binary(max_size=64), prefix=st.sampled_from(
    [b"", b"\x1f\x8b", b"\x00\x00\x08\x03", b"\x00\x00\x08\x03\xff\xff\xff\xff", b"PK\x03\x04"]))
def test_idx_random_bytes_give_a_value_error(workdir, data, prefix):
    folder = fresh(workdir)
    (folder / "t10k-images-idx3-ubyte").write_bytes(prefix + data)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(1), 2049))
    check(lambda: load_mnist(folder, "test"), folder, 256, measure_memory=True)


# --- CIFAR-10 batches ------------------------------------------------------------------

def cifar_folder(workdir, test_batch):
    folder = fresh(workdir) / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "test_batch").write_bytes(test_batch)
    return folder


@given(n=st.integers(1, 3), seed=st.integers(0, 2 ** 32 - 1),
       protocol=st.integers(0, pickle.HIGHEST_PROTOCOL), str_keys=st.booleans(),
       labels_as_array=st.booleans(), changes=mutations,
       trailing=st.one_of(st.just(b""), st.binary(min_size=1, max_size=16)))
def test_cifar_batches_give_a_result_or_a_value_error(workdir, n, seed, protocol, str_keys,
                                                      labels_as_array, changes, trailing):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = rng.integers(0, 10, n)
    batch = {"data": data, "labels": labels if labels_as_array else labels.tolist(),
             "filenames": [b"x.png"] * n, "batch_label": "testing batch"}
    if not str_keys:
        batch = {key.encode(): value for key, value in batch.items()}
    raw = pickle.dumps(batch, protocol=protocol) + trailing
    folder = cifar_folder(workdir, mutate(raw, changes))
    result = check(lambda: load_cifar10(folder, "test"), folder / "test_batch", 10,
                   measure_memory=True)
    if trailing and not changes:  # a pickle followed by anything is no batch
        assert result is None
        _, error = outcome(lambda: load_cifar10(folder, "test"))
        assert f"{len(trailing)} bytes after the end of its pickle" in str(error)
    elif not changes:
        np.testing.assert_array_equal(result[0] * 255, data)
        np.testing.assert_array_equal(result[1], labels)
    elif result is not None:
        assert result[0].shape[1] == 3072


leaves = st.one_of(st.none(), st.booleans(), st.integers(-300, 300), st.floats(),
                   st.binary(max_size=8), st.text(max_size=8))
arrays = st.builds(
    lambda dtype, rows, cols, seed: np.random.default_rng(seed).integers(
        -2, 300, (rows, cols)).astype(dtype),
    st.sampled_from(["u1", "i2", ">u2", "f4", "?", "O", "U2"]), st.integers(0, 2),
    st.sampled_from([3072, 3071, 1]), st.integers(0, 100))
values = st.recursive(st.one_of(leaves, arrays),
                      lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                      | st.dictionaries(st.binary(max_size=6) | st.text(max_size=6), inner,
                                        max_size=3), max_leaves=8)


@given(data=values, labels=values, extra=values, protocol=st.integers(0, pickle.HIGHEST_PROTOCOL),
       keys=st.sampled_from([(b"data", b"labels"), ("data", "labels"), (b"data", "x")]))
def test_cifar_batches_of_any_structure(workdir, data, labels, extra, protocol, keys):
    batch = {keys[0]: data, keys[1]: labels, b"extra": extra}
    folder = cifar_folder(workdir, pickle.dumps(batch, protocol=protocol))
    check(lambda: load_cifar10(folder, "test"), folder / "test_batch", 10, measure_memory=True)


def in_child(function, seconds=TIMEOUT, headroom=1 << 30):
    """``test_datasets.in_child`` with the fuzz tests' deadline: a bomb that holds the
    GIL in C code fails the test instead of hanging it or taking the machine's memory."""
    return _in_child(function, seconds=seconds, headroom=headroom)


ROW = np.arange(3072).astype(np.uint8)[None]


@st.composite
def shared_values(draw):
    """A value whose pickle is a few bytes a level but which stands for width**depth
    leaves: each level holds the level below ``width`` times (one memo reference)."""
    depth, width = draw(st.integers(0, 60)), draw(st.integers(1, 4))
    value = draw(st.sampled_from([0, 7, 255, b"x", "x", None, 1.5]))
    if draw(st.booleans()):
        value = [value] * draw(st.sampled_from([1, 3072]))
    for _ in range(depth):
        kind = draw(st.sampled_from([list, tuple]))
        value = kind([value] * width)
    return value, width ** depth


@given(shared=shared_values(), where=st.sampled_from(
    ["data", "labels", "a label", "data row", "dict key", "set element", "frozenset element",
     "filenames"]), protocol=st.integers(2, pickle.HIGHEST_PROTOCOL))
def test_cifar_shared_references_cost_what_the_file_holds(workdir, shared, where, protocol):
    """Values reusing one sublist at every level, anywhere in a batch: refused (or, in
    an entry the loader ignores, left alone) without being expanded, hashed or
    printed; in bounded time and memory."""
    value, leaves = shared
    batch = {b"data": ROW, b"labels": [0], b"filenames": [b"x.png"]}
    if where == "data":
        batch[b"data"] = value
    elif where == "labels":
        batch[b"labels"] = value
    elif where == "a label":
        batch[b"labels"] = [value]
    elif where == "data row":
        batch[b"data"] = [value]
    elif where == "dict key":
        batch[Alias(value)] = 1
    elif where == "set element":
        batch[b"extra"] = {Alias(value)}
    elif where == "frozenset element":
        batch[b"extra"] = frozenset([Alias(value)])
    else:
        batch[b"filenames"] = value
    raw = alias_dumps(batch, protocol=protocol if "set" not in where else max(protocol, 4))
    folder = cifar_folder(workdir, raw)
    (kind, message), peak = in_child(lambda: load_cifar10(folder, "test"))
    event(f"{where}: {kind or 'loaded'}")
    assert peak < MEMORY + 2 * len(raw), f"{peak} bytes allocated for {leaves} leaves"
    def label(v):
        return type(v) is int and 0 <= v <= 9

    valid = {"filenames": True, "data": False, "data row": False, "a label": label(value),
             "labels": type(value) in (list, tuple) and len(value) == 1 and label(value[0])
             }.get(where, type(value) in (bytes, str, int, float, type(None)))  # keys
    if valid:
        assert kind == "", f"{kind}: {message}"
    else:
        assert kind == "ValueError", f"{kind}: {message}"
        assert str(folder / "test_batch") in message


DTYPE_U1 = b"cnumpy\ndtype\nX\x02\x00\x00\x00u1\x85R"  # numpy.dtype("u1")


@given(stand_in=st.sampled_from(["latin-1", "frombuffer", "rebuild", "scalar"]),
       size=st.integers(1, 1 << 16), calls=st.integers(1, 3000))
def test_cifar_stand_ins_build_no_more_than_the_file_holds(workdir, stand_in, size, calls):
    """One memoized payload handed to a stand-in ``calls`` times: each call would build
    ``size`` bytes from the same few bytes of pickle; refused once they add up to
    more than the file, so memory follows the file, not ``calls * size``."""
    rows = size // 3072 + 1
    payload = rows * 3072
    shape = b"J" + rows.to_bytes(4, "little") + b"M\x00\x0c\x86"
    repeat = b"(" + b"h\x00h\x01R" * calls + b"e."
    if stand_in == "latin-1":
        raw = (b"\x80\x02]c_codecs\nencode\nq\x000X" + size.to_bytes(4, "little")
               + b"x" * size + b"X\x06\x00\x00\x00latin1\x86q\x010" + repeat)
    elif stand_in == "frombuffer":
        raw = (b"\x80\x05]cnumpy._core.numeric\n_frombuffer\nq\x000(\x96"
               + payload.to_bytes(8, "little") + bytes(payload) + DTYPE_U1 + shape
               + b"X\x01\x00\x00\x00Ctq\x010" + repeat)
    elif stand_in == "rebuild":
        raw = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"
               b"C\x01b\x87R(K\x01" + shape + DTYPE_U1 + b"\x89B" + payload.to_bytes(4, "little")
               + bytes(payload) + b"tq\x05b" + b"h\x05b" * calls + b".")
    else:  # scalar: tiny results, bounded by the calls themselves
        raw = (b"\x80\x02]cnumpy.core.multiarray\nscalar\nq\x000" + DTYPE_U1
               + b"C\x01\x07\x86q\x010" + repeat)
    folder = cifar_folder(workdir, raw)
    (kind, message), peak = in_child(lambda: load_cifar10(folder, "test"))
    assert kind == "ValueError" and str(folder / "test_batch") in message, message
    assert peak < MEMORY // 2 + 4 * len(raw), f"{peak} bytes allocated for a {len(raw)}-byte file"
    built = size if stand_in == "latin-1" else payload  # bytes a call builds
    if stand_in != "scalar" and calls * built > len(raw):
        assert "than the file holds" in message, message
    event(message.split(": ", 1)[1][:50])


# snippets of pickle opcodes, the allowed globals among them, in random orders
SNIPPETS = [b"cnumpy.core.multiarray\n_reconstruct\n", b"cnumpy._core.multiarray\nscalar\n",
            b"cnumpy._core.numeric\n_frombuffer\n", b"cnumpy\nndarray\n", b"cnumpy\ndtype\n",
            b"c_codecs\nencode\n", b"cos\nsystem\n", b"(", b")", b"t", b"R", b"b", b"}", b"]",
            b"u", b"e", b"N", b"\x85", b"\x86", b"\x87", b"K\x00", b"K\x01", b"J\x00\x0c\x00\x00",
            b"U\x02u1", b"U\x01|", b"U\x01b", b"U\x01C", b"C\x04\x00\x01\x02\x03",
            b"\x8c\x06latin1", b"\x8c\x04data", b"\x8c\x06labels", b"\x88", b"\x89", b"2", b"0",
            b"q\x00", b"h\x00", b"s", b"a", b"\x94", b"\x93"]


@given(tokens=st.lists(st.sampled_from(SNIPPETS), max_size=40), stop=st.booleans())
def test_cifar_pickle_opcode_soup(workdir, tokens, stop):
    folder = cifar_folder(workdir, b"\x80\x02" + b"".join(tokens) + (b"." if stop else b""))
    check(lambda: load_cifar10(folder, "test"), folder / "test_batch", 10, measure_memory=True)


# --- image folders: directories and archives ------------------------------------------

MODES = ["1", "L", "P", "LA", "RGB", "RGBA", "I;16", "I", "F"]
# names drawn from these (the visible ones more often)
SPLITS = ["train", "train", "test", "test", "val", ".hidden", "__MACOSX"]
CLASSES = ["cat", "dog", "ant", "Zebra", "a b", "\u00e9t\u00e9", "._cat", ".git", "__MACOSX"]
NAMES = ["0.png", "1.PNG", "2.jpg", "3.tif", "4.bmp", "5.gif", "6.webp", "7.jpeg", "8.TIFF",
         "9.png", "._0.png", ".1.png", "2.txt", "3"]


def hidden(name):
    return name.startswith(".") or name == "__MACOSX"


def is_image_name(name):
    return not hidden(name) and name.lower().endswith(
        (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"))


@st.composite
def images(draw, height, width):
    """(mode, bytes, expected (3, h, w) values, "out of range" (the loader must refuse
    it), or None for damaged bytes (which may still decode))."""
    mode = draw(st.sampled_from(MODES))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    shape = (height, width)
    if mode == "1":
        values = rng.random(shape) < 0.5
        image, expected = Image.fromarray(values), np.repeat(values[None], 3, 0).astype(float)
    elif mode in ("L", "LA", "RGB", "RGBA"):
        channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[mode]
        values = rng.integers(0, 256, (*shape, channels), dtype=np.uint8)
        image = Image.fromarray(values[..., 0] if mode == "L" else values, mode)
        colour = values[..., :3] if channels >= 3 else np.repeat(values[..., :1], 3, -1)
        expected = colour.transpose(2, 0, 1) / 255
    elif mode == "P":
        palette = rng.integers(0, 256, (256, 3), dtype=np.uint8)
        index = rng.integers(0, 256, shape, dtype=np.uint8)
        image = Image.fromarray(index, "P")
        image.putpalette(palette.ravel().tolist())
        expected = palette[index].transpose(2, 0, 1) / 255
    else:
        if mode == "F":
            values = rng.random(shape).astype(np.float32)
            values.flat[0] = draw(st.sampled_from([0.0, 1.0, 0.5, -0.5, 1.5, float("nan")]))
            valid = bool(np.all(np.isfinite(values)) and 0 <= values.min() <= values.max() <= 1)
            scale = 1
        else:
            high = 65536 if mode == "I;16" else draw(st.sampled_from([65536] * 5 + [70000]))
            low = 0 if mode == "I;16" else draw(st.sampled_from([0] * 5 + [-5]))
            values = rng.integers(low, high, shape)
            valid = 0 <= values.min() and values.max() <= 65535
            scale = 65535
        image = Image.new(mode, (width, height))
        image.putdata(values.ravel().tolist())
        expected = np.repeat(values[None], 3, 0) / scale if valid else "out of range"
    buffer = io.BytesIO()
    image.save(buffer, "TIFF" if mode in ("I", "F") else "PNG")
    data = buffer.getvalue()
    damage = draw(st.sampled_from(["none"] * 6 + ["mutate", "garbage"]))
    if damage == "mutate":
        changes = draw(mutations)
        if changes:
            data, expected = mutate(data, changes), None
    elif damage == "garbage":
        data, expected = draw(st.binary(max_size=40)), None
    return mode, data, expected


@st.composite
def trees(draw):
    """{(split, class, file name): (bytes, expected values or None)} and folders with
    no images; every image of one size, so a clean tree loads."""
    height, width = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    files = draw(st.dictionaries(
        st.tuples(st.sampled_from(SPLITS), st.sampled_from(CLASSES), st.sampled_from(NAMES)),
        images(height, width), min_size=2, max_size=8))
    empty = draw(st.lists(st.tuples(st.sampled_from(SPLITS), st.sampled_from(CLASSES)),
                          max_size=2))
    return files, empty


def model(files, split, classes):
    """What load_image_folder must give: ("ok", X, y), or ("error", None, None) where
    some file is bad, or None where it cannot be told (a mutated image may decode)."""
    names = sorted({label for (s, label, name) in files
                    if not hidden(s) and not hidden(label) and is_image_name(name)})
    members = sorted((label, name) for (s, label, name) in files
                     if s == split and not hidden(label) and is_image_name(name))
    kept = [(label, name) for label, name in members
            if classes is None or names.index(label) in classes]
    if not kept:
        return names, ("error", None, None)
    expected = [files[(split, label, name)][2] for label, name in kept]
    if any(isinstance(e, str) for e in expected):
        return names, ("error", None, None)
    if any(e is None for e in expected):
        return names, None
    X = np.stack([e.ravel() for e in expected])
    return names, ("ok", X, np.array([names.index(label) for label, _ in kept]))


def write_directory(root, files, empty):
    for (split, label, name), (_, data, _) in files.items():
        (root / split / label).mkdir(parents=True, exist_ok=True)
        (root / split / label / name).write_bytes(data)
    for split, label in empty:
        (root / split / label).mkdir(parents=True, exist_ok=True)
    return root


def check_tree(load, file, files, split, classes):
    names, expected = model(files, split, classes)
    result = check(load, file, max(1, len(names)))
    if expected is None:
        return result
    if expected[0] == "error":
        assert result is None, "a tree without the images asked for loaded"
    else:
        assert result is not None, "a well-formed tree did not load"
        np.testing.assert_allclose(result[0], expected[1], rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(result[1], expected[2])
    return result


class_filters = st.one_of(st.none(), st.lists(st.integers(0, 5), min_size=1, max_size=3))


def pick_split(files, empty, pick):
    """A visible split of the tree, mostly one with images."""
    splits = sorted({s for s, _, _ in files} | {s for s, _ in empty})
    visible = [s for s in splits if not hidden(s)]
    assume(visible)
    with_images = sorted({s for s, label, name in files
                          if not hidden(s) and not hidden(label) and is_image_name(name)})
    choices = with_images if with_images and pick % 4 else visible
    return choices[pick % len(choices)]


@given(tree=trees(), pick=st.integers(0, 10), classes=class_filters)
def test_image_directories_give_the_right_result_or_a_value_error(workdir, tree, pick,
                                                                   classes):
    files, empty = tree
    root = write_directory(fresh(workdir) / "tree", files, empty)
    split = pick_split(files, empty, pick)
    check_tree(lambda: load_image_folder(root, split, classes=classes), root, files, split,
               classes)


HOSTILE = ["train/../x.png", "/train/cat/0.png", "train/cat/../../x.png", "..\\x.png"]


def write_archive(path, packing, files, empty, prefix, extra):
    members = [(f"{prefix}{split}/{label}/{name}", data)
               for (split, label, name), (_, data, _) in files.items()]
    folders = sorted({f"{prefix}{split}/{label}/" for split, label in empty})
    members += extra
    if packing == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            for name in folders:
                archive.writestr(name, b"")
            for name, data in members:
                archive.writestr(name, data)
    else:
        with tarfile.open(path, {"tar": "w:", "tar.gz": "w:gz", "tar.xz": "w:xz"}[packing]) as archive:
            for name in folders:
                info = tarfile.TarInfo(name.rstrip("/"))
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            for name, data in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


@given(tree=trees(), pick=st.integers(0, 10), classes=class_filters,
       packing=st.sampled_from(["zip", "tar", "tar.gz", "tar.xz"]),
       prefix=st.sampled_from(["", "./", "././"]),
       apple_double=st.booleans(), hostile=st.sampled_from([None] * 4 + HOSTILE),
       changes=st.one_of(st.just([]), mutations))
def test_image_archives_load_as_their_directory_or_give_a_value_error(
        workdir, tree, pick, classes, packing, prefix, apple_double, hostile, changes):
    files, empty = tree
    split = pick_split(files, empty, pick)
    extra = []
    if apple_double:
        extra += [(f"__MACOSX/{s}/{label}/._{name}", b"\x00\x05\x16\x07junk")
                  for s, label, name in files]
    if hostile:
        extra.append((hostile, b"\x89PNG"))
    archive = write_archive(fresh(workdir) / f"tree.{packing}", packing, files, empty,
                            prefix, extra)
    if not changes:
        if hostile:
            kind, value = outcome(lambda: load_image_folder(archive, split, classes=classes))
            assert kind == "error" and isinstance(value, ValueError), value
            assert str(archive) in str(value) and "path traversal" in str(value)
            return
        result = check_tree(lambda: load_image_folder(archive, split, classes=classes),
                            archive, files, split, classes)
        root = write_directory(fresh(workdir) / "tree", files, empty)
        kind, value = outcome(lambda: load_image_folder(root, split, classes=classes))
        if result is None:
            assert kind == "error" and isinstance(value, ValueError), value
        else:
            assert kind == "ok", value
            np.testing.assert_array_equal(result[0], value[0])
            np.testing.assert_array_equal(result[1], value[1])
        return
    archive.write_bytes(mutate(archive.read_bytes(), changes))
    names, _ = model(files, split, classes)
    check(lambda: load_image_folder(archive, split, classes=classes), archive,
          max(1, len(names) + 1))


@given(data=st.binary(max_size=600), prefix=st.sampled_from(
    [b"", b"\x1f\x8b\x08\x00", b"PK\x03\x04", b"PK\x05\x06", b"BZh9", b"\xfd7zXZ\x00",
     b"\x00" * 257 + b"ustar\x0000"]))
def test_random_bytes_are_no_image_archive(workdir, data, prefix):
    archive = fresh(workdir) / "x.tar.gz"
    archive.write_bytes(prefix + data)
    check(lambda: load_image_folder(archive, "train"), archive, 1)
    shutil.rmtree(archive.parent)


def visible_images(files):
    return sorted(key for key in files
                  if not hidden(key[0]) and not hidden(key[1]) and is_image_name(key[2]))


@given(tree=trees(), pick=st.integers(0, 100), packing=st.sampled_from(["zip", "tar", "tar.gz"]),
       spelling=st.sampled_from(["as is", "./", "/./", "//"]), same_bytes=st.booleans(),
       split_pick=st.integers(0, 10))
def test_image_archives_with_a_duplicate_member_are_refused(workdir, tree, pick, packing,
                                                            spelling, same_bytes, split_pick):
    """Any image member twice (the same path spelled alike or not, the same bytes or
    not, in the split loaded or another): a ValueError naming the archive and the
    member, never the first or last copy silently."""
    files, empty = tree
    images = visible_images(files)
    assume(images)
    key = images[pick % len(images)]
    path = "/".join(key)
    again = {"as is": path, "./": "./" + path}.get(spelling, path.replace("/", spelling, 1))
    data = files[key][1] if same_bytes else files[key][1] + b"\x00"
    split = pick_split(files, empty, split_pick)
    archive = fresh(workdir) / f"dup.{packing}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        write_archive(archive, packing, files, empty, "", [(again, data)])
    kind, error = outcome(lambda: load_image_folder(archive, split))
    assert kind == "error" and isinstance(error, ValueError), error
    assert str(archive) in str(error) and repr(path) in str(error) and "twice" in str(error)


def pixels_ok(value):
    integral = type(value) is int or (type(value) is float and math.isfinite(value)
                                      and value.is_integer())
    return value is None or (integral and 1 <= value <= math.isqrt(MAX_IMAGE_PIXELS))


def classes_ok(classes):
    return classes is None or (not isinstance(classes, str)
                               and all(type(c) is int for c in classes))


# valid values stay small (8192 is valid, but padding tiny images to 8192 x 8192 would
# take gigabytes, as asked); the invalid ones start at the edge
pixel_values = st.one_of(st.none(), st.integers(1, 12), st.integers(-3, 0),
                         st.integers(8193, 8200), st.integers(2 ** 40, 2 ** 70),
                         st.sampled_from([2.0, 2.5, 1e300, float("nan"), float("inf"), True,
                                          "4"]))
class_values = st.one_of(st.none(), st.lists(st.integers(0, 5), max_size=3),
                         st.lists(st.one_of(st.integers(0, 5), st.text(max_size=3), st.floats(),
                                            st.booleans()), min_size=1, max_size=3),
                         st.text(max_size=3))


@given(tree=trees(), pick=st.integers(0, 10), size=pixel_values, crop=pixel_values,
       classes=class_values)
def test_image_folder_parameters_are_checked_before_any_file(workdir, tree, pick, size, crop,
                                                           classes):
    """A bad or too large ``size`` or ``crop`` is a ValueError naming the parameter and
    class names (or anything but ints) in ``classes`` a TypeError, before any image is
    read; good ones give a result or a ValueError naming the tree."""
    files, empty = tree
    root = write_directory(fresh(workdir) / "tree", files, empty)
    split = pick_split(files, empty, pick)
    def load():
        return load_image_folder(root, split, classes=classes, size=size, crop=crop)

    bad = [name for name, value in (("size", size), ("crop", crop)) if not pixels_ok(value)]
    if bad:
        kind, error = outcome(load)
        assert kind == "error" and isinstance(error, ValueError), error
        assert str(error).startswith(f"{bad[0]} must be"), str(error)
        assert str(root) not in str(error)
        event(f"{bad[0]} refused")
    elif not classes_ok(classes):
        kind, error = outcome(load)
        assert kind == "error" and isinstance(error, TypeError), error
        assert "classes must be" in str(error) and "image_folder_classes" in str(error)
        event("classes refused")
    else:
        names, _ = model(files, split, classes)
        result = check(load, root, max(1, len(names)), measure_memory=True)
        if result is not None and crop is not None:
            assert result[0].shape[1] == 3 * int(crop) ** 2
