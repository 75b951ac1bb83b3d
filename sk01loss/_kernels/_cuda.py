"""CUDA kernels (CuPy) for the hot steps of ``batched_search``.

Each function computes what its NumPy-written counterpart in ``batched_search``
computes (``_bucket_counts_array``, ``_gather_array``, ``_sequential_sum_of_squares``),
and the GPU tests compare them bit for bit. The one difference is the order in which
``gather`` adds the weights of the rows below a candidate's window when they are
float64 (sample weights): each thread adds its rows in batch order, then the block
adds the threads' sums in a fixed tree, so the sums are the same on every run, and
equal NumPy's wherever they are exact (integer weights, multiples of a power of two).
Where the array code builds (vote, candidate, row) tensors, these kernels give each
candidate one thread block that reads its rows and keeps its histogram in shared
memory, so nothing of that size is ever stored. Imported only when the CUDA
back-end runs.
"""

from functools import lru_cache

import numpy as np

try:
    import cupy
except ImportError:  # only ever called on CUDA; importable anywhere for doctest collection
    cupy = None

_THREADS = 256  # a multiple of 32: the ordered compaction works warp by warp

_SOURCE = r"""
typedef long long i64;

// q = p + sign * x, rounded step by step (never a fused multiply-add: the bits of
// the NumPy code), and its value bucket: 0 below ``low``, 1 .. n_buckets inside
// [low, high], n_buckets + 1 above
__device__ __forceinline__ double candidate_value(
        const X* XT, const i64* batch, const i64* columns, const double* signs,
        const double* p, i64 n, i64 n_b, i64 n_candidates, i64 vote_stride,
        i64 candidate, i64 r) {
    const i64 v = candidate / n_candidates;
    const double x = (double) XT[v * vote_stride + columns[candidate] * n + batch[v * n_b + r]];
    return __dadd_rn(p[v * n_b + r], __dmul_rn(signs[candidate % n_candidates], x));
}

__device__ __forceinline__ i64 bucket_of(double value, double low, double high,
                                         double scale, i64 n_buckets) {
    if (value < low) return 0;
    if (value > high) return n_buckets + 1;
    const double f = floor(__dmul_rn(__dsub_rn(value, low), scale));
    return (i64) fmin(fmax(f, 0.0), (double) (n_buckets - 1)) + 1;
}

// the number of rows in each value bucket of each candidate
extern "C" __global__ void bucket_counts(
        const X* XT, const i64* batch, const i64* columns, const double* signs,
        const double* p, const double* low, const double* high, const double* scale,
        i64 n, i64 n_b, i64 n_candidates, i64 vote_stride, i64 n_buckets, i64* count) {
    extern __shared__ int s_count[];
    const i64 n_bins = n_buckets + 2;
    const i64 candidate = blockIdx.x;
    for (i64 b = threadIdx.x; b < n_bins; b += blockDim.x) s_count[b] = 0;
    __syncthreads();
    const double lo = low[candidate], hi = high[candidate], sc = scale[candidate];
    for (i64 r = threadIdx.x; r < n_b; r += blockDim.x) {
        const double value = candidate_value(XT, batch, columns, signs, p, n, n_b,
                                             n_candidates, vote_stride, candidate, r);
        atomicAdd(&s_count[bucket_of(value, lo, hi, sc, n_buckets)], 1);
    }
    __syncthreads();
    for (i64 b = threadIdx.x; b < n_bins; b += blockDim.x)
        count[candidate * n_bins + b] = s_count[b];
}

// the sum of each thread's ``part`` over the block, in one fixed order (so a float
// sum has the same bits on every run); every thread must call it
__device__ W block_sum(W part, W* scratch) {
    scratch[threadIdx.x] = part;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) scratch[threadIdx.x] = scratch[threadIdx.x] + scratch[threadIdx.x + half];
        __syncthreads();
    }
    const W total = scratch[0];
    __syncthreads();
    return total;
}

// the rows in buckets first .. last of each candidate, in batch order (values,
// tp_drop, tn_gain), and the sums of tp_drop and tn_gain over the rows below first
extern "C" __global__ void gather(
        const X* XT, const i64* batch, const i64* columns, const double* signs,
        const double* p, const double* low, const double* high, const double* scale,
        i64 n, i64 n_b, i64 n_candidates, i64 vote_stride, i64 n_buckets,
        const W* tp_drop, const W* tn_gain, const i64* first, const i64* last, i64 size,
        double* values, W* win_drop, W* win_gain, W* drop_below, W* gain_below) {
    __shared__ int warp_totals[32];
    __shared__ i64 running;
    __shared__ W scratch[THREADS];
    const i64 candidate = blockIdx.x;
    const i64 v = candidate / n_candidates;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, n_warps = blockDim.x >> 5;
    const double lo = low[candidate], hi = high[candidate], sc = scale[candidate];
    const i64 b_first = first[candidate], b_last = last[candidate];
    W drop = 0, gain = 0;  // this thread's rows below the window, in batch order
    if (threadIdx.x == 0) running = 0;
    __syncthreads();
    for (i64 start = 0; start < n_b; start += blockDim.x) {
        const i64 r = start + threadIdx.x;
        bool keep = false;
        double value = 0.0;
        if (r < n_b) {
            value = candidate_value(XT, batch, columns, signs, p, n, n_b, n_candidates,
                                    vote_stride, candidate, r);
            const i64 b = bucket_of(value, lo, hi, sc, n_buckets);
            keep = b >= b_first && b <= b_last;
            if (b < b_first) {
                drop = drop + tp_drop[v * n_b + r];
                gain = gain + tn_gain[v * n_b + r];
            }
        }
        const unsigned mask = __ballot_sync(0xffffffffu, keep);
        if (lane == 0) warp_totals[warp] = __popc(mask);
        __syncthreads();
        if (warp == 0) {  // inclusive scan of the warps' counts
            int total = lane < n_warps ? warp_totals[lane] : 0;
            for (int offset = 1; offset < 32; offset <<= 1) {
                const int below = __shfl_up_sync(0xffffffffu, total, offset);
                if (lane >= offset) total += below;
            }
            if (lane < n_warps) warp_totals[lane] = total;
        }
        __syncthreads();
        const i64 slot = running + (warp > 0 ? warp_totals[warp - 1] : 0)
                         + __popc(mask & ((1u << lane) - 1u));
        if (keep && slot < size) {
            values[candidate * size + slot] = value;
            win_drop[candidate * size + slot] = tp_drop[v * n_b + r];
            win_gain[candidate * size + slot] = tn_gain[v * n_b + r];
        }
        __syncthreads();
        if (threadIdx.x == 0) running += warp_totals[n_warps - 1];
        __syncthreads();
    }
    drop = block_sum(drop, scratch);
    gain = block_sum(gain, scratch);
    if (threadIdx.x == 0) {
        drop_below[candidate] = drop;
        gain_below[candidate] = gain;
    }
}

// sum of w[v, j]^2 over j in index order, one thread per row (the Numba kernels'
// sequential sum; CuPy's cumsum and sum add in a different order)
extern "C" __global__ void sequential_sum_of_squares(const double* w, i64 n_rows, i64 d,
                                                     double* out) {
    const i64 v = blockIdx.x * (i64) blockDim.x + threadIdx.x;
    if (v >= n_rows) return;
    double total = 0.0;
    for (i64 j = 0; j < d; ++j) total = __dadd_rn(total, __dmul_rn(w[v * d + j], w[v * d + j]));
    out[v] = total;
}
"""


