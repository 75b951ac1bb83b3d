"""The batched coordinate search: a search step of all votes of a problem at once, as
array operations over (vote, candidate, row) written against an array namespace
``xp`` -- NumPy on any machine, CuPy on a GPU. ``batched_scd01`` and
``batched_mlp01`` advance all votes together, one iteration at a time, with it.

Every random draw still comes from each vote's ``VotePlan`` on the host, and every
floating-point operation that decides something is the one the Numba kernels do
(candidate values ``p + sigma * x``, stable sorts keyed by batch position, objectives
from integer counts, the same bias and normalisation formulas, sequential sums), so
on data where rounding cannot differ the two back-ends fit identical models. With
sample weights the counts are float64 sums of the rows' weights, added in other
orders than the Numba kernels add them: the decisions are the same wherever those
sums are exact (integer weights, multiples of a power of two), on NumPy and CUDA
alike, and each back-end adds in a fixed order, so a fit gives the same bits on
every run.

A window search never sorts a candidate's batch: a histogram of value buckets
(spread over the range the window's values can reach) says which rows can hold the
window's ranks, and only those (typically ~100 of 45,000) are gathered and sorted.
On CUDA (``_cuda``) each candidate is one thread block; the array code here builds
(vote, candidate, row) tensors instead and is the reference the CUDA kernels are
tested against.

Memory, with V votes, n_b batch rows, B = ``n_buckets`` + 2 and M the most rows
gathered for one candidate: candidates are located in chunks of
``C = max_bytes // (V * (ARRAY_BYTES * n_b + HISTOGRAM_BYTES * B))`` and searched
in chunks of ``C = max_bytes // (V * (ARRAY_BYTES * n_b + GATHER_BYTES * M))``;
``ARRAY_BYTES`` is 0 on CUDA, so there all 2k candidates of an iteration usually
fit one chunk (32-vote MNIST fits: a CuPy memory pool of 0.6 GiB for SCD01,
1.9 GiB for MLP01).
"""

import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from .core import BALANCED, EDGE_OFFSET, SearchResult

MAX_BYTES = 2 << 30
N_BUCKETS = 1024
ARRAY_BYTES = 64  # NumPy path: the (V, C, n_b) tensors, per row
HISTOGRAM_BYTES = 16  # per bucket: its count and the cumulative count
GATHER_BYTES = 72  # per gathered row: values, counts, sort order, sorted copies


def _objective(xp, tp, tn, n_pos, n_neg, kind):
    balanced = 0.5 * (tp / n_pos + tn / n_neg)
    if kind == BALANCED:
        return balanced
    return balanced + (tp + tn) / (n_pos + n_neg)


def _sequential_sum_of_squares(xp, w):
    """Sum of squares of each row of ``w``, added in index order as the Numba kernels
    add them (so both back-ends round alike)."""
    if xp.__name__ == "cupy":
        from ._cuda import sequential_sum_of_squares

        return sequential_sum_of_squares(w)
    return xp.cumsum(w * w, axis=1)[:, -1]  # NumPy's cumsum adds in order


def _take(xp, a, index):
    return xp.take_along_axis(a, index, axis=-1)


def project(xp, XT, w):
    """``w @ XT`` for every row of ``w`` (..., d), summed feature by feature like the
    Numba kernel (so on the same data both give the same bits)."""
    out = xp.zeros(w.shape[:-1] + (XT.shape[1],))
    used = to_host((w != 0).reshape(-1, w.shape[-1]).any(axis=0))  # one device sync
    for j in np.flatnonzero(used):
        wj = w[..., j, None]
        out += xp.where(wj != 0, XT[j] * wj, 0.0)
    return out


def feature_bounds(xp, XT):
    """The largest ``|x|`` of each feature of the feature-major data: the ``x_bound``
    of ``search_steps``."""
    return xp.abs(XT).max(axis=1)


def _columns(XT, votes, j):
    """Rows ``j`` of the feature-major data, shared (d, n) or per vote (V, d, n)."""
    return XT[j] if XT.ndim == 2 else XT[votes, j]


