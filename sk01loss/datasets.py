"""Loaders for the image benchmarks of the paper, from local files.

Arrays come back scaled to [0, 1] (float32 by default), flattened row-major, with
integer labels.

The loaders are meant to be safe on files from anywhere: they decide formats from
the bytes, not from file names; they open regular files only (never a named pipe,
a device or a socket); they never run code from a file (CIFAR-10 batches go through
a restricted unpickler); they bound what they decompress and allocate by what the
headers declare and by the limits below; and they turn every unreadable, malformed
or hostile file into a ``ValueError`` that names the file (a missing file is a
``FileNotFoundError``).
"""

import contextlib
import gzip
import io
import math
import os
import pickle
import stat
import tarfile
import warnings
import zipfile
import zlib

import numpy as np

__all__ = [
    "MAX_ARCHIVE_MEMBERS",
    "MAX_FILE_BYTES",
    "MAX_IMAGE_PIXELS",
    "image_folder_classes",
    "load_cifar10",
    "load_image_folder",
    "load_mnist",
]

#: Largest payload, in bytes, that a loader reads from one file or archive member:
#: a decompressed IDX payload, a CIFAR-10 batch, one image file. Raise it to load
#: bigger genuine files.
MAX_FILE_BYTES = 2 ** 30

#: Largest image, in pixels (width x height), that ``load_image_folder`` decodes:
#: a guard against decompression bombs (a few KB of PNG that decode to gigabytes).
MAX_IMAGE_PIXELS = 2 ** 26

#: Most members (files, folders, links) an image archive may hold.
MAX_ARCHIVE_MEMBERS = 2 ** 21

# deflate (gzip, zip) cannot expand data by more than 1032 to 1
_DEFLATE_MAX_RATIO = 1032

_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


# --- files ---------------------------------------------------------------------

def _fspath(path, argument="path"):
    """``path`` (str, bytes or any ``os.PathLike``) as a str."""
    try:
        return os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"{argument} must be a str or an os.PathLike, "
                        f"got {type(path).__name__}") from None


def _is_int(value):
    """A Python or NumPy int, not a bool."""
    return type(value) is int or isinstance(value, np.integer)


def _float_dtype(dtype):
    try:
        kind = np.dtype(dtype)
    except TypeError:
        kind = None
    if kind is None or kind.kind != "f":
        raise ValueError(f"dtype must be a NumPy floating-point type such as numpy.float32, "
                         f"got {dtype!r}")
    return kind.type


def _file_kind(mode):
    kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _a(what):
    return f"{'an' if what[:1].lower() in 'aeiou' else 'a'} {what}"


def _open_regular(path, what):
    """Open ``path`` for binary reading if it is a regular file (after following
    symbolic links); anything else is refused before it is opened, and checked again
    on the open descriptor, which is opened non-blocking (a named pipe swapped in
    between cannot hang us). Returns the file object and its size."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(f"{what} not found: {path}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ValueError(f"{path} cannot be read: {exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is {_file_kind(info.st_mode)}, not a regular file: "
                         f"{_a(what)} must be a plain file")
    flags = os.O_RDONLY
    for flag in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, flag, 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise ValueError(f"{path} cannot be read: {exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path} is {_file_kind(info.st_mode)}, not a regular file: "
                             f"{_a(what)} must be a plain file")
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def _sniff(head):
    """The container or compression the first bytes of a file announce, or None."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[257:262] == b"ustar":
        return "tar"
    return None


_DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error)


def _read_upto(fh, n):
    """At most ``n`` bytes of ``fh``, read in pieces: memory follows the bytes that
    are there, not the ``n`` a header may claim."""
    pieces = []
    while n > 0:
        piece = fh.read(min(n, 1 << 20))
        if not piece:
            break
        pieces.append(piece)
        n -= len(piece)
    return b"".join(pieces)


# --- MNIST (IDX) ------------------------------------------------------------------

class _IdxFile:
    """One IDX file of unsigned bytes, raw or gzip-compressed (told by its bytes).

    On entry the header is read and checked (magic, dimensions, declared size against
    what the file can hold); ``read()`` then returns the payload, decompressing at
    most one byte more than the header declares."""

    def __init__(self, path, magic, ndim):
        self.path, self.magic, self.ndim = path, magic, ndim
        self.header = 4 + 4 * ndim

    def __enter__(self):
        path = self.path
        self._file, size = _open_regular(path, "MNIST-format file")
        try:
            try:
                head = self._file.read(512)
                self._file.seek(0)
            except OSError as exc:
                raise ValueError(f"{path} cannot be read: {exc}") from None
            self._kind = _sniff(head)
            if self._kind == "gzip":
                self._stream = gzip.GzipFile(fileobj=self._file, mode="rb")
                room = _DEFLATE_MAX_RATIO * size
            else:
                self._stream, room = self._file, size - self.header
            self._check_header(self._read(self.header), room)
        except BaseException:
            self._file.close()
            raise
        return self

    def __exit__(self, *exc):
        self._file.close()

    def _read(self, n):
        try:
            return _read_upto(self._stream, n)
        except _DECOMPRESSION_ERRORS as exc:
            raise ValueError(f"{self.path} is not a readable (gzipped) IDX file: {exc}") from None

    def _check_header(self, data, room):
        path, header = self.path, self.header
        found = int.from_bytes(data[:4], "big")
        if self._kind not in (None, "gzip") and found != self.magic:
            raise ValueError(f"{path} is a {self._kind} file, not an IDX file (raw or gzip): "
                             f"extract or decompress it first")
        if len(data) < header:
            raise ValueError(f"{path} is truncated: {len(data)} bytes, no complete IDX header")
        if found != self.magic:
            hint = {2049: " (an IDX labels file)", 2051: " (an IDX images file)"}.get(found, "")
            raise ValueError(f"{path} has magic number {found}{hint}, expected {self.magic}: "
                             f"not the right MNIST-format file")
        self.shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
                           for i in range(self.ndim))
        if 0 in self.shape:
            raise ValueError(f"{path} declares the shape {self.shape}: it holds no data")
        self.size = int(np.prod(self.shape, dtype=object))
        if self.size > MAX_FILE_BYTES:
            raise ValueError(f"{path} declares the shape {self.shape}, {self.size} bytes of "
                             f"data, more than sk01loss.datasets.MAX_FILE_BYTES "
                             f"({MAX_FILE_BYTES}); raise that limit if the file is genuine")
        if self.size > room:
            if self._stream is self._file:
                raise ValueError(f"{path} is truncated: {room} bytes of data for the shape "
                                 f"{self.shape} its header announces")
            raise ValueError(f"{path} is truncated: its compressed bytes cannot hold the "
                             f"{self.size} bytes of data for the shape {self.shape} its "
                             f"header announces")

    def read(self):
        data = self._read(self.size + 1)
        if len(data) != self.size:
            if len(data) < self.size:
                problem, found = "is truncated", f"{len(data)} bytes"
            else:
                problem, found = "has trailing bytes", "more bytes"
            raise ValueError(f"{self.path} {problem}: {found} of data for the shape "
                             f"{self.shape} its header announces")
        return np.frombuffer(data, np.uint8).reshape(self.shape)


