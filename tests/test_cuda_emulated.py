"""The CUDA kernels of ``sk01loss._kernels._cuda``, run without a GPU, against the
array code they replace.

A fresh instance of the module gets a fake ``cupy`` (tests/cuda_emulator): its
kernel source is compiled with g++ against a small emulation of the CUDA built-ins,
each thread of a block runs as a CPU thread, and each launch's arguments are checked
against the kernel's parameter types. The outputs must equal ``batched_search``'s
NumPy code bit for bit, and two runs of ``gather`` must give the same bytes.

What this proves: the kernels' arithmetic, indexing and bounds, their argument
lists, and that within a block no two threads touch the same shared-memory word
between two barriers unless both only read (nor read a word never written, nor reach
a barrier from different places or with some threads exited, nor use a warp
intrinsic with a partial mask), for the launches made here.

What it cannot: the GPU's memory model (caching, ordering and visibility of global
memory, which this sequential-consistency emulation never reorders), warp-synchronous
behaviour beyond the intrinsics used, the launch limits of a real device (more than
48 KiB of dynamic shared memory, grid and block sizes, zero-block launches are all
accepted here), NVRTC's compilation and its floating-point contraction (g++ runs
with -ffp-contract=off), and speed. The real-GPU tests (``pytest -m gpu``) remain
the authority.

Set EMU_JITTER=1 to make threads yield at random around shared-memory accesses,
for other interleavings.
"""

import itertools
import os
import shutil

import numpy as np
import pytest

from .cuda_emulator.emu import FakeCupy, load_cuda_module
from .test_batched import check_cuda_kernels, cuda_kernel_inputs, row_counts


def emulate(build_dir, jitter=False):
    """(a fresh _cuda module running on the emulator, its fake cupy)"""
    if shutil.which("g++") is None:
        pytest.skip("the CUDA emulator needs g++")
    from sk01loss._kernels import _cuda
    fake = FakeCupy(build_dir, jitter)
    return load_cuda_module(_cuda.__file__, fake), fake


@pytest.fixture(scope="module")
def emulated(tmp_path_factory):
    return emulate(tmp_path_factory.mktemp("cuda_emulator"),
                   jitter=bool(int(os.environ.get("EMU_JITTER", "0"))))


def check_kernels(emulated, *inputs):
    """``check_cuda_kernels`` on the emulator, with no emulator issue logged."""
    cuda, fake = emulated
    fake.issues.clear()
    check_cuda_kernels(cuda, np, *inputs)
    assert not fake.issues, f"emulator issues (kernel, count), details on stderr: {fake.issues}"


@pytest.mark.parametrize("shared, dtype, counts", list(itertools.product(
    [True, False], [np.float32, np.float64], [np.int64, np.float64])))
def test_gpu_test_inputs(emulated, shared, dtype, counts):
    """The inputs of test_batched.test_cuda_kernels_equal_the_array_code."""
    check_kernels(emulated, *cuda_kernel_inputs(shared, dtype, counts))


# seed, V, C, n_b, n_buckets, shared, dtype, counts, windows, integer-valued data
EDGE_CASES = [
    (1, 2, 3, 1, 1, True, np.float64, np.int64, "all", False),
    (2, 1, 2, 31, 1024, False, np.float32, np.float64, "random", False),
    (4, 3, 2, 255, 1024, True, np.float64, np.float64, "top", False),
    (5, 2, 3, 256, 1024, False, np.float64, np.int64, "bottom", False),
    (6, 2, 2, 257, 7, True, np.float32, np.float64, "random", False),
    (8, 2, 3, 777, 1, True, np.float64, np.float64, "random", False),
    (9, 2, 3, 513, 4, True, np.float64, np.int64, "random", True),
]


@pytest.mark.parametrize(
    "seed, V, C, n_b, n_buckets, shared, dtype, counts, windows, integer_x", EDGE_CASES)
def test_edge_cases(emulated, seed, V, C, n_b, n_buckets, shared, dtype, counts, windows,
                    integer_x):
    """Row counts around the 256-row tile, one bucket and many, windows at the edge
    buckets (``windows``: "all", "top", "bottom" or "random"), a zero scale, and
    integer data (values on bucket edges, many ties)."""
    rng = np.random.default_rng(seed)
    d, n = 4, n_b + 50
    shape = (d, n) if shared else (V, d, n)
    if integer_x:
        XT = rng.integers(-3, 4, shape).astype(dtype)
        p = rng.integers(-3, 4, (V, n_b)).astype(np.float64)
        low, high = np.full((V, C), -2.0), np.full((V, C), 2.0)
    else:
        XT = rng.standard_normal(shape).astype(dtype)
        p = rng.standard_normal((V, n_b))
        low, high = rng.uniform(-2, 0, (V, C)), rng.uniform(0, 2, (V, C))
    XT[..., : n // 3] = 0.0
    scale = n_buckets / (high - low)
    scale[0, 0] = 0.0
    args = [XT, p, np.stack([rng.choice(n, n_b, replace=False) for _ in range(V)]),
            rng.integers(0, d, (V, C)), rng.choice([-0.3, 0.5, 2.0], C), low, high, scale]
    tp_drop, tn_gain = row_counts(rng, V, n_b, counts)
    if windows == "random":
        first = rng.integers(0, n_buckets + 2, (V, C))
        last = np.minimum(first + rng.integers(0, 3, (V, C)), n_buckets + 1)
        first[0, -1], last[0, -1] = 0, n_buckets + 1  # one candidate takes every row
    else:
        first = np.full((V, C), n_buckets + 1 if windows == "top" else 0)
        last = np.full((V, C), 0 if windows == "bottom" else n_buckets + 1)
    w = rng.standard_normal((V * 100 + 7, 33))  # more than one block of rows
    check_kernels(emulated, args, n_buckets, tp_drop, tn_gain, first, last, w)


def test_the_emulator_catches_a_missing_barrier(tmp_path):
    """The race check works: without the barrier between zeroing the shared histogram
    and counting into it, bucket_counts logs issues."""
    broken, fake = emulate(tmp_path)
    barrier = "s_count[b] = 0;\n    __syncthreads();"
    assert barrier in broken._SOURCE, "update this test to the kernel source"
    broken._SOURCE = broken._SOURCE.replace(barrier, "s_count[b] = 0;")
    rng = np.random.default_rng(0)
    XT = rng.standard_normal((3, 300))
    args = [XT, rng.standard_normal((1, 300)), rng.permutation(300)[None],
            np.zeros((1, 1), np.int64), np.array([1.0]), np.full((1, 1), -2.0),
            np.full((1, 1), 2.0), np.full((1, 1), 1.0)]
    broken.bucket_counts(*args, 4)
    assert fake.issues, "the emulator missed a shared-memory race"
