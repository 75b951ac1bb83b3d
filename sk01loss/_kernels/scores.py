"""Which side of its boundary every row falls for many linear units at once: the
prediction kernel of both models (a vote of SCD01, a hidden unit of MLP01).

A row's answer depends on that row alone. Its score is summed feature by feature in
index order (BLAS sums in an order that depends on the other rows of the call, which
flips rows that sit exactly on a boundary), and in units of the row's own largest
value: the row and the biases are scaled by the same power of two (exact in floating
point), so a score cannot overflow, whatever the magnitude of the data.
"""

import math

import numpy as np
import scipy.sparse as sp

from ._jit import jit

#: Bytes of working memory a prediction call may hold per chunk of rows (the chunk's
#: float copy and its (rows, units) answers).
CHUNK_BYTES = 16 << 20


def positive(X, W, b, out):
    """``out[i, c] = X[i] @ W[:, c] + b[c] > 0`` for float rows ``X`` (n, d), dense or
    a ``scipy.sparse`` CSR matrix with sorted indices and no duplicates, weights ``W``
    (d, C) with ``|W| <= 1`` and biases ``b`` (C,) (float64); ``out`` is a bool (n, C)
    array, returned. A sparse row gives the answer of its dense form.

    Row ``i`` is summed in float64 after scaling it and the biases by ``2**-e``, with
    ``2**e <= max |X[i, j]| < 2**(e+1)`` over the features some unit weighs: exact,
    except that terms below ``2**(e - 1074)`` (more than 2**1074 times smaller than
    the row's largest value) underflow.
    """
    if sp.issparse(X):
        return _positive_csr(X.indptr, X.indices, X.data, W, b, out)
    return _positive_dense(X, W, b, out)


@jit
def _positive_dense(X, W, b, out):
    n, d = X.shape
    n_units = W.shape[1]
    used = _weighed(W)
    acc = np.empty(n_units)
    for i in range(n):
        largest = 0.0
        for j in range(d):
            if used[j]:
                largest = max(largest, abs(float(X[i, j])))
        # 2**-e brings the row's largest value into [1, 2); an all-zero row keeps e = 0
        e = math.frexp(largest)[1] - 1 if largest > 0.0 else 0
        acc[:] = 0.0
        for j in range(d):
            if not used[j]:
                continue  # (scaled, an unweighed value could overflow: inf * 0 = nan)
            x = math.ldexp(float(X[i, j]), -e)
            if x != 0.0:  # adding 0 * w changes no sum: image data is mostly zeros
                for c in range(n_units):
                    acc[c] += x * W[j, c]
        _answer(acc, b, e, out[i])
    return out


@jit
def _weighed(W):
    """Which features some unit weighs: a bool (d,) array."""
    used = np.zeros(W.shape[0], dtype=np.bool_)
    for j in range(W.shape[0]):
        for c in range(W.shape[1]):
            used[j] |= W[j, c] != 0.0
    return used


@jit
def _answer(acc, b, e, out_row):
    """One row's answers from its sums ``acc`` in units of ``2**e``."""
    for c in range(acc.shape[0]):
        if acc[c] == 0.0:
            out_row[c] = b[c] > 0.0  # the bias alone, unscaled (it may underflow)
        else:
            out_row[c] = acc[c] + math.ldexp(b[c], -e) > 0.0


@jit
def _positive_csr(indptr, indices, data, W, b, out):
    # _positive_dense on the non-zeros: the same sums in the same order
    n_units = W.shape[1]
    used = _weighed(W)
    acc = np.empty(n_units)
    for i in range(indptr.shape[0] - 1):
        largest = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            if used[indices[k]]:
                largest = max(largest, abs(float(data[k])))
        e = math.frexp(largest)[1] - 1 if largest > 0.0 else 0
        acc[:] = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            if not used[j]:
                continue
            x = math.ldexp(float(data[k]), -e)
            if x != 0.0:
                for c in range(n_units):
                    acc[c] += x * W[j, c]
        _answer(acc, b, e, out[i])
    return out


def row_chunks(X, n_units):
    """``(rows, chunk)`` pairs covering ``X`` (n, d) in order: ``chunk`` is
    ``X[rows]`` as a C-contiguous float32 or float64 array (a view where ``X`` is one
    already), sized so that two chunks (the one in use and the next) and their
    ``(rows, n_units)`` answers stay within :data:`CHUNK_BYTES`. A ``scipy.sparse``
    CSR ``X`` gives CSR chunks with sorted indices and no duplicates (never dense)."""
    n, d = X.shape
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    if sp.issparse(X):
        row_bytes = 12 * X.nnz // max(n, 1) + 1  # a value and an index per non-zero
        step = max(1, CHUNK_BYTES // (2 * (row_bytes + n_units + 1)))
        for start in range(0, n, step):
            rows = slice(start, min(n, start + step))
            chunk = sp.csr_matrix(X[rows], dtype=dtype, copy=True)
            chunk.sum_duplicates()
            yield rows, chunk
        return
    step = max(1, CHUNK_BYTES // (2 * (8 * d + n_units + 1)))
    for start in range(0, n, step):
        rows = slice(start, min(n, start + step))
        yield rows, np.ascontiguousarray(X[rows], dtype=dtype)