def load_mnist(path, split="train", classes=None, dtype=np.float32):
    """Load MNIST or Fashion-MNIST from the four standard IDX files in ``path``.

    Each file may be raw or gzip-compressed, whatever its name: the loader reads
    ``<name>.gz`` if it exists, else ``<name>``, and tells the compression from the
    bytes.

    Parameters
    ----------
    path : str or os.PathLike
        Directory holding ``train-images-idx3-ubyte[.gz]`` and the three others.
    split : {"train", "test"}
    classes : sequence of int, optional
        Keep only these labels (e.g. ``[0, 1]``), labels unchanged.
    dtype : numpy float dtype, default=numpy.float32

    Returns
    -------
    X : ndarray of shape (n_samples, rows * cols), dtype ``dtype``
        Pixels / 255, each image flattened row-major (784 values for MNIST).
    y : ndarray of shape (n_samples,), int64
        The labels as stored (0-9 for MNIST and Fashion-MNIST).

    Raises
    ------
    FileNotFoundError
        If an images or labels file is missing.
    ValueError
        Naming the file, if it is not a regular file, is compressed other than with
        gzip, has the wrong magic number, declares an empty shape or more than
        ``MAX_FILE_BYTES`` bytes, is truncated, corrupt or has trailing bytes, or if
        the images and labels files disagree on the number of items; also for a bad
        ``split`` or ``dtype``.
    TypeError
        If ``classes`` is not a sequence of ints.

    Notes
    -----
    Trusts nothing in the files: both headers are read and checked (magic number,
    dimensions, the two counts against each other, the declared size against the
    file's size) before any payload is read, and a gzip stream is decompressed to at
    most one byte more than its header declares, so a gzip bomb costs neither time
    nor memory.
    """
    path = _fspath(path)
    if split not in _MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    dtype = _float_dtype(dtype)
    classes = _class_indices(classes)
    files = []
    for name in _MNIST_FILES[split]:
        candidates = [os.path.join(path, name + ext) for ext in (".gz", "")]
        existing = [c for c in candidates if os.path.lexists(c)]
        files.append(existing[0] if existing else candidates[0])
    with _IdxFile(files[0], 2051, 3) as image_file, _IdxFile(files[1], 2049, 1) as label_file:
        if image_file.shape[0] != label_file.shape[0]:
            raise ValueError(f"{files[0]} has {image_file.shape[0]} images but {files[1]} "
                             f"has {label_file.shape[0]} labels")
        images = image_file.read()
        labels = label_file.read()
    X = images.reshape(len(images), -1).astype(dtype) / dtype(255)
    return _keep_classes(X, labels.astype(np.int64), classes)


def _class_indices(classes, hint=""):
    """``classes`` as a list of ints, or None: label indices (Python or NumPy ints),
    never names; a TypeError otherwise."""
    if classes is None:
        return None
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise TypeError(f"classes must be a sequence of int labels, got "
                        f"{type(classes).__name__} {classes!r}{hint}")
    classes = list(classes)
    for value in classes:
        if not _is_int(value):
            raise TypeError(f"classes must be int labels (label indices, not class names), "
                            f"got {value!r}{hint}")
    return [int(value) for value in classes]


def _keep_classes(X, y, classes):
    if classes is None:
        return X, y
    keep = np.isin(y, classes)
    return X[keep], y[keep]


# --- CIFAR-10 (python batches) ---------------------------------------------------

class _Refused(pickle.UnpicklingError):
    """A refusal whose message says, in words, why the file is no CIFAR-10 batch."""


class _RefusedGlobal(_Refused):
    pass


def _brief(value):
    """A short description of an unpickled value for a message: its repr for a small
    number or a short str/bytes, else its type. Never the repr of a container, which a
    crafted pickle can make exponentially long (one sublist referenced twice at each
    of 40 levels)."""
    if value is None or type(value) in (bool, float) or isinstance(value, (np.number, np.bool_)):
        return repr(value)
    if type(value) is int:
        return repr(value) if -10 ** 6 < value < 10 ** 6 else "a large int"
    if type(value) in (str, bytes) and len(value) <= 20:
        return repr(value)
    return f"a {type(value).__name__}"


class _DtypeSpec:
    """What a pickled ``numpy.dtype(...)`` call stands for: a plain numeric dtype.

    The pickle's ``numpy.dtype`` global builds one of these instead of a real dtype,
    and its ``__setstate__`` takes only the byte order from the pickled state, so no
    crafted state ever reaches NumPy's own dtype ``__setstate__`` (structured, object,
    string and other dtypes are refused)."""

    def __init__(self, spec, align=False, copy=False):
        if isinstance(spec, bytes):
            spec = spec.decode("ascii")
        if not isinstance(spec, str):
            raise pickle.UnpicklingError(f"a dtype of {type(spec).__name__}, not a type code")
        dtype = np.dtype(spec)
        if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
            raise pickle.UnpicklingError(f"an array of dtype {dtype}, not of numbers")
        self.dtype = dtype

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) < 5 or any(s is not None for s in state[2:5]):
            raise pickle.UnpicklingError("a structured or malformed dtype")
        order = state[1].decode("ascii") if isinstance(state[1], bytes) else state[1]
        if order in ("<", ">"):
            self.dtype = self.dtype.newbyteorder(order)
        elif order not in ("|", "="):
            raise pickle.UnpicklingError(f"a dtype of byte order {_brief(order)}")


