"""CUDA kernels (CuPy) fusing the hottest array-level steps of ``batched``.

Each computes exactly what its NumPy-written counterpart in ``batched`` computes,
in one pass over the (vote, candidate, row) tensor instead of a dozen; the GPU
tests compare the two bit for bit. Imported only when the CUDA back-end runs.
"""

from functools import lru_cache

import cupy

_CANDIDATES = r"""
const long long r = i % n_b;
const long long candidate = i / n_b;  // v * n_candidates + c
const long long c = candidate % n_candidates;
const long long v = candidate / n_candidates;
const double x = (double) XT[v * vote_stride + columns[candidate] * n + batch[v * n_b + r]];
// rounded step by step, never a fused multiply-add: the bits of the NumPy code
const double value = __dadd_rn(p[v * n_b + r], __dmul_rn(signs[c], x));
long long b;
if (value < low[candidate]) {
    b = 0;
} else if (value > high[candidate]) {
    b = n_buckets + 1;
} else {
    const double f = floor(__dmul_rn(__dsub_rn(value, low[candidate]), scale[candidate]));
    b = (long long) fmin(fmax(f, 0.0), (double) (n_buckets - 1)) + 1;
}
q = value;
bucket = b + candidate * (n_buckets + 2);
"""


@lru_cache(maxsize=None)
def _candidates_kernel():
    return cupy.ElementwiseKernel(
        "raw X XT, raw int64 batch, raw int64 columns, raw float64 signs, raw float64 p, "
        "raw float64 low, raw float64 high, raw float64 scale, int64 n, int64 n_b, "
        "int64 n_candidates, int64 vote_stride, int64 n_buckets",
        "float64 q, int64 bucket",
        _CANDIDATES,
        "sk01loss_candidates",
    )


def candidates(XT, p, batch, columns, signs, low, high, scale, n_buckets):
    """``batched._candidates_array`` in one kernel."""
    V, C = columns.shape
    n_b = batch.shape[1]
    q = cupy.empty((V, C, n_b))
    bucket = cupy.empty((V, C, n_b), dtype=cupy.int64)
    vote_stride = 0 if XT.ndim == 2 else XT.shape[1] * XT.shape[2]

    def dense(a, dtype):
        return cupy.ascontiguousarray(a, dtype=dtype)

    _candidates_kernel()(
        cupy.ascontiguousarray(XT), dense(batch, cupy.int64), dense(columns, cupy.int64),
        dense(signs, cupy.float64), dense(p, cupy.float64), dense(low, cupy.float64),
        dense(high, cupy.float64), dense(scale, cupy.float64), XT.shape[-1], n_b, C,
        vote_stride, n_buckets, q, bucket)
    return q, bucket