def apply_moves(xp, XT, P, w, accept, j, sigma):
    """``w <- (w + sigma e_j) / norm`` and ``P`` to match, for the accepting votes."""
    votes = xp.flatnonzero(accept)
    if votes.size == 0:
        return
    wv, jv, sv = w[votes], j[votes], sigma[votes]
    wj = wv[xp.arange(votes.size), jv]
    norm = xp.sqrt(_sequential_sum_of_squares(xp, wv) - wj * wj + (wj + sv) * (wj + sv))
    wv[xp.arange(votes.size), jv] += sv
    w[votes] = wv / norm[:, None]
    P[votes] = (P[votes] + sv[:, None] * _columns(XT, votes, jv)) / norm[:, None]


def _bias_at(xp, sorted_values, t):
    """``bias_at`` of the threshold module for one threshold per row."""
    rows = xp.arange(sorted_values.shape[0])
    at = sorted_values[rows, t]
    before = sorted_values[rows, xp.maximum(t - 1, 0)]
    return xp.where(t == 0, -at + EDGE_OFFSET, -0.5 * (before + at))


def _per_vote(a, ndim):
    """A per-vote total (V,) shaped to broadcast against (V, ...) arrays of ``ndim``
    dimensions; a Python number (the unweighted counts) as it is."""
    return a if np.isscalar(a) else a.reshape(a.shape + (1,) * (ndim - 1))