def _resolve_dtype(spec):
    if not isinstance(spec, _DtypeSpec):
        raise pickle.UnpicklingError("an array without a numpy.dtype")
    return spec.dtype


def _check_buffer(data, shape, dtype):
    if not isinstance(data, (bytes, bytearray)):
        raise pickle.UnpicklingError(f"array data of {type(data).__name__}, not bytes")
    if not isinstance(shape, tuple) or len(shape) > 32 or not all(
            type(n) is int and n >= 0 for n in shape):
        raise pickle.UnpicklingError(f"an array of shape {_brief(shape)}")
    expected = 0 if 0 in shape else dtype.itemsize
    for n in shape:  # stop early: a product of many big ints costs quadratic time
        expected *= n
        if expected > len(data):
            break
    if expected != len(data):
        raise pickle.UnpicklingError(f"an array of shape {shape} and dtype {dtype} stored in "
                                     f"{len(data)} bytes instead of {expected}")


class _PickledArray(np.ndarray):
    """The array a pickled ``_reconstruct`` call builds; its ``__setstate__`` accepts
    only a numeric dtype and exactly the bytes its shape needs."""

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise pickle.UnpicklingError("an array with a malformed state")
        shape, spec, fortran, data = state[-4:]
        dtype = _resolve_dtype(spec)
        _check_buffer(data, shape, dtype)
        np.ndarray.__setstate__(self, (1, shape, dtype, bool(fortran), bytes(data)))


class _Token:
    """Stands for a type a pickle may name but never call (``numpy.ndarray``)."""

    def __init__(self, name):
        self.name = name


_NDARRAY = _Token("numpy.ndarray")


def _reconstruct(subtype, shape, typecode):
    if subtype is not _NDARRAY or shape != (0,):
        raise pickle.UnpicklingError("an unusual numpy _reconstruct call")
    return _PickledArray((0,), np.uint8)


def _frombuffer(data, spec, shape, order="C"):
    dtype = _resolve_dtype(spec)
    _check_buffer(data, shape, dtype)
    if order not in ("C", "F", b"C", b"F"):
        raise pickle.UnpicklingError(f"an array of order {_brief(order)}")
    order = order.decode() if isinstance(order, bytes) else order
    return np.frombuffer(bytes(data), dtype).reshape(shape, order=order)


def _scalar(spec, data=None):
    dtype = _resolve_dtype(spec)
    _check_buffer(data, (), dtype)
    return np.frombuffer(data, dtype)[0]


def _latin1(text, encoding="utf-8"):
    # protocol 0-2 pickles written by Python 3 spell bytes as _codecs.encode(str, "latin1")
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("an unusual _codecs.encode call")
    return text.encode("latin1")


# Every global a CIFAR-10 python batch (or a re-pickled copy, NumPy 1 or 2, pickle
# protocols 0-5) may name, each mapped to a checked stand-in; nothing else resolves.
_BATCH_GLOBALS = {
    **{(module, "_reconstruct"): _reconstruct
       for module in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(module, "scalar"): _scalar
       for module in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(module, "_frombuffer"): _frombuffer
       for module in ("numpy.core.numeric", "numpy._core.numeric")},
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _DtypeSpec,
    ("_codecs", "encode"): _latin1,
}


def _load_bytearray8(unpickler):
    # pickle._Unpickler allocates the declared length first: read what is there
    size = int.from_bytes(unpickler.read(8), "little")
    data = unpickler.read(size)
    if len(data) != size:
        raise pickle.UnpicklingError("pickle data was truncated")
    unpickler.append(bytearray(data))


# the only keys and set elements a batch may hold: cheap to hash and compare (a tuple
# key nesting one tuple twice at each of 60 levels would take 2**60 steps to hash)
_KEY_TYPES = (bytes, str, int, float, bool, type(None))


def _check_keys(keys):
    for key in keys:
        if type(key) not in _KEY_TYPES:
            raise _Refused(f"it holds a dict key or set element of type "
                           f"{type(key).__name__}, where a CIFAR-10 batch has bytes or str")


def _load_setitem(unpickler):
    _check_keys(unpickler.stack[-2:-1])
    pickle._Unpickler.load_setitem(unpickler)


def _load_mark_then(method, step):
    def load(unpickler):
        # the items on the stack since the last MARK: every `step`-th is a key
        _check_keys(unpickler.stack[::step])
        method(unpickler)
    return load


def _load_build(unpickler):
    # BUILD only on what the stand-ins make: never on a stand-in function or token,
    # whose attributes (a function's __defaults__) a pickle could otherwise rewrite
    stack = unpickler.stack
    inst = stack[-2] if len(stack) >= 2 else None
    if type(inst) not in (_PickledArray, _DtypeSpec):
        raise _Refused(f"it sets the state of a {type(inst).__name__}, where a CIFAR-10 "
                       f"batch sets only NumPy arrays and dtypes")
    state = stack[-1]
    if type(inst) is _PickledArray and isinstance(state, tuple) and state:
        unpickler.charge(state[-1])
    pickle._Unpickler.load_build(unpickler)


