"""Loaders for the image benchmarks of the paper, from local files.

Arrays come back scaled to [0, 1] (float32 by default), flattened row-major, with
integer labels.
"""

import gzip
import os

import numpy as np

_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _read_idx(path, magic, ndim):
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"MNIST-format file not found: {path}") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path} is not a readable (gzipped) IDX file: {exc}") from None
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, no complete IDX header")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise ValueError(f"{path} has magic number {found}, expected {magic}")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        problem = "is truncated" if len(data) < expected else "has trailing bytes"
        raise ValueError(f"{path} {problem}: {len(data) - header} bytes of data for the "
                         f"shape {shape} its header announces")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def load_mnist(path, split="train", classes=None, dtype=np.float32):
    """Load MNIST or Fashion-MNIST from the four standard IDX files in ``path``.

    Parameters
    ----------
    path : str
        Directory holding ``train-images-idx3-ubyte[.gz]`` and the three others.
    split : {"train", "test"}
    classes : sequence of int, optional
        Keep only these labels (e.g. ``[0, 1]``), labels unchanged.
    dtype : numpy float dtype, default=numpy.float32

    Returns
    -------
    X : ndarray of shape (n_samples, 784), pixels / 255
    y : ndarray of shape (n_samples,), int64 labels
    """
    if split not in _MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    files = []
    for name in _MNIST_FILES[split]:
        candidates = [os.path.join(path, name + ext) for ext in (".gz", "")]
        existing = [c for c in candidates if os.path.exists(c)]
        files.append(existing[0] if existing else candidates[0])
    images = _read_idx(files[0], 2051, 3)
    labels = _read_idx(files[1], 2049, 1)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{files[0]} has {images.shape[0]} images but {files[1]} "
                         f"has {labels.shape[0]} labels")
    X = images.reshape(len(images), -1).astype(dtype) / dtype(255)
    y = labels.astype(np.int64)
    if classes is not None:
        keep = np.isin(y, classes)
        X, y = X[keep], y[keep]
    return X, y
