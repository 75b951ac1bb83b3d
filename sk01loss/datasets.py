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
    return _keep_classes(X, labels.astype(np.int64), classes)


def _keep_classes(X, y, classes):
    if classes is None:
        return X, y
    keep = np.isin(y, classes)
    return X[keep], y[keep]


def load_cifar10(path, split="train", classes=None, dtype=np.float32):
    """Load CIFAR-10 from the official python batches (``cifar-10-batches-py``).

    Parameters
    ----------
    path : str
        The ``cifar-10-batches-py`` directory (or its parent).
    split : {"train", "test"}
    classes : sequence of int, optional
        Keep only these labels (e.g. ``[0, 1]`` for airplane vs automobile).
    dtype : numpy float dtype, default=numpy.float32

    Returns
    -------
    X : ndarray of shape (n_samples, 3072)
        Pixels / 255, channel-major as in the batches (all red, then green, then blue).
    y : ndarray of shape (n_samples,), int64 labels
    """
    import pickle

    if os.path.isdir(os.path.join(path, "cifar-10-batches-py")):
        path = os.path.join(path, "cifar-10-batches-py")
    names = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
    if split not in names:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images, labels = [], []
    for name in names[split]:
        file = os.path.join(path, name)
        try:
            with open(file, "rb") as fh:
                batch = pickle.load(fh, encoding="bytes")
        except FileNotFoundError:
            raise FileNotFoundError(f"CIFAR-10 batch not found: {file}") from None
        except Exception as exc:  # truncated or not a pickle at all
            raise ValueError(f"{file} is not a readable CIFAR-10 batch: {exc!r}") from None
        if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
            raise ValueError(f"{file} is not a CIFAR-10 batch: no b'data'/b'labels' entries")
        data = np.asarray(batch[b"data"])
        if data.ndim != 2 or data.shape[1] != 3072 or len(batch[b"labels"]) != len(data):
            raise ValueError(f"{file} holds data of shape {data.shape} and "
                             f"{len(batch[b'labels'])} labels; expected (n, 3072) and n")
        images.append(data)
        labels.append(np.asarray(batch[b"labels"], dtype=np.int64))
    X = np.concatenate(images).astype(dtype) / dtype(255)
    return _keep_classes(X, np.concatenate(labels), classes)


_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")


def _image_members(path, split):
    """``(class name, file name, opener)`` of every image under ``split/`` in a
    directory, ``.tar.gz``/``.tgz``/``.tar`` or ``.zip`` archive."""
    prefix = split.strip("/") + "/"
    if os.path.isdir(path):
        root = os.path.join(path, split)
        if not os.path.isdir(root):
            raise FileNotFoundError(f"no '{split}' folder in {path}")
        for label in sorted(os.listdir(root)):
            folder = os.path.join(root, label)
            if os.path.isdir(folder):
                for name in sorted(os.listdir(folder)):
                    if name.lower().endswith(_IMAGE_SUFFIXES):
                        file = os.path.join(folder, name)
                        yield label, file, lambda file=file: open(file, "rb")
        return
    if not os.path.exists(path):
        raise FileNotFoundError(f"image folder or archive not found: {path}")
    if path.endswith(".zip"):
        import zipfile

        archive = zipfile.ZipFile(path)
        members = [(m.filename, lambda m=m: archive.open(m)) for m in archive.infolist()]
    elif path.endswith((".tar.gz", ".tgz", ".tar")):
        import io
        import tarfile

        archive = tarfile.open(path)
        # read the split's members in archive order (fast on a compressed stream)
        members = [(m.name, lambda data=archive.extractfile(m).read(): io.BytesIO(data))
                   for m in archive
                   if m.isfile() and m.name.removeprefix("./").startswith(prefix)]
    else:
        raise ValueError(f"{path} is neither a directory nor a .tar.gz/.tgz/.tar/.zip archive")
    for name, opener in sorted(members, key=lambda member: member[0]):
        name = name.removeprefix("./")
        parts = name.split("/")
        if len(parts) == 3 and name.startswith(prefix) and name.lower().endswith(_IMAGE_SUFFIXES):
            yield parts[1], f"{path}:{name}", opener


def load_image_folder(path, split="train", classes=None, size=None, crop=None,
                      dtype=np.float32):
    """Load a ``split/class/image`` tree of RGB images (a directory or an archive).

    Labels are the positions of the class folders in sorted order (CIFAR-10's JPEG
    copy: airplane 0 ... truck 9, as in CIFAR-10). Needs Pillow.

    Parameters
    ----------
    path : str
        Directory, or ``.tar.gz``/``.tgz``/``.tar``/``.zip`` archive, holding ``split/``.
    split : str, default="train"
    classes : sequence of int, optional
        Keep only these labels.
    size : int, optional
        Resize so the shorter side has this many pixels (bilinear), as
        torchvision's ``Resize(size)``.
    crop : int, optional
        Then keep the centre ``crop`` x ``crop`` square (``CenterCrop``).
    dtype : numpy float dtype, default=numpy.float32

    Returns
    -------
    X : ndarray of shape (n_samples, 3 * height * width)
        Pixels / 255, channel-major (all red, then green, then blue), like CIFAR-10.
    y : ndarray of shape (n_samples,), int64 labels
    """
    from PIL import Image, UnidentifiedImageError

    members = list(_image_members(path, split))
    if not members:
        raise ValueError(f"no images under '{split}/<class>/' in {path}")
    names = sorted({label for label, _, _ in members})
    images, labels = [], []
    shape = None
    for label, file, opener in members:
        if classes is not None and names.index(label) not in classes:
            continue
        try:
            with opener() as fh:
                image = Image.open(fh).convert("RGB")
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"{file} is not a readable image: {exc}") from None
        if size is not None:
            scale = size / min(image.size)
            image = image.resize((max(1, round(image.width * scale)),
                                  max(1, round(image.height * scale))), Image.BILINEAR)
        if crop is not None:
            left, top = (image.width - crop) // 2, (image.height - crop) // 2
            image = image.crop((left, top, left + crop, top + crop))
        pixels = np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)
        if shape is None:
            shape = pixels.shape
        elif pixels.shape != shape:
            raise ValueError(f"{file} is {pixels.shape[2]}x{pixels.shape[1]} pixels, the "
                             f"first image {shape[2]}x{shape[1]}: pass size/crop to unify")
        images.append(pixels.reshape(-1))
        labels.append(names.index(label))
    if not images:
        raise ValueError(f"no images of classes {list(classes)} in {path}")
    return np.stack(images).astype(dtype) / dtype(255), np.asarray(labels, dtype=np.int64)