class _BatchUnpickler(pickle._Unpickler):
    """Unpickles what a CIFAR-10 python batch holds (dicts, lists, bytes, str, numbers
    and numeric NumPy arrays) and refuses every other global, so no code runs.

    The pure-Python unpickler, with BYTEARRAY8 read without trusting its length: the
    C one allocates the length a BINBYTES8 or BYTEARRAY8 opcode declares before
    reading it (CPython gh-115952), so a few bytes could claim gigabytes; this one
    holds only the bytes that are there.

    Work stays proportional to the file: dict keys and set elements must be bytes,
    str or numbers (a crafted tuple key can take 2**60 steps to hash); the bytes the
    stand-ins build (arrays, latin-1 bytes) may not add up to more than the file
    holds (a pickle may pass one memoized megabyte to them a million times); and
    BUILD applies only to the arrays and dtypes the stand-ins make."""

    dispatch = {**pickle._Unpickler.dispatch,
                pickle.BYTEARRAY8[0]: _load_bytearray8,
                pickle.SETITEM[0]: _load_setitem,
                pickle.SETITEMS[0]: _load_mark_then(pickle._Unpickler.load_setitems, 2),
                pickle.DICT[0]: _load_mark_then(pickle._Unpickler.load_dict, 2),
                pickle.ADDITEMS[0]: _load_mark_then(pickle._Unpickler.load_additems, 1),
                pickle.FROZENSET[0]: _load_mark_then(pickle._Unpickler.load_frozenset, 1),
                pickle.BUILD[0]: _load_build}

    def __init__(self, file, size):
        super().__init__(file, encoding="bytes")
        self.budget = {"array": size, "latin-1": size}

    def charge(self, payload, kind="array"):
        """Count the bytes a stand-in is about to build from ``payload``; refuse once
        they add up to more than the file."""
        if isinstance(payload, (bytes, bytearray, str)):
            self.budget[kind] -= len(payload)
            if self.budget[kind] < 0:
                raise _Refused(f"it builds more {kind} bytes than the file holds (the same "
                               f"data used over and over), which a CIFAR-10 batch never does")

    def _charged(self, function, kind):
        def call(*args, **kwargs):
            if args:
                self.charge(args[0], kind)
            return function(*args, **kwargs)
        return call

    def find_class(self, module, name):
        try:
            function = _BATCH_GLOBALS[(module, name)]
        except (KeyError, TypeError):
            raise _RefusedGlobal(
                f"it refers to {module}.{name}, which a CIFAR-10 batch never holds; refusing "
                f"to unpickle it (a batch holds only numbers, bytes, str, lists, dicts and "
                f"NumPy arrays)") from None
        if function is _frombuffer:
            return self._charged(function, "array")
        if function is _latin1:
            return self._charged(function, "latin-1")
        return function

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("it refers to a persistent object")

    def unread_frame(self):
        """How many bytes of the current frame (protocol 4+) are still unread."""
        frame = self._unframer.current_frame
        return len(frame.getbuffer()) - frame.tell() if frame else 0


def _batch_entry(batch, key):
    for candidate in (key.encode(), key):
        if candidate in batch:
            return batch[candidate]
    return None


def _cifar_arrays(file, batch):
    """The data and labels of an unpickled batch, checked as CIFAR-10's: ``data`` a
    NumPy integer array of shape (n, 3072), n >= 1, values 0-255; ``labels`` n integers
    0-9, as a list or tuple of ints or a 1-D integer array. Nothing is converted
    before its type and length are checked element by element, so nested lists (one
    sublist referenced 2**26 times) are refused without being expanded."""
    if not isinstance(batch, dict):
        raise ValueError(f"{file} is not a CIFAR-10 batch: it holds a "
                         f"{type(batch).__name__}, not a dict")
    data, labels = _batch_entry(batch, "data"), _batch_entry(batch, "labels")
    if data is None or labels is None:
        raise ValueError(f"{file} is not a CIFAR-10 batch: no b'data'/b'labels' entries")
    expected = "expected a NumPy array of shape (n, 3072) and n labels, as in a CIFAR-10 batch"
    if not isinstance(data, np.ndarray):  # a bad file is a ValueError, whatever it holds
        raise ValueError(f"{file} holds data of type {type(data).__name__}, not an "  # noqa: TRY004
                         f"array; {expected}")
    if data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{file} holds data of shape {data.shape}; {expected}")
    n = len(data)
    if n == 0:
        raise ValueError(f"{file} holds no images")
    if data.dtype.kind not in "ui" or data.min() < 0 or data.max() > 255:
        raise ValueError(f"{file} holds data of dtype {data.dtype}, not pixels 0-255 "
                         f"(uint8) as in a CIFAR-10 batch")
    if isinstance(labels, np.ndarray):
        if labels.ndim != 1 or len(labels) != n:
            raise ValueError(f"{file} holds data of shape {data.shape} and labels of shape "
                             f"{labels.shape}; {expected}")
        if labels.dtype.kind not in "ui" or labels.min() < 0 or labels.max() > 9:
            raise ValueError(f"{file} holds labels that are not integers 0-9 "
                             f"(dtype {labels.dtype})")
        return data, labels.astype(np.int64)
    if type(labels) not in (list, tuple):
        raise ValueError(f"{file} holds labels of type {type(labels).__name__}, not a list; "
                         f"{expected}")
    if len(labels) != n:
        raise ValueError(f"{file} holds data of shape {data.shape} and {len(labels)} labels; "
                         f"{expected}")
    for i, label in enumerate(labels):
        if not (_is_int(label) and 0 <= label <= 9):
            raise ValueError(f"{file} holds labels that are not integers 0-9: "
                             f"{_brief(label)} at position {i}")
    return data, np.array([int(label) for label in labels], dtype=np.int64)


def _read_cifar_batch(file):
    fh, size = _open_regular(file, "CIFAR-10 batch")
    with fh:
        if size > MAX_FILE_BYTES:
            raise ValueError(f"{file} is {size} bytes, more than sk01loss.datasets."
                             f"MAX_FILE_BYTES ({MAX_FILE_BYTES}); raise that limit if the "
                             f"batch is genuine")
        try:
            data = _read_upto(fh, size + 1)
        except OSError as exc:
            raise ValueError(f"{file} cannot be read: {exc}") from None
    stream = io.BytesIO(data)
    unpickler = _BatchUnpickler(stream, len(data))
    try:
        batch = unpickler.load()
    except _Refused as exc:
        raise ValueError(f"{file} is not a CIFAR-10 batch: {exc}") from None
    except Exception as exc:  # noqa: BLE001 (truncated, not a pickle, malformed arrays)
        kind = _sniff(data[:512])
        if kind is not None:
            raise ValueError(f"{file} is a {kind} file, not a CIFAR-10 batch: extract the "
                             f"python version of CIFAR-10 (cifar-10-python.tar.gz) and pass "
                             f"its cifar-10-batches-py folder") from None
        raise ValueError(f"{file} is not a readable CIFAR-10 batch: {exc!r}") from None
    trailing = len(data) - stream.tell() + unpickler.unread_frame()
    if trailing:
        raise ValueError(f"{file} has trailing bytes: {trailing} bytes after the end of "
                         f"its pickle; a CIFAR-10 batch is one pickle and nothing else")
    return _cifar_arrays(file, batch)