@lru_cache(maxsize=None)
def _module(x_type, w_type):
    return cupy.RawModule(code=f"#define X {x_type}\n#define W {w_type}\n"
                               f"#define THREADS {_THREADS}\n" + _SOURCE)


def _kernel(name, XT, counts=np.int64):
    """Kernel ``name`` for data of ``XT``'s dtype and row counts (``tp_drop``,
    ``tn_gain``) of dtype ``counts``: int64, or float64 with sample weights."""
    return _module("float" if XT.dtype == np.float32 else "double",
                   "double" if counts == np.float64 else "i64").get_function(name)


def _dense(a, dtype):
    return cupy.ascontiguousarray(a, dtype=dtype)


def _candidate_args(XT, p, batch, columns, signs, low, high, scale, n_buckets):
    V, C = columns.shape
    n_b = batch.shape[1]
    XT = XT if XT.dtype in (np.float32, np.float64) else XT.astype(np.float64)
    vote_stride = 0 if XT.ndim == 2 else XT.shape[1] * XT.shape[2]
    # one sign per candidate of the chunk, the same for every vote
    args = (cupy.ascontiguousarray(XT), _dense(batch, np.int64), _dense(columns, np.int64),
            _dense(signs, np.float64), _dense(p, np.float64), _dense(low, np.float64),
            _dense(high, np.float64), _dense(scale, np.float64), np.int64(XT.shape[-1]),
            np.int64(n_b), np.int64(C), np.int64(vote_stride), np.int64(n_buckets))
    return XT, V, C, args


def bucket_counts(XT, p, batch, columns, signs, low, high, scale, n_buckets):
    """``batched_search._bucket_counts_array`` with one thread block per candidate."""
    XT, V, C, args = _candidate_args(XT, p, batch, columns, signs, low, high, scale, n_buckets)
    n_bins = n_buckets + 2
    count = cupy.empty((V, C, n_bins), dtype=np.int64)
    _kernel("bucket_counts", XT)((V * C,), (_THREADS,), args + (count,),
                                 shared_mem=n_bins * 4)
    return count


def gather(XT, p, batch, columns, signs, low, high, scale, n_buckets, tp_drop, tn_gain, first,
           last, size):
    """``batched_search._gather_array`` with one thread block per candidate."""
    XT, V, C, args = _candidate_args(XT, p, batch, columns, signs, low, high, scale, n_buckets)
    counts = np.float64 if tp_drop.dtype == np.float64 else np.int64
    values = cupy.full((V, C, size), np.inf)
    win_drop = cupy.zeros((V, C, size), dtype=counts)
    win_gain = cupy.zeros((V, C, size), dtype=counts)
    drop_below = cupy.empty((V, C), dtype=counts)
    gain_below = cupy.empty((V, C), dtype=counts)
    _kernel("gather", XT, counts)((V * C,), (_THREADS,), args + (
        _dense(tp_drop, counts), _dense(tn_gain, counts), _dense(first, np.int64),
        _dense(last, np.int64), np.int64(size), values, win_drop, win_gain, drop_below,
        gain_below))
    return values, win_drop, win_gain, drop_below, gain_below


def sequential_sum_of_squares(w):
    """``batched_search._sequential_sum_of_squares`` in one kernel."""
    w = _dense(w, np.float64)
    out = cupy.empty(w.shape[0])
    blocks = (w.shape[0] + _THREADS - 1) // _THREADS
    _kernel("sequential_sum_of_squares", w)((blocks,), (_THREADS,),
                                           (w, np.int64(w.shape[0]), np.int64(w.shape[1]), out))
    return out