def search_steps(xp, XT, x_bound, P, w, y, off, on, batch, coords, step, window, kind,
                 max_bytes=MAX_BYTES, n_buckets=N_BUCKETS, flipped=False, weight=None):
    """``cpu_search.search_step`` for every vote at once.

    ``XT`` (d, n) data shared by the votes, or (V, d, n) one matrix per vote (the
    hidden bits for an output step), and ``x_bound`` (d,) or (V, d) an upper bound of
    its absolute values per feature; ``P`` (V, n) values, ``w`` (V, d) weights,
    ``off``/``on`` (V, n) predictions below/above the threshold, ``batch`` (V, n_b),
    ``coords`` (V, k). Returns a :class:`SearchResult` of arrays over votes
    (``best_c`` indexes the sign-major candidate list); with ``flipped``, the flipped
    orientation's full scan too (``_threshold.flipped_scan``). ``weight`` (n,)
    float64: each row's weight in the objective (``None``: every row counts 1).
    """
    V, n_b = batch.shape
    k = coords.shape[1]
    p = _take(xp, P, batch)
    labels = y[batch].astype(np.int64)
    on_batch = _take(xp, on, batch).astype(np.int64)
    flip = on_batch - _take(xp, off, batch).astype(np.int64)
    if weight is None:
        tp_drop = labels * flip
        tn_gain = (1 - labels) * flip
        n_pos = int(labels[0].sum())
        n_neg = n_b - n_pos
        tp_above = (labels * on_batch).sum(axis=1)
        tn_above = ((1 - labels) * (1 - on_batch)).sum(axis=1)
    else:
        row_weight = weight[batch]
        pos = labels * row_weight
        neg = (1 - labels) * row_weight
        tp_drop = pos * flip
        tn_gain = neg * flip
        n_pos = xp.cumsum(pos, axis=1)[:, -1]
        n_neg = xp.cumsum(neg, axis=1)[:, -1]
        tp_above = (pos * on_batch).sum(axis=1)
        tn_above = (neg * (1 - on_batch)).sum(axis=1)

    order = xp.argsort(p, axis=1, kind="stable")
    sorted_p = _take(xp, p, order)
    sorted_drop, sorted_gain = _take(xp, tp_drop, order), _take(xp, tn_gain, order)
    full = _objective(xp, tp_above[:, None] - (xp.cumsum(sorted_drop, axis=1) - sorted_drop),
                      tn_above[:, None] + (xp.cumsum(sorted_gain, axis=1) - sorted_gain),
                      _per_vote(n_pos, 2), _per_vote(n_neg, 2), kind)
    t0 = xp.argmax(full, axis=1)
    votes = xp.arange(V)
    obj0 = full[votes, t0]
    bias0 = _bias_at(xp, sorted_p, t0)
    flip_t = xp.full(V, -1, dtype=np.int64)
    flip_obj = xp.full(V, -np.inf)
    flip_bias = xp.zeros(V)
    if flipped:
        # positions < t above (t = 1 .. n_b): from every row below, add rows back
        tp_all_below = tp_above - sorted_drop.sum(axis=1)
        tn_all_below = tn_above + sorted_gain.sum(axis=1)
        full_flipped = _objective(xp, tp_all_below[:, None] + xp.cumsum(sorted_drop, axis=1),
                             tn_all_below[:, None] - xp.cumsum(sorted_gain, axis=1),
                             _per_vote(n_pos, 2), _per_vote(n_neg, 2), kind)
        flip_t = xp.argmax(full_flipped, axis=1) + 1
        flip_obj = full_flipped[votes, flip_t - 1]
        at = sorted_p[votes, xp.minimum(flip_t, n_b - 1)]
        before = sorted_p[votes, flip_t - 1]
        flip_bias = xp.where(flip_t == n_b, before + EDGE_OFFSET, 0.5 * (before + at))

    lo = xp.maximum(t0 - window, 0)
    hi = xp.minimum(t0 + window, n_b)
    width = 2 * window
    thresholds = xp.minimum(lo[:, None] + xp.arange(width), n_b - 1)  # (V, width)
    valid = (lo[:, None] + xp.arange(width)) < hi[:, None]
    # the ranks a window search reads: values at ranks lo-1 .. hi-1
    ranks = (xp.maximum(lo - 1, 0), hi - 1)
    rank_values = tuple(sorted_p[votes, r] for r in ranks)
    best_obj = xp.full(V, -np.inf)
    best_c = xp.full(V, -1, dtype=np.int64)
    best_t = xp.zeros(V, dtype=np.int64)
    best_bias = xp.zeros(V)
    if k == 0:  # only the current threshold was asked for
        return SearchResult(t0, obj0, bias0, best_c, best_t, best_obj, best_bias, flip_t,
                            flip_obj, flip_bias)
    signs = xp.concatenate([xp.full(k, step), xp.full(k, -step)])
    columns = xp.concatenate([coords, coords], axis=1)  # (V, 2k) sign-major
    bucket_counts, gather, row_bytes = _backend(xp)

    def candidates(start, stop):
        """The arguments of ``_bucket_counts_array`` for candidates ``start .. stop-1``."""
        cols, sgn = columns[:, start:stop], signs[start:stop]
        # Sorting moves no value by more than the largest change of a row, so the values
        # at the searched ranks lie within ``shift`` of the current values there:
        # value buckets spread over that range hold few rows each. (The range only
        # makes the search fast; any monotone bucketing gives the same result.)
        bound = x_bound[cols] if x_bound.ndim == 1 else x_bound[votes[:, None], cols]
        shift = xp.abs(sgn) * bound
        low = rank_values[0][:, None] - shift
        high = rank_values[1][:, None] + shift
        span = high - low
        usable = span > 1e-200  # else every row in range shares bucket 1
        scale = xp.where(usable, n_buckets / xp.where(usable, span, 1.0), 0.0)
        return XT, p, batch, cols, sgn, low, high, scale, n_buckets

    # 1. which value buckets hold each candidate's window ranks
    per_candidate = V * (n_b * row_bytes + HISTOGRAM_BYTES * (n_buckets + 2))
    chunk = max(1, int(max_bytes // per_candidate))
    located = [_locate(xp, bucket_counts(*candidates(start, start + chunk)), ranks)
               for start in range(0, 2 * k, chunk)]
    first, last, base, size = (xp.concatenate(part, axis=1) for part in zip(*located))
    # 2. sort the rows of those buckets, score the window's thresholds
    per_candidate = V * (n_b * row_bytes + GATHER_BYTES * int(size.max()))
    chunk = max(1, int(max_bytes // per_candidate))
    wsq = _sequential_sum_of_squares(xp, w)
    for start in range(0, 2 * k, chunk):
        stop = min(2 * k, start + chunk)
        part = slice(start, stop)
        *gathered, drop_base, gain_base = gather(
            *candidates(start, stop), tp_drop, tn_gain, first[:, part], last[:, part],
            int(size[:, part].max()))
        order = xp.argsort(gathered[0], axis=-1, kind="stable")  # ties: batch position
        sorted_q, win_drop, win_gain = (_take(xp, a, order) for a in gathered)
        local = thresholds[:, None, :] - base[:, part, None]  # positions in the sorted rows
        local = xp.clip(local, 0, sorted_q.shape[-1])
        zero = xp.zeros(sorted_q.shape[:-1] + (1,), dtype=win_drop.dtype)
        drop = _take(xp, xp.concatenate([zero, xp.cumsum(win_drop, -1)], -1), local)
        gain = _take(xp, xp.concatenate([zero, xp.cumsum(win_gain, -1)], -1), local)
        values = _objective(xp, tp_above[:, None, None] - drop_base[..., None] - drop,
                            tn_above[:, None, None] + gain_base[..., None] + gain,
                            _per_vote(n_pos, 3), _per_vote(n_neg, 3), kind)
        # each candidate's squared norm; a step that would leave no weights
        # (``w = -sigma e_j``) is no candidate
        w_c = xp.take_along_axis(w, columns[:, part], axis=1)
        sgn = signs[part][None, :]
        norm_sq = wsq[:, None] - w_c * w_c + (w_c + sgn) * (w_c + sgn)
        values = xp.where(valid[:, None, :] & (norm_sq != 0)[..., None], values, -np.inf)
        flat = values.reshape(V, -1)
        pick = xp.argmax(flat, axis=1)  # first maximum in (candidate, threshold) order
        obj = flat[votes, pick]
        c_local, w_index = pick // width, pick % width
        better = obj > best_obj  # earlier chunks win ties: candidate order
        t = thresholds[votes, w_index]
        m = local[votes, c_local, w_index]
        q_best = sorted_q[votes, c_local]
        c = start + c_local
        norm = xp.sqrt(norm_sq[votes, c_local])
        norm = xp.where(norm > 0, norm, 1.0)  # (a vote whose every candidate is skipped)
        bias = xp.where(t == 0, -q_best[votes, m] / norm + EDGE_OFFSET,
                        -0.5 * (q_best[votes, xp.maximum(m - 1, 0)] + q_best[votes, m]) / norm)
        best_obj = xp.where(better, obj, best_obj)
        best_c = xp.where(better, c, best_c)
        best_t = xp.where(better, t, best_t)
        best_bias = xp.where(better, bias, best_bias)
    return SearchResult(t0, obj0, bias0, best_c, best_t, best_obj, best_bias, flip_t,
                        flip_obj, flip_bias)


def _candidates_array(xp, XT, p, batch, columns, signs, low, high, scale, n_buckets):
    """Values ``q = p + sign * x`` of the candidates (V, C, n_b) and their value
    buckets: 0 below ``low``, 1 .. n_buckets in [low, high], n_buckets + 1 above."""
    if XT.ndim == 2:
        x = XT[columns[:, :, None], batch[:, None, :]]
    else:
        x = XT[xp.arange(columns.shape[0])[:, None, None], columns[:, :, None],
               batch[:, None, :]]
    q = p[:, None, :] + signs[None, :, None] * x
    del x
    low, high, scale = low[..., None], high[..., None], scale[..., None]
    inner = xp.clip(xp.floor((q - low) * scale), 0, n_buckets - 1) + 1
    bucket = xp.where(q < low, 0, xp.where(q > high, n_buckets + 1, inner)).astype(np.int64)
    return q, bucket


def _bucket_counts_array(xp, XT, p, batch, columns, signs, low, high, scale, n_buckets):
    """The number of rows in each value bucket of each candidate: (V, C, n_buckets + 2)
    int64. ``_cuda.bucket_counts`` computes the same without the (V, C, n_b)
    tensors."""
    _, bucket = _candidates_array(xp, XT, p, batch, columns, signs, low, high, scale,
                                  n_buckets)
    V, C, _ = bucket.shape
    n_bins = n_buckets + 2
    flat = (bucket + n_bins * xp.arange(V * C).reshape(V, C, 1)).ravel()
    return xp.bincount(flat, minlength=V * C * n_bins).reshape(V, C, n_bins).astype(np.int64)


def _gather_array(xp, XT, p, batch, columns, signs, low, high, scale, n_buckets, tp_drop,
                  tn_gain, first, last, size):
    """The rows of buckets ``first .. last`` of each candidate (V, C), in batch order:
    their values, ``tp_drop`` and ``tn_gain`` (V, C, size), padded with inf, 0, 0; and
    the sums of ``tp_drop`` and of ``tn_gain`` over the rows below bucket ``first``
    (V, C), of ``tp_drop``'s dtype (int64, or float64 with sample weights).
    ``_cuda.gather`` computes the same without the (V, C, n_b) tensors."""
    q, bucket = _candidates_array(xp, XT, p, batch, columns, signs, low, high, scale,
                                  n_buckets)
    V, C, _ = q.shape
    below = bucket < first[..., None]
    drop_below = xp.where(below, tp_drop[:, None, :], 0).sum(axis=-1, dtype=tp_drop.dtype)
    gain_below = xp.where(below, tn_gain[:, None, :], 0).sum(axis=-1, dtype=tn_gain.dtype)
    del below
    keep = (bucket >= first[..., None]) & (bucket <= last[..., None])
    slot = xp.cumsum(keep, axis=-1, dtype=np.int64) - 1
    v, c, r = xp.nonzero(keep)
    s = slot[v, c, r]
    values = xp.full((V, C, size), np.inf)
    values[v, c, s] = q[v, c, r]
    win_drop = xp.zeros((V, C, size), dtype=tp_drop.dtype)
    win_gain = xp.zeros((V, C, size), dtype=tn_gain.dtype)
    win_drop[v, c, s] = tp_drop[v, r]
    win_gain[v, c, s] = tn_gain[v, r]
    return values, win_drop, win_gain, drop_below, gain_below


def _backend(xp):
    """``(bucket_counts, gather, bytes per (vote, candidate, row))`` of the namespace."""
    if xp.__name__ == "cupy":
        from . import _cuda

        return _cuda.bucket_counts, _cuda.gather, 0  # no (V, C, n_b) tensors
    return partial(_bucket_counts_array, xp), partial(_gather_array, xp), ARRAY_BYTES


def _locate(xp, counts, ranks):
    """From a chunk's bucket counts (V, C, buckets): the first and last bucket holding
    ranks ``ranks[0] .. ranks[1]`` of each vote, the number of rows before the first,
    and the number from the first to the last bucket (all (V, C))."""
    below = xp.cumsum(counts, axis=-1)
    V, C, _ = below.shape
    # cumulative counts reach past a rank in the bucket that holds it
    first = (below <= ranks[0][:, None, None]).sum(axis=-1)
    last = (below <= ranks[1][:, None, None]).sum(axis=-1)
    shifted = xp.concatenate([xp.zeros((V, C, 1), dtype=np.int64), below], axis=-1)
    base = _take(xp, shifted, first[..., None])[..., 0]
    size = _take(xp, below, last[..., None])[..., 0] - base
    return first, last, base, size


def score_rows(xp, scores, y, n_pos, n_neg, kind, weight=None):
    """Objective of predicting 1 where ``scores > 0``, per vote (rows of ``scores``);
    with ``weight`` ((n,) float64) weighted, summed in row order as the Numba kernel
    sums (``n_pos``, ``n_neg``: the classes' total weights)."""
    predicted = scores > 0
    if weight is None:
        tp = (predicted & (y == 1)).sum(axis=1)
        tn = (~predicted & (y == 0)).sum(axis=1)
    else:
        tp = xp.cumsum(xp.where(predicted & (y == 1), weight, 0.0), axis=1)[:, -1]
        tn = xp.cumsum(xp.where(~predicted & (y == 0), weight, 0.0), axis=1)[:, -1]
    return _objective(xp, tp, tn, n_pos, n_neg, kind)


def prefetched(xp, plans, n_iter, draw, n_threads=None):
    """Iteration ``it``'s draws ``draw(plan, it)`` (a namedtuple, e.g.
    ``VotePlan.mlp01_draws``) of every plan, stacked over votes on the device, for
    ``it`` in ``range(n_iter)``. Host threads (``n_threads``, default one per CPU,
    at most one per plan) draw iteration ``it + 1`` while the device runs ``it``,
    each plan in a task of its own (NumPy's samplers release the GIL), and one more
    thread stacks them. A plan draws its iterations one after the other, whichever
    thread runs them, so the draws are those of the Numba kernels."""
    def stacked(tasks):
        draws = [task.result() for task in tasks]
        return type(draws[0])._make(np.stack(part) for part in zip(*draws))

    n_threads = min(len(plans), n_threads or os.cpu_count() or 1)
    with ThreadPoolExecutor(n_threads) as drawing, ThreadPoolExecutor(1) as stacking:
        def submit(it):
            return stacking.submit(stacked, [drawing.submit(draw, plan, it) for plan in plans])

        pending = submit(0)
        for it in range(n_iter):
            current = pending.result()
            if it + 1 < n_iter:
                pending = submit(it + 1)
            yield type(current)._make(xp.asarray(a) for a in current)


def to_host(a):
    """A device array as a NumPy array."""
    return a.get() if hasattr(a, "get") else np.asarray(a)