def load_cifar10(path, split="train", classes=None, dtype=np.float32):
    """Load CIFAR-10 from the official python batches (``cifar-10-batches-py``).

    Parameters
    ----------
    path : str or os.PathLike
        The ``cifar-10-batches-py`` directory (or its parent).
    split : {"train", "test"}
        ``data_batch_1`` to ``data_batch_5``, or ``test_batch``.
    classes : sequence of int, optional
        Keep only these labels (e.g. ``[0, 1]`` for airplane vs automobile).
    dtype : numpy float dtype, default=numpy.float32

    Returns
    -------
    X : ndarray of shape (n_samples, 3072), dtype ``dtype``
        Pixels / 255, channel-major as in the batches (all red, then green, then blue).
    y : ndarray of shape (n_samples,), int64
        Labels 0-9.

    Raises
    ------
    FileNotFoundError
        If a batch is missing.
    ValueError
        Naming the batch, if it is not a regular file, is compressed or an archive,
        is larger than ``MAX_FILE_BYTES``, is not a pickle, refers to anything but
        NumPy's array reconstruction, or does not hold a dict with ``data`` of shape
        (n, 3072), n >= 1, pixels 0-255, and n integer ``labels`` 0-9, or has bytes
        after its pickle; also for a bad ``split`` or ``dtype``.
    TypeError
        If ``classes`` is not a sequence of ints.

    Notes
    -----
    The batches are pickles, which can run any code when unpickled by ``pickle``; this
    loader never does that. It unpickles with a restricted unpickler that resolves
    only NumPy's array reconstruction functions (``numpy.core.multiarray._reconstruct``
    and ``scalar``, ``numpy.core.numeric._frombuffer``, their ``numpy._core``
    spellings, ``numpy.ndarray`` as an argument only, ``numpy.dtype``) and
    ``_codecs.encode`` for latin-1 bytes, each replaced by a checked stand-in that
    builds only numeric arrays from exactly the bytes their shape needs. Any other
    global (``os.system``, ``builtins.eval``, ...) makes it raise a ``ValueError``
    before anything is called. Keys may be bytes (as in the official batches) or str.

    Work and memory follow the file's size, however its objects are shared: ``data``
    must be a NumPy array (never a list, which could reuse one sublist at every level
    of nesting) and ``labels`` a flat list (or 1-D array) checked item by item before
    any conversion; dict keys and set elements must be bytes, str or numbers (a
    shared nested tuple would take forever to hash); the stand-ins may not build more
    bytes than the file holds; and the file must end where its pickle ends.
    """
    path = _fspath(path)
    if os.path.isdir(os.path.join(path, "cifar-10-batches-py")):
        path = os.path.join(path, "cifar-10-batches-py")
    names = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
    if split not in names:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    dtype = _float_dtype(dtype)
    classes = _class_indices(classes)
    if os.path.isfile(path):
        raise ValueError(f"{path} is a file; pass the cifar-10-batches-py folder of the "
                         f"extracted cifar-10-python.tar.gz (or its parent)")
    images, labels = [], []
    for name in names[split]:
        data, batch_labels = _read_cifar_batch(os.path.join(path, name))
        images.append(data)
        labels.append(batch_labels)
    X = np.concatenate(images).astype(dtype) / dtype(255)
    return _keep_classes(X, np.concatenate(labels), classes)


# --- image folders ------------------------------------------------------------------

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
# the formats Pillow may decode, whatever a file's name says (no EPS, which runs
# Ghostscript, and none of Pillow's rarer plugins)
_PIL_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")


def _hidden(name):
    """Hidden entries are never classes or images: dot files and folders (macOS
    AppleDouble ``._x.png``, ``.DS_Store``, ``.ipynb_checkpoints``) and ``__MACOSX``."""
    return name.startswith(".") or name == "__MACOSX"


def _is_image_name(name):
    return not _hidden(name) and name.lower().endswith(_IMAGE_SUFFIXES)


class _Image:
    """One image entry: its split, class, file name, the name errors give, and how to
    read its bytes (or why it cannot be read)."""

    def __init__(self, split, label, name, display, read):
        self.split, self.label, self.name, self.display, self.read = (
            split, label, name, display, read)


def _listdir(folder):
    try:
        with os.scandir(folder) as entries:
            return sorted((entry.name, entry.is_dir()) for entry in entries)
    except OSError as exc:
        raise ValueError(f"{folder} cannot be listed: {exc}") from None


def _read_regular(file):
    def read():
        fh, size = _open_regular(file, "image")
        with fh:
            if size > MAX_FILE_BYTES:
                raise ValueError(f"{file} is {size} bytes, more than sk01loss.datasets."
                                 f"MAX_FILE_BYTES ({MAX_FILE_BYTES})")
            try:
                return _read_upto(fh, size + 1)
            except OSError as exc:
                raise ValueError(f"{file} cannot be read: {exc}") from None
    return read


def _scan_directory(root):
    images = []
    for split, is_dir in _listdir(root):
        if _hidden(split) or not is_dir:
            continue
        for label, is_dir in _listdir(os.path.join(root, split)):
            if _hidden(label) or not is_dir:
                continue
            folder = os.path.join(root, split, label)
            for name, is_dir in _listdir(folder):
                if is_dir or not _is_image_name(name):
                    continue
                file = os.path.join(folder, name)
                images.append(_Image(split, label, name, file, _read_regular(file)))
    return images


def _member_parts(path, name):
    """The path components of an archive member; refuses the archive for absolute
    paths and ``..`` (path traversal). ``.`` and empty components are dropped."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (unified[:1].isalpha() and unified[1:2] == ":"):
        raise ValueError(f"{path} holds a member with an absolute path ({name!r}): refusing "
                         f"the archive (path traversal); re-create it with relative paths")
    parts = [part for part in unified.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"{path} holds a member with a '..' component ({name!r}): refusing "
                         f"the archive (path traversal); re-create it without '..'")
    return parts


def _image_parts(parts):
    """(split, class, name) if the member is a visible ``split/class/image``."""
    if len(parts) == 3 and not any(_hidden(part) for part in parts) and _is_image_name(parts[2]):
        return tuple(parts)
    return None


def _count_member(path, count):
    if count > MAX_ARCHIVE_MEMBERS:
        raise ValueError(f"{path} holds more than sk01loss.datasets.MAX_ARCHIVE_MEMBERS "
                         f"({MAX_ARCHIVE_MEMBERS}) members; raise that limit if the archive "
                         f"is genuine")


def _add_image(path, images, key, name, image):
    """Record an image entry, refusing the archive if another member has the same
    path: tools disagree on which copy wins (zip readers the last or the first, tar the
    last), so a duplicate makes what is loaded ambiguous."""
    if key in images:
        raise ValueError(f"{path} holds the member {'/'.join(key)!r} twice (as "
                         f"{images[key][0]!r} and {name!r}): refusing the ambiguous "
                         f"archive; re-create it with each file once")
    images[key] = (name, image)


def _refuse(message):
    def read():
        raise ValueError(message)
    return read


def _too_big(display, size):
    return (f"{display} is {size} bytes, more than sk01loss.datasets.MAX_FILE_BYTES "
            f"({MAX_FILE_BYTES})")


class _BoundedReads:
    """A file object whose single reads are bounded: tarfile reads a member header
    (pax, GNU long name) of whatever size it declares."""

    def __init__(self, fh, path):
        self.fh, self.path = fh, path

    def read(self, n=-1):
        if n is None or n < 0 or n > max(MAX_FILE_BYTES, 1 << 20):
            raise tarfile.ReadError(f"a tar header or member of more than sk01loss."
                                    f"datasets.MAX_FILE_BYTES ({MAX_FILE_BYTES}) bytes")
        return self.fh.read(n)

    def seek(self, *args):
        return self.fh.seek(*args)

    def tell(self):
        return self.fh.tell()


# what tarfile, zipfile and the decompressors raise on bad bytes
_ARCHIVE_ERRORS = (tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError,
                   OSError, zlib.error, NotImplementedError, RuntimeError, ValueError,
                   IndexError, KeyError, OverflowError, MemoryError)


def _archive_call(path, function, *args):
    """``function(*args)``, its errors on bad bytes turned into a ValueError naming
    the archive."""
    try:
        return function(*args)
    except _ARCHIVE_ERRORS as exc:
        raise ValueError(f"{path} is not a readable archive: {exc!r}") from None
    except Exception as exc:  # lzma.LZMAError, and what else an optional codec raises
        if type(exc).__module__ in ("lzma", "_lzma", "bz2", "_bz2"):
            raise ValueError(f"{path} is not a readable archive: {exc!r}") from None
        raise


def _scan_tar(path, archive, split):
    """Every image of the archive, in one forward pass; the bytes of ``split``'s
    images are read as they pass (a compressed stream is never rewound)."""
    images = {}
    count, last = 0, -1
    while True:
        member = _archive_call(path, archive.next)
        if member is None:
            break
        archive.members.clear()  # keep memory flat: we do not need tarfile's index
        count += 1
        _count_member(path, count)
        if member.size < 0 or member.offset <= last:
            raise ValueError(f"{path} is not a readable archive: the member {member.name!r} "
                             f"has a negative size or goes backwards")
        last = member.offset
        parts = _member_parts(path, member.name)
        key = _image_parts(parts)
        if key is None or member.isdir():
            continue
        display = f"{path}:{'/'.join(key)}"
        if key[0] != split:
            read = None
        elif not member.isreg():
            read = _refuse(f"{display} is a link or special file, not a regular file: the "
                           f"loader reads regular archive members only; re-create the "
                           f"archive with the files themselves (tar --dereference)")
        elif member.size > MAX_FILE_BYTES:
            raise ValueError(_too_big(display, member.size))
        else:
            data = _archive_call(path, _read_upto, archive.extractfile(member), member.size)
            if len(data) != member.size:
                raise ValueError(f"{display} is truncated")
            read = lambda data=data: data
        _add_image(path, images, key, member.name, _Image(*key, display, read))
    return [image for _, image in images.values()]


def _scan_zip(path, fh, split):
    images = {}
    archive = _archive_call(path, zipfile.ZipFile, fh)
    for count, info in enumerate(archive.infolist(), 1):
        _count_member(path, count)
        key = _image_parts(_member_parts(path, info.filename))
        if key is None or info.is_dir():
            continue
        display = f"{path}:{'/'.join(key)}"
        mode = info.external_attr >> 16
        if key[0] != split:
            read = None
        elif info.create_system == 3 and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
            read = _refuse(f"{display} is a link or special file, not a regular file: the "
                           f"loader reads regular archive members only; re-create the "
                           f"archive with the files themselves")
        elif info.file_size > MAX_FILE_BYTES:
            raise ValueError(_too_big(display, info.file_size))
        else:
            def read(info=info, display=display):
                try:
                    with archive.open(info) as member:
                        return _read_upto(member, info.file_size + 1)
                except _ARCHIVE_ERRORS as exc:
                    raise ValueError(f"{display} cannot be extracted: {exc!r}") from None
        _add_image(path, images, key, info.filename, _Image(*key, display, read))
    return [image for _, image in images.values()]


@contextlib.contextmanager
def _archive_images(path, split):
    """Every image entry of an archive file, told by its bytes: zip, or tar (plain,
    gzip, bzip2 or xz). The archive stays open in the ``with`` block."""
    fh, _ = _open_regular(path, "image folder or archive")
    with fh:
        head = _archive_call(path, _read_upto, fh, 512)
        fh.seek(0)
        kind = _sniff(head)
        if kind == "zip" or (kind is None and _archive_call(path, zipfile.is_zipfile, fh)):
            fh.seek(0)
            yield _scan_zip(path, fh, split)
            return
        if kind == "gzip":
            stream = gzip.GzipFile(fileobj=fh, mode="rb")
        elif kind == "bzip2":
            import bz2
            stream = bz2.BZ2File(fh)
        elif kind == "xz":
            import lzma
            stream = lzma.LZMAFile(fh)
        elif kind in ("tar", None):
            fh.seek(0)
            stream = fh
        else:
            raise ValueError(f"{path} is a {kind} file; the loader reads directories, zip "
                             f"and tar (plain, gzip, bzip2, xz) archives")
        with stream:
            try:
                archive = _archive_call(path, tarfile.open, None, "r:",
                                        _BoundedReads(stream, path))
            except ValueError:
                if kind is None:
                    raise ValueError(f"{path} is neither a directory nor a tar or zip "
                                     f"archive (by its bytes)") from None
                raise
            yield _scan_tar(path, archive, split)


@contextlib.contextmanager
def _tree_images(path, split):
    """Image entries of a directory or archive, open in the ``with`` block."""
    if os.path.isdir(path):
        if split is not None and not os.path.isdir(os.path.join(path, split)):
            raise FileNotFoundError(f"no '{split}' folder in {path}")
        yield _scan_directory(path)
    elif not os.path.lexists(path):
        raise FileNotFoundError(f"image folder or archive not found: {path}")
    else:
        with _archive_images(path, split) as images:
            yield images


def _check_split(split):
    if not isinstance(split, str):
        raise TypeError(f"split must be a str, got {type(split).__name__}")
    name = split.strip("/")
    if not name or "/" in name or "\\" in name or _hidden(name):
        raise ValueError(f"split must be the name of a top-level folder such as 'train', "
                         f"got {split!r}")
    return name


def image_folder_classes(path):
    """The class names of an image folder or archive, in label order.

    Parameters
    ----------
    path : str or os.PathLike
        Directory, or zip or tar (plain, gzip, bzip2, xz) archive, as for
        `load_image_folder`.

    Returns
    -------
    names : list of str
        Sorted names of the class folders holding at least one image in any split:
        label ``i`` of `load_image_folder` is ``names[i]``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        Naming the file, if it is not a readable directory or archive (see
        `load_image_folder`).
    """
    with _tree_images(_fspath(path), None) as entries:
        return sorted({entry.label for entry in entries})


class _ImageTooLarge(Exception):
    pass


class _OutOfRange(Exception):
    pass


def _to_working_mode(image):
    """``image`` in a mode that resizes by value (L, RGB, I or F) and the value that
    maps its pixels to [0, 1]; refuses I and F images with values outside the rule."""
    mode = image.mode
    if mode.startswith("I;16"):
        return image.convert("I"), 65535
    if mode in ("I", "F"):
        values = np.asarray(image)
        low, high = (0, 65535) if mode == "I" else (0.0, 1.0)
        if not (np.all(np.isfinite(values)) and values.min() >= low and values.max() <= high):
            rule = ("0-65535 (16-bit); convert it to 16 or 8 bits" if mode == "I"
                    else "[0, 1] and finite; rescale it to [0, 1]")
            raise _OutOfRange(f"is a mode {mode} image with values from {values.min()} to "
                              f"{values.max()}: the loader reads mode {mode} values in {rule}")
        return image, 65535 if mode == "I" else 1
    if mode in ("1", "L", "LA"):
        return image.convert("L"), 255
    if mode == "La":  # premultiplied: un-premultiply, then drop alpha
        return image.convert("LA").convert("L"), 255
    if mode in ("P", "PA"):  # palette colours; via RGBA, as Pillow asks for transparency
        return image.convert("RGBA").convert("RGB"), 255
    return image.convert("RGB"), 255


def _decode(Image, data, file, size, crop):
    """Pixels of one image as (3, height, width) and the value that maps them to
    [0, 1] (255, 65535 or 1)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_PIL_FORMATS)
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise _ImageTooLarge(f"{image.width}x{image.height}")
            image.load()
            image, scale = _to_working_mode(image)
            if size is not None:
                ratio = size / min(image.size)
                width, height = (max(1, round(image.width * ratio)),
                                 max(1, round(image.height * ratio)))
                if width * height > MAX_IMAGE_PIXELS:
                    raise _ImageTooLarge(f"{image.width}x{image.height} resized to "
                                         f"{width}x{height} by size={size}")
                image = image.resize((width, height), Image.BILINEAR)
            if crop is not None:
                left, top = (image.width - crop) // 2, (image.height - crop) // 2
                image = image.crop((left, top, left + crop, top + crop))
            pixels = np.asarray(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, _ImageTooLarge) as exc:
        raise ValueError(f"{file} is too large an image ({exc}): more than sk01loss.datasets."
                         f"MAX_IMAGE_PIXELS ({MAX_IMAGE_PIXELS}) pixels, a decompression "
                         f"bomb or a mistake; raise that limit if the image is genuine") from None
    except _OutOfRange as exc:
        raise ValueError(f"{file} {exc}") from None
    except Exception as exc:  # noqa: BLE001 (Pillow: OSError, SyntaxError, struct.error...)
        raise ValueError(f"{file} is not a readable image: {exc!r}") from None
    if pixels.ndim == 2:
        pixels = np.broadcast_to(pixels, (3, *pixels.shape))
    else:
        pixels = pixels.transpose(2, 0, 1)
    if scale == 1:
        pixels = np.clip(pixels, 0, 1)  # resampling round-off only: values were in [0, 1]
    return pixels, scale


def _pixels_or_none(name, value):
    """``value`` as a positive int (an integral float such as 84.0 too), or None; at
    most the side of a square of ``MAX_IMAGE_PIXELS`` pixels."""
    if value is None:
        return None
    integral = _is_int(value) or (isinstance(value, (float, np.floating))
                                  and float(value).is_integer())
    if not (integral and value >= 1):
        raise ValueError(f"{name} must be a positive int or None, got {value!r}")
    value, largest = int(value), math.isqrt(MAX_IMAGE_PIXELS)
    if value > largest:
        raise ValueError(f"{name} must be at most {largest} (a {name} x {name} image must "
                         f"fit in sk01loss.datasets.MAX_IMAGE_PIXELS = {MAX_IMAGE_PIXELS} "
                         f"pixels), got {value}; raise that limit for bigger images")
    return value


def load_image_folder(path, split="train", classes=None, size=None, crop=None,
                      dtype=np.float32):
    """Load a ``split/class/image`` tree of images (a directory or an archive).

    Labels are the positions of the class names in the sorted list of the class
    folders of *all* splits (the folders holding at least one image), so every split
    of a tree gets the same labels (CIFAR-10's JPEG copy: airplane 0 ... truck 9, as
    in CIFAR-10); `image_folder_classes` gives that list. Needs Pillow.

    Parameters
    ----------
    path : str or os.PathLike
        Directory, or zip or tar (plain, gzip, bzip2 or xz) archive, holding
        ``split/``; the archive type is told from the bytes, not the name.
    split : str, default="train"
        A top-level folder of the tree.
    classes : sequence of int, optional
        Keep only these labels: label indices, positions in
        `image_folder_classes` (``image_folder_classes(path).index("cat")``), not
        class names.
    size : int, optional
        Resize so the shorter side has this many pixels (bilinear), as
        torchvision's ``Resize(size)``; at most ``isqrt(MAX_IMAGE_PIXELS)`` (8192),
        and the resized image may have at most ``MAX_IMAGE_PIXELS`` pixels.
    crop : int, optional
        Then keep the centre ``crop`` x ``crop`` square (``CenterCrop``; zeros
        beyond the image); at most ``isqrt(MAX_IMAGE_PIXELS)``.
    dtype : numpy float dtype, default=numpy.float32

    Returns
    -------
    X : ndarray of shape (n_samples, 3 * height * width), dtype ``dtype``
        Pixels in [0, 1], channel-major (all red, then green, then blue), like
        CIFAR-10; images sorted by class name, then file name.
    y : ndarray of shape (n_samples,), int64
        Labels in ``range(len(image_folder_classes(path)))``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist, or a directory has no ``split`` folder.
    ValueError
        Naming the file, if ``path`` is neither a directory nor a readable zip or tar
        archive, an archive member has an absolute path or a ``..`` component (path
        traversal) or two members have the same path, an image is a link or special
        file (a named pipe, a device), is unreadable, corrupt or larger than
        ``MAX_FILE_BYTES`` bytes or ``MAX_IMAGE_PIXELS`` pixels (also once resized to
        ``size``), has values out of range (modes I and F, see Notes), or differs in
        size from the first image; if there are no images (of
        ``classes``) in ``split``; also for a bad ``split``, ``size``, ``crop`` or
        ``dtype``, naming the parameter.
    TypeError
        If ``classes`` is not a sequence of ints (class names are refused: pass
        their positions in `image_folder_classes`).

    Warns
    -----
    UserWarning
        If ``split`` has no images of some class (of ``classes``) that another split
        has; the other classes keep their labels.

    Notes
    -----
    Images are the files with a ``.jpg``, ``.jpeg``, ``.png``, ``.bmp``, ``.gif``,
    ``.webp``, ``.tif`` or ``.tiff`` name (any case) exactly two folders below the
    root; their format is told from the bytes, and only PNG, JPEG, BMP,
    GIF, WebP and TIFF are decoded. Hidden entries (names starting with ``.``, such
    as macOS's ``._x.png``, and ``__MACOSX``) are skipped, as folders and as images.
    Every image comes back with three channels, by Pillow mode:

    - ``1`` (bilevel): 0 or 1; ``L`` (grey): value / 255; grey modes are repeated in
      the three channels;
    - ``P`` (palette): the palette's RGB colours / 255; ``RGB``, ``CMYK``, ``YCbCr``
      and the others: Pillow's conversion to RGB, / 255;
    - ``LA``, ``PA``, ``RGBA`` (with alpha): the alpha channel is dropped, the
      colours kept as stored (not composited on any background);
    - ``I;16`` (16-bit grey): value / 65535; ``I`` (32-bit integer, how some 16-bit
      files open): value / 65535, and an image with a value outside 0-65535 is
      refused;
    - ``F`` (32-bit float): the values themselves, which must lie in [0, 1]; an image
      with a value outside [0, 1] or not finite is refused (rescale it first).

    Trusts nothing in the files: a directory's symbolic links are followed, but only
    to regular files and folders; an archive's links and special files are refused,
    and so are archives with absolute or ``..`` member paths. Images are decoded only
    after their header says they have at most ``MAX_IMAGE_PIXELS`` pixels.
    """
    from PIL import Image

    split = _check_split(split)
    size, crop = _pixels_or_none("size", size), _pixels_or_none("crop", crop)
    dtype = _float_dtype(dtype)
    classes = _class_indices(classes, hint="; use image_folder_classes(path).index(name) "
                                           "for a class name")
    path = _fspath(path)
    with _tree_images(path, split) as entries:
        return _load_images(Image, path, split, entries, classes, size, crop, dtype)


def _load_images(Image, path, split, entries, classes, size, crop, dtype):
    names = sorted({entry.label for entry in entries})
    members = sorted((entry for entry in entries if entry.split == split),
                     key=lambda entry: (entry.label, entry.name))
    if not members:
        raise ValueError(f"no images under '{split}/<class>/' in {path}")
    index = {name: i for i, name in enumerate(names)}
    wanted = [i for i in range(len(names)) if classes is None or i in classes]
    present = {member.label for member in members}
    missing = [f"{names[i]!r} ({i})" for i in wanted if names[i] not in present]
    if missing:
        warnings.warn(f"{path}: split '{split}' has no images of the class(es) "
                      f"{', '.join(missing)} that other splits have; labels are positions "
                      f"in the class list of all splits, so the others keep theirs",
                      UserWarning, stacklevel=3)  # the caller of load_image_folder
    members = [member for member in members
               if classes is None or index[member.label] in classes]
    if not members:
        raise ValueError(f"no images of classes {list(classes)} in {path}")
    X = None
    for row, member in enumerate(members):
        pixels, scale = _decode(Image, member.read(), member.display, size, crop)
        if X is None:
            shape = pixels.shape
            X = np.empty((len(members), pixels.size), dtype)
        elif pixels.shape != shape:
            raise ValueError(f"{member.display} is {pixels.shape[2]}x{pixels.shape[1]} "
                             f"pixels, the first image {shape[2]}x{shape[1]}: pass size/crop "
                             f"to unify")
        X[row] = pixels.reshape(-1)
        X[row] /= dtype(scale)
    y = np.asarray([index[member.label] for member in members], dtype=np.int64)
    return X, y
