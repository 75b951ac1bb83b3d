"""The coordinate search on the CPU (Numba): one search step of a linear unit, the
search both models are made of (an SCD01 vote; MLP01's output node and hidden nodes).

The paper's search, computed exactly but without its O(n_b²) scans. Per
iteration, for a batch of ``n_b`` rows:

* the projections of *all* training rows ``P = X @ w`` are maintained incrementally,
  so the batch projection is a gather and the full-data evaluation is O(n);
* the current ``w`` gets a full threshold scan by prefix counts (no n_b² matrix);
* a candidate ``w + sigma * e_j`` projects to ``p + sigma * x_j`` (no matmul;
  ranks are invariant to the candidate's positive normalisation, only the bias is
  divided by its norm);
* a candidate's windowed threshold search needs only the ranks ``lo-1 .. hi-1`` of
  its projections. Every projection moves by ``sigma * x`` within a known range, so
  rows far below (above) the window in the current order stay below (above) it; only
  the band in between is read. Inside it, rows with ``x = 0`` keep their order, so
  bucket counts come from binary searches plus O(1) work per non-zero ``x``, and
  only the rows in the buckets around the window are partially sorted;
* the non-zero ``x`` of the band are found from a per-column list of the rows where
  the column is non-zero (:func:`describe_columns`), read in row order, when that
  list is shorter than the band (image data is mostly zeros), else by reading the
  band;
* a candidate whose column is constant over the training data only shifts every
  projection, so it cannot be strictly better than the current ``w``: skipped;
* where few rows of the batch can change the objective (a hidden node of MLP01
  decides the network's output for a few per cent of them), every candidate is
  first bounded from those rows alone, and candidates are searched best bound first
  until no bound can win (``improving_only``).

A column of 0/1 values (MLP01's hidden bits, for its output node) moves the rows by
0 or ``sigma``: :func:`bit_search_step` merges the two orders instead of bucketing,
with the same result.

The data is read feature-major (``XT = X.T``, C-contiguous): a column is one
contiguous row of ``XT``. Sparse data is never made dense: ``XT`` then has no
columns (shape ``(d, 0)``) and :class:`Columns` holds every column's non-zero rows and
values (the CSC form of ``X``); a column a search or a move reads is scattered into a
vote's buffer of ``n`` zeros (:func:`column`) and cleared after, O(its non-zeros).
Both forms give the same numbers, so the same decisions. Ties between equal
projections are broken by batch position (the order a stable sort gives), which
makes results reproducible and comparable with the reference.
"""

import math
from collections import namedtuple

import numpy as np

from . import _threshold as th
from ._jit import jit as _jit
from .core import SearchResult, column_bounds

#: What the coordinate search knows about the columns of ``XT`` (rows of ``XT``):
#: bounds, and the rows where each column is non-zero, column ``j``'s at
#: ``nonzero_rows[nonzero_start[j]:nonzero_start[j + 1]]``. A column without a list
#: (an empty range although it is not constant) is read band by band instead. For
#: sparse data (``XT`` of shape ``(d, 0)``) every column is listed and
#: ``nonzero_values`` holds the values at those rows; for dense data it is empty.
Columns = namedtuple("Columns", ["min", "max", "nonzero_start", "nonzero_rows",
                                 "nonzero_values"])

#: Columns with more non-zeros than this fraction of rows get no list: reading the
#: band is as fast for them, and the lists stay at most half the data's size.
MAX_LISTED_DENSITY = 0.5


def describe_columns(XT, max_density=MAX_LISTED_DENSITY):
    """:class:`Columns` of the feature-major data ``XT``: a (d, n) C-contiguous array,
    or a ``scipy.sparse`` CSR matrix of shape (d, n) (``X`` in CSC form, transposed)
    with sorted indices and no explicit zeros.

    Computed once per fit and shared by all votes; the lists take 4 bytes per listed
    non-zero (16 MB for MNIST's 60000 x 784 training set, where 577 of 784 columns get
    one). Sparse data is listed whole, with its values: its own size again.
    """
    low, high = column_bounds(XT)
    if not isinstance(XT, np.ndarray):  # sparse: the lists are the CSR arrays
        return Columns(low, high, XT.indptr.astype(np.int64), XT.indices.astype(np.int32),
                       XT.data)
    n = XT.shape[1]
    counts = _count_nonzero(XT)
    counts[counts > max_density * n] = 0
    start = np.zeros(XT.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    rows = np.empty(start[-1], dtype=np.int32)  # row numbers: fewer than 2**31 rows
    _list_nonzero(XT, start, rows)
    return Columns(low, high, start, rows, np.empty(0, dtype=XT.dtype))


@_jit
def column_buffer(XT, n):
    """A vote's buffer for :func:`column`: ``n`` zeros for sparse data, else empty."""
    return np.zeros(n if XT.shape[1] != n else 0, dtype=XT.dtype)


@_jit
def column(XT, columns, j, buf):
    """Column ``j`` as a dense (n,) array: ``XT[j]``, or for sparse data its non-zeros
    scattered into ``buf`` (:func:`column_buffer`), which :func:`clear_column` zeroes
    again."""
    if buf.shape[0] == 0:
        return XT[j]
    for i in range(columns.nonzero_start[j], columns.nonzero_start[j + 1]):
        buf[columns.nonzero_rows[i]] = columns.nonzero_values[i]
    return buf


@_jit
def clear_column(columns, j, buf):
    """Undo :func:`column`'s scatter of column ``j`` (nothing to do for dense data)."""
    if buf.shape[0] > 0:
        for i in range(columns.nonzero_start[j], columns.nonzero_start[j + 1]):
            buf[columns.nonzero_rows[i]] = 0.0


@_jit
def _count_nonzero(XT):
    counts = np.zeros(XT.shape[0], dtype=np.int64)
    for j in range(XT.shape[0]):
        for i in range(XT.shape[1]):
            counts[j] += XT[j, i] != 0
    return counts


@_jit
def _list_nonzero(XT, start, rows):
    for j in range(XT.shape[0]):
        k = start[j]
        if start[j + 1] > k:
            for i in range(XT.shape[1]):
                if XT[j, i] != 0:
                    rows[k] = i
                    k += 1


#: ``ranked`` argument of a search whose projections are not kept in order (the batch
#: is then sorted from scratch).
NOT_RANKED = np.empty(0, dtype=np.int64)

#: ``weight`` argument of an unweighted search or score: every row counts 1. Its dtype
#: is that of the counts: int64 without weights (the integer kernels), float64 with.
UNWEIGHTED = np.empty(0, dtype=np.int64)


def sums_are_exact(weight):
    """Whether every sum and difference of sums of the weights (a float64 array, or
    :data:`UNWEIGHTED`) is exact in float64, so that any order of summation gives the
    same numbers: the weights are multiples of one power of two ``2**e`` (the lowest
    set bit of any of them) and their total stays below ``2**(e + 53)``."""
    weight = np.abs(weight[weight != 0])
    if weight.size == 0:
        return True
    if not np.all(np.isfinite(weight)):
        return False
    mantissa, exponent = np.frexp(weight)  # weight = mantissa * 2**exponent, 0.5 <= mantissa < 1
    digits = (mantissa * 2.0**53).astype(np.int64)  # weight = digits * 2**(exponent - 53)
    lowest = exponent - 53 + np.log2(digits & -digits).astype(np.int64)
    return math.fsum(weight) < math.ldexp(1.0, int(lowest.min()) + 53)


@_jit
def rank_rows(P):
    """Every row in ascending order of ``P``: the ``ranked`` state of a vote, kept
    up to date by :func:`apply_move`."""
    return th.argsort_stable(P)


def vote_ranking(P, n_batch):
    """The ``ranked`` state of a vote whose batches hold ``n_batch`` of the rows of
    ``P``: :func:`rank_rows` where keeping every row in order is cheaper than sorting
    each batch, else :data:`NOT_RANKED`.

    Keeping the order costs O(n) per accepted move (:func:`rerank`) and per batch
    (:func:`sort_batch` reads the batch off it); sorting a batch from scratch costs
    O(n_batch) with a larger constant. On MNIST the two break even at batches of
    about half the rows. Either way the search sees the same sorted batch.
    """
    return rank_rows(P) if 2 * n_batch > P.shape[0] else NOT_RANKED


@_jit
def sort_batch(P, batch, ranked):
    """The batch in stable ascending order of ``P``: values, rows, batch positions.

    With ``ranked`` (every row in ascending order of ``P``) the batch is read off it
    in O(n) and only runs of equal values are sorted (by batch position); with
    :data:`NOT_RANKED` the batch is sorted from scratch (``_threshold.argsort_few``:
    counted into place when few values are distinct, else radix-sorted).
    """
    n_b = batch.shape[0]
    if ranked.shape[0] == 0:
        p = np.empty(n_b)
        for i in range(n_b):
            p[i] = P[batch[i]]
        order = th.argsort_few(p)
        sorted_p = np.empty(n_b)
        rows = np.empty(n_b, dtype=np.int64)
        for k in range(n_b):
            sorted_p[k] = p[order[k]]
            rows[k] = batch[order[k]]
        return sorted_p, rows, order
    slot = np.full(P.shape[0], -1, dtype=np.int64)  # batch position of each row
    for i in range(n_b):
        slot[batch[i]] = i
    # one spare entry: the branch-free scan writes every row before deciding to keep it
    sorted_p = np.empty(n_b + 1)
    rows = np.empty(n_b + 1, dtype=np.int64)
    order = np.empty(n_b + 1, dtype=np.int64)
    k = 0
    for r in ranked:
        i = slot[r]
        sorted_p[k] = P[r]
        rows[k] = r
        order[k] = i
        k += i >= 0
    # equal values keep their batch order, as a stable sort of the batch would
    t = 0
    while t < n_b:
        u = t + 1
        while u < n_b and sorted_p[u] == sorted_p[t]:
            u += 1
        if u - t > 16:  # a long run (duplicate rows, hidden bit patterns)
            by_position = np.argsort(order[t:u])
            rows[t:u] = rows[t:u][by_position]
            order[t:u] = order[t:u][by_position]
        else:
            for m in range(t + 1, u):
                q = m
                while q > t and order[q] < order[q - 1]:
                    order[q], order[q - 1] = order[q - 1], order[q]
                    rows[q], rows[q - 1] = rows[q - 1], rows[q]
                    q -= 1
        t = u
    return sorted_p[:n_b], rows[:n_b], order[:n_b]


@_jit
def sorted_counts(P, batch, ranked, y, off, on, weight):
    """The batch in ascending order of ``P`` (:func:`sort_batch`) and what a threshold
    search of it counts: ``(sorted_p, rows, order, tp_drop, tn_gain, drop_before,
    gain_before, tp_above, tn_above, n_pos, n_neg, linear)``.

    ``tp_drop``, ``tn_gain``: each sorted row's counts (``_threshold`` vocabulary), in
    the dtype of ``weight`` (int64 counts without weights, float64 sums of weights with
    them); ``drop_before``, ``gain_before`` (n_b + 1): their prefix sums; ``tp_above``,
    ``tn_above``: the counts with every row above; ``n_pos``, ``n_neg``: the class
    totals; ``linear``: every row flips the output and counts 1.
    """
    n_b = batch.shape[0]
    sorted_p, rows, order = sort_batch(P, batch, ranked)
    weighted = weight.shape[0] > 0
    tp_drop = np.empty(n_b, weight.dtype)
    tn_gain = np.empty(n_b, weight.dtype)
    drop_before = np.empty(n_b + 1, weight.dtype)  # prefix sums over sorted positions
    gain_before = np.empty(n_b + 1, weight.dtype)
    drop_before[0] = 0
    gain_before[0] = 0
    zero = drop_before[0]
    n_pos = zero
    n_neg = zero
    linear = not weighted  # every row flips the output and counts 1: tp_drop + tn_gain = 1
    tp_above = zero
    tn_above = zero
    for t in range(n_b):
        r = rows[t]
        label = np.int64(y[r])
        flip = np.int64(on[r]) - np.int64(off[r])
        linear &= flip == 1
        pos = label * weight[r] if weighted else label
        neg = (1 - label) * weight[r] if weighted else 1 - label
        n_pos += pos
        n_neg += neg
        tp_above += pos * on[r]
        tn_above += neg * (1 - on[r])
        tp_drop[t] = pos * flip
        tn_gain[t] = neg * flip
        drop_before[t + 1] = drop_before[t] + tp_drop[t]
        gain_before[t + 1] = gain_before[t] + tn_gain[t]
    return (sorted_p, rows, order, tp_drop, tn_gain, drop_before, gain_before, tp_above,
            tn_above, n_pos, n_neg, linear)


@_jit
def band_bounds(sorted_p, lo, hi, shift):
    """The sorted positions ``[a, end)`` that can reach ranks ``lo-1 .. hi-1`` of a
    candidate whose rows move relative to each other by at most ``shift``, and the
    rounding margin used: rows before ``a`` (from ``end`` on) stay below rank ``lo-1``
    (above rank ``hi-1``) whatever the candidate does to them, as at least
    ``n_b - lo + 1`` rows stay above each of them (``hi`` below)."""
    margin = 1e-9 * (1.0 + abs(sorted_p[lo]) + abs(sorted_p[hi - 1]) + shift)
    a = 0
    if lo > 0:
        a = np.searchsorted(sorted_p, sorted_p[lo - 1] - shift - 2 * margin, side="left")
    end = np.searchsorted(sorted_p, sorted_p[hi - 1] + shift + 2 * margin, side="right")
    return a, end, margin


@_jit
def search_step(XT, P, w, y, off, on, batch, coords, step, window, kind, columns, ranked,
                flipped=False, weight=UNWEIGHTED, improving_only=False):
    """One coordinate search of an SCD01 iteration, or of a hidden node of MLP01
    (nothing is modified).

    Parameters
    ----------
    XT : (d, n) float array, the training data feature-major (``X.T``, C-contiguous).
    P : (n,) float64, ``X @ w`` for the current ``w``.
    w : (d,) float64 current weights.
    y : (n,) int8 0/1 labels.
    off, on : (n,) int8, the 0/1 prediction of each row when it is below / above the
        threshold (a linear model: all 0 / all 1; a hidden node: the network's output
        with the node off / on).
    batch : (n_b,) int64 row indices.
    coords : (k,) int64 coordinate indices, in the order candidates are ranked.
    step : float, coordinate step (paper: w_inc).
    window : int, half-width of the bias window in sorted positions (paper: interval).
    kind : objective code (``BALANCED`` or ``PLUS``).
    columns : :class:`Columns` of ``XT``.
    ranked : (n,) int64, every row in ascending order of ``P`` (:func:`rank_rows`), or
        :data:`NOT_RANKED`.
    flipped : bool
        Also score the flipped orientation ``-w`` by a full scan of the same sorted
        batch (``_threshold.flipped_scan``; O(n_b)).
    weight : (n,) float64
        Each row's weight in the objective (every accuracy a weighted accuracy), or
        :data:`UNWEIGHTED` (every row counts 1: integer counts). The counts take its
        dtype, so the unweighted search is compiled with integer counts.
    improving_only : bool
        Report the best candidate only if it is strictly better than the current
        ``w`` (``obj0``), else none (``best_c = -1``): what a caller that moves on
        strict improvement needs. Where few rows of the batch count (a hidden node:
        the rows whose network output the node decides), candidates are then
        searched best bound first (:func:`candidate_bounds`, widened by
        :func:`bound_slack` for weighted sums) and those that cannot win are
        skipped: the same result as searching them all.

    Returns
    -------
    result : :class:`sk01loss._kernels.core.SearchResult`
        ``t0, obj0, bias0``: the current ``w``'s best threshold on the batch (full
        scan); ``best_c, best_t, best_obj, best_bias``: the best candidate (index in
        sign-major order ``+step for coords..., -step for coords...``; ties to the
        smallest), its threshold index, objective and bias (in units of the
        normalised candidate); ``best_c = -1`` if every candidate was skipped (a
        constant column, or a step that would leave no weights: ``w = -sigma e_j``);
        ``flip_t, flip_obj, flip_bias``: the flipped orientation's best threshold
        (``-1, -inf, 0`` unless ``flipped``).
    """
    n_b = batch.shape[0]
    k = coords.shape[0]
    sorted_p, rows, order, tp_drop, tn_gain, drop_before, gain_before, tp_above, tn_above, \
        n_pos, n_neg, linear = sorted_counts(P, batch, ranked, y, off, on, weight)
    weighted = weight.shape[0] > 0
    t0, obj0 = th.full_scan(tp_drop, tn_gain, tp_above, tn_above, n_pos, n_neg, kind)
    bias0 = th.bias_at(sorted_p, t0)
    flip_t, flip_obj, flip_bias = -1, -np.inf, 0.0
    if flipped:
        flip_t, flip_obj = th.flipped_scan(tp_drop, tn_gain, tp_above, tn_above, n_pos, n_neg,
                                           kind)
        flip_bias = th.flipped_bias_at(sorted_p, flip_t)

    lo = max(0, t0 - window)
    hi = min(n_b, t0 + window)
    wsq = squared_norm(w)
    # one spare slot: the scans below write a row before deciding to keep it
    moved = (np.empty(n_b + 1, dtype=np.int64), np.empty(n_b + 1, dtype=np.int64),
             np.empty(n_b + 1), np.empty(n_b + 1), np.empty(n_b + 1, weight.dtype),
             np.empty(n_b + 1, weight.dtype))
    position = np.full(P.shape[0], -1, dtype=np.int32)  # sorted position of a batch row
    for t in range(n_b):
        position[rows[t]] = t
    scratch = th.window_scratch(n_b, weight)
    grids = (th.bucket_grid(), th.bucket_grid())  # one per sign
    buf = column_buffer(XT, P.shape[0])
    # candidates in their order (c = 0 .. 2k-1), or best bound first where few rows
    # count (where most do, the bounds would be loose and cost what they save)
    bounded = False
    bound = np.empty(0)
    slack = 0.0
    if improving_only and not linear:
        counted = counted_rows(tp_drop, tn_gain)
        bounded = 4 * counted.shape[0] <= n_b
        if bounded:
            bound = candidate_bounds(XT, sorted_p, rows, tp_drop, tn_gain, drop_before,
                                     gain_before, counted, coords, step, lo, hi, columns,
                                     tp_above, tn_above, n_pos, n_neg, kind, buf)
            # a bound is at least its candidate's objective in exact arithmetic;
            # ``slack`` covers the rounding of sums of weights formed in another order
            slack = bound_slack(n_b, n_pos, n_neg) if weighted else 0.0
    if bounded:
        queue = th.argsort_stable(-bound)
    else:
        queue = np.empty(2 * k, dtype=np.int64)
        for jj in range(k):  # column by column: the two signs share its rows
            queue[2 * jj] = jj
            queue[2 * jj + 1] = k + jj

    best_c, best_t, best_obj = -1, -1, -np.inf
    best_values = (0.0, 0.0)  # the best candidate's values at ranks best_t - 1, best_t
    band_of = -1  # the column whose moved rows ``moved[:n_moved]`` holds
    n_moved = 0
    for c in queue:
        if bounded:
            if bound[c] + slack <= obj0 or bound[c] + slack < best_obj:
                break  # so are all later ones
            if bound[c] + slack == best_obj and c > best_c:
                continue
        jj = c % k
        j = coords[jj]
        if columns.min[j] == columns.max[j]:
            continue  # a constant column only shifts every projection
        sigma = step if c < k else -step
        if candidate_norm(w, wsq, j, sigma) == 0.0:
            continue  # the step would leave no weights (a single one, equal to the step)
        a, end, margin = band_bounds(sorted_p, lo, hi, column_shift(columns, j, step))
        x_row = column(XT, columns, j, buf)
        if band_of != j:
            n_moved = moved_rows(x_row, columns, j, a, end, sorted_p, rows, position, P, y, off,
                                 on, tp_drop, tn_gain, weight, moved)
            band_of = j
        mpos, _, mx, mp, mdrop, mgain = moved  # (the rows are for moved_rows only)
        band = (mpos[:n_moved], mx[:n_moved], mp[:n_moved], mdrop[:n_moved], mgain[:n_moved])
        low, high = window_limits(sorted_p, lo, hi, margin, columns, j, sigma)
        cand_t, cand_obj, value_lo, value_t = th.window_search(
            sorted_p, tp_drop, tn_gain, order, drop_before, gain_before, x_row, rows, band,
            sigma, a, end, lo, hi, low, high, tp_above, tn_above, n_pos, n_neg, kind, linear,
            weighted, scratch, grids[0 if c < k else 1],
        )
        if cand_obj > best_obj or (cand_obj == best_obj and c < best_c):
            best_c, best_t, best_obj = c, cand_t, cand_obj
            best_values = (value_lo, value_t)
        clear_column(columns, j, buf)
    if improving_only and not best_obj > obj0:
        best_c, best_t, best_obj = -1, -1, -np.inf
    best_bias = 0.0
    if best_c >= 0:  # the bias of the best candidate only: the same in any search order
        best_bias = candidate_bias(w, wsq, coords[best_c % k], step if best_c < k else -step,
                                   best_t, best_values[0], best_values[1])
    return SearchResult(t0, obj0, bias0, best_c, best_t, best_obj, best_bias, flip_t, flip_obj,
                        flip_bias)


@_jit
def bound_slack(n_b, n_pos, n_neg):
    """How far rounding can move an objective of weighted counts (float sums of at
    most ``n_b`` weights, formed in different orders) between two computations of it:
    each count within ``4 n_b`` roundings of ``2**-53 (n_pos + n_neg)``, and the
    objective divides by the class totals. Infinite where a class has no weight."""
    smaller = min(n_pos, n_neg)
    if not smaller > 0:
        return np.inf
    return 32.0 * n_b * 2.0**-52 * (n_pos + n_neg) / smaller


@_jit
def column_shift(columns, j, step):
    """The most a candidate on column ``j`` moves a row relative to another: every
    row's value moves by ``sigma * x`` with ``x`` in ``[min, max]``, or by 0."""
    low, high = columns.min[j], columns.max[j]
    return step * max(abs(low), abs(high), high - low)


@_jit
def window_limits(sorted_p, lo, hi, margin, columns, j, sigma):
    """Bounds on the values of a candidate at ranks ``lo-1 .. hi-1``: every row moves
    by ``sigma * x``, between ``s_lo`` and ``s_hi``, so every order statistic does
    (with :func:`band_bounds`'s rounding ``margin``)."""
    s_lo = min(0.0, sigma * columns.min[j], sigma * columns.max[j])
    s_hi = max(0.0, sigma * columns.min[j], sigma * columns.max[j])
    return sorted_p[max(lo - 1, 0)] + s_lo - margin, sorted_p[hi - 1] + s_hi + margin


@_jit
def moved_rows(x_row, columns, j, a, end, sorted_p, rows, position, P, y, off, on, tp_drop,
               tn_gain, weight, moved):
    """The rows of sorted positions ``[a, end)`` where column ``j`` (``x_row``) is
    non-zero, the only ones a candidate on it moves there, into ``moved`` (positions,
    rows, x, values, ``tp_drop``, ``tn_gain``); returns their number.

    Rows with x = 0 keep their value and hence their relative order. What the window
    search needs of each moved row is read in row order (from the column's list,
    when shorter than the band) or in band order. Branch-free scans: whether a row
    is kept is unpredictable.
    """
    moved_pos, moved_row, moved_x, moved_p, moved_drop, moved_gain = moved
    weighted = weight.shape[0] > 0
    n_moved = 0
    first, last = columns.nonzero_start[j], columns.nonzero_start[j + 1]
    if 0 < last - first <= end - a:
        for i in range(first, last):
            r = columns.nonzero_rows[i]
            m = position[r]
            moved_pos[n_moved] = m
            moved_row[n_moved] = r
            n_moved += np.uint32(m - a) < np.uint32(end - a)  # a <= m < end
        for i in range(n_moved):
            r = moved_row[i]
            label = np.int64(y[r])
            flip = np.int64(on[r]) - np.int64(off[r])
            moved_x[i] = x_row[r]
            moved_p[i] = P[r]
            if weighted:
                moved_drop[i] = label * weight[r] * flip
                moved_gain[i] = (1 - label) * weight[r] * flip
            else:
                moved_drop[i] = label * flip
                moved_gain[i] = (1 - label) * flip
    else:
        for m in range(a, end):
            x = x_row[rows[m]]
            moved_pos[n_moved] = m
            moved_x[n_moved] = x
            n_moved += x != 0.0
        for i in range(n_moved):
            m = moved_pos[i]
            moved_p[i] = sorted_p[m]
            moved_drop[i] = tp_drop[m]
            moved_gain[i] = tn_gain[m]
    return n_moved


@_jit
def counted_rows(tp_drop, tn_gain):
    """The sorted positions of the rows whose side of the threshold changes the
    objective (``tp_drop`` or ``tn_gain`` non-zero), ascending."""
    out = np.empty(tp_drop.shape[0] + 1, dtype=np.int64)
    n = 0
    for m in range(tp_drop.shape[0]):  # branch-free
        out[n] = m
        n += (tp_drop[m] != 0) | (tn_gain[m] != 0)
    return out[:n]


#: Value buckets of :func:`candidate_bounds`.
BOUND_BUCKETS = 64


@_jit
def candidate_bounds(XT, sorted_p, rows, tp_drop, tn_gain, drop_before, gain_before, counted,
                     coords, step, lo, hi, columns, tp_above, tn_above, n_pos, n_neg, kind, buf):
    """An upper bound on the windowed objective of every candidate of
    :func:`search_step` (``(2k,)``, sign-major; ``-inf`` for a constant column), in
    O(counted rows of the band) each.

    A candidate's threshold lies between its values at ranks ``lo-1`` and ``hi-1``,
    which lie in ``[low, high]`` (:func:`window_limits`). Only the ``counted`` rows
    (:func:`counted_rows`) change the objective: those whose new value is below
    ``low`` are below any threshold of the window, those above ``high`` above it,
    and those in between are bucketed by value. Any threshold puts whole buckets
    below it and splits one; the bound lets every row of the split bucket take
    its better side, and the objective grows with both counts.
    """
    k = coords.shape[0]
    bound = np.full(2 * k, -np.inf)
    # what the loops read of each counted row, in sorted order (read in sequence)
    n_counted = counted.shape[0]
    counted_row = np.empty(n_counted, dtype=np.int64)
    counted_p = np.empty(n_counted)
    counted_drop = np.empty(n_counted, tp_drop.dtype)
    counted_gain = np.empty(n_counted, tp_drop.dtype)
    for q in range(n_counted):
        m = counted[q]
        counted_row[q] = rows[m]
        counted_p[q] = sorted_p[m]
        counted_drop[q] = tp_drop[m]
        counted_gain[q] = tn_gain[m]
    counted_x = np.empty(n_counted)
    drop = np.empty(BOUND_BUCKETS, tp_drop.dtype)
    gain = np.empty(BOUND_BUCKETS, tp_drop.dtype)
    best_drop = np.empty(BOUND_BUCKETS, tp_drop.dtype)
    best_gain = np.empty(BOUND_BUCKETS, tp_drop.dtype)
    for jj in range(k):
        j = coords[jj]
        if columns.min[j] == columns.max[j]:
            continue
        a, end, margin = band_bounds(sorted_p, lo, hi, column_shift(columns, j, step))
        first = np.searchsorted(counted, a)
        last = np.searchsorted(counted, end)
        x_row = column(XT, columns, j, buf)
        for q in range(first, last):  # the column's reads alone: many of them in flight
            counted_x[q] = x_row[counted_row[q]]
        clear_column(columns, j, buf)
        for s in range(2):
            sigma = step if s == 0 else -step
            low, high = window_limits(sorted_p, lo, hi, margin, columns, j, sigma)
            scale = BOUND_BUCKETS / (high - low)
            tp = tp_above - drop_before[a]  # rows before ``a`` stay below
            tn = tn_above + gain_before[a]
            drop[:] = 0
            gain[:] = 0
            best_drop[:] = 0
            best_gain[:] = 0
            for q in range(first, last):
                value = counted_p[q] + sigma * counted_x[q]
                if value < low:
                    tp -= counted_drop[q]
                    tn += counted_gain[q]
                elif value <= high:
                    b = min(int((value - low) * scale), BOUND_BUCKETS - 1)
                    drop[b] += counted_drop[q]
                    gain[b] += counted_gain[q]
                    best_drop[b] += min(counted_drop[q], 0)  # going below gains a TP
                    best_gain[b] += max(counted_gain[q], 0)
            top = -np.inf
            for b in range(BOUND_BUCKETS):
                top = max(top, th.objective(tp - best_drop[b], tn + best_gain[b], n_pos, n_neg,
                                            kind))
                tp -= drop[b]
                tn += gain[b]
            bound[jj if s == 0 else k + jj] = top
    return bound


@_jit
def squared_norm(w):
    """``w @ w``, summed in coordinate order."""
    wsq = 0.0
    for i in range(w.shape[0]):
        wsq += w[i] * w[i]
    return wsq


@_jit
def candidate_norm(w, wsq, j, sigma):
    """Norm of the candidate ``w + sigma e_j`` (``wsq = w @ w``, :func:`squared_norm`)."""
    return np.sqrt(wsq - w[j] * w[j] + (w[j] + sigma) ** 2)


@_jit
def candidate_bias(w, wsq, j, sigma, t, value_lo, value_t):
    """Bias of the normalised candidate ``(w + sigma e_j) / norm`` (``wsq = w @ w``) at
    threshold index ``t``, between the candidate's values ``value_lo`` and ``value_t``
    at ranks ``t-1`` and ``t`` (below every row for ``t = 0``)."""
    norm = candidate_norm(w, wsq, j, sigma)
    if t == 0:
        return -value_t / norm + th.EDGE_OFFSET
    return -0.5 * (value_lo + value_t) / norm


@_jit
def bit_search_step(bits, P, w, y, batch, coords, step, window, kind, ranked,
                    weight=UNWEIGHTED):
    """:func:`search_step` of a linear model on 0/1 data ``S``: MLP01's output node,
    ``S`` the hidden bits, ``off = 0`` and ``on = 1``. Same result, when the counts are exact
    (without weights, or with weights whose every sum is exact:
    :func:`sums_are_exact`).

    Parameters
    ----------
    bits : (ceil(d / 64), n) uint64, the 0/1 data ``S`` (d, n) packed (:func:`pack_bits`).
    P, w, y, batch, coords, step, window, kind, ranked, weight
        As for :func:`search_step` (``flipped`` is not offered).

    Notes
    -----
    Candidate ``w + sigma e_j`` adds ``sigma`` to the rows with ``S[j] = 1`` and leaves
    the others, so its order of the batch is a merge of two sequences already in
    order: the rows of column ``j``'s zeros and those of its ones, each in the current
    order (the ones' values ``p + sigma`` can only become equal by rounding, and the
    key's batch position orders them then). Rows move relative to each other by at
    most ``step``, so only the band of sorted positions that :func:`search_step` reads
    for every column (:func:`band_bounds`) can reach the window; rows before it count
    whole. The band's hidden bits are packed once (:func:`sorted_bits`); its rows of
    equal value form runs (:func:`value_runs`), nearly always of equal bits
    (:func:`uniform_runs`), so the prefix sums of column ``j``'s ones are taken over
    the runs (:func:`ones_before`: O(runs), shared by both signs). Each sign is then a
    :func:`_threshold.shifted_window_search`: binary searches for the values at the
    window's ends, and the rows between them; no histogram. Every column is searched
    (the bits' bounds are taken as 0 and 1, as ``cpu_mlp01`` declares them to
    :func:`search_step`).

    The sums are formed in another order than :func:`search_step`'s; exact sums make
    them equal, so the decisions and the returned numbers are bitwise the same.
    """
    n_b = batch.shape[0]
    k = coords.shape[0]
    sorted_p, rows, order, tp_drop, tn_gain, drop_before, gain_before, tp_above, tn_above, \
        n_pos, n_neg, _ = sorted_counts(P, batch, ranked, y, np.zeros(P.shape[0], np.int8),
                                        np.ones(P.shape[0], np.int8), weight)
    t0, obj0 = th.full_scan(tp_drop, tn_gain, tp_above, tn_above, n_pos, n_neg, kind)
    bias0 = th.bias_at(sorted_p, t0)
    lo = max(0, t0 - window)
    hi = min(n_b, t0 + window)
    wsq = squared_norm(w)
    # every candidate moves rows by 0 or sigma: only the band [a, end) takes part (rows
    # before it count whole, through the prefix sums), with ranks offset by a
    a, end, _ = band_bounds(sorted_p, lo, hi, step)
    scratch = th.window_scratch(end - a, weight)
    band_bits = sorted_bits(bits, rows[a:end])
    run_start, run_value = value_runs(sorted_p[a:end])
    uniform = uniform_runs(band_bits, run_start)
    band_p, band_order = sorted_p[a:end], order[a:end]
    band_drop, band_gain = tp_drop[a:end], tn_gain[a:end]
    drop_from, gain_from = drop_before[a:end + 1], gain_before[a:end + 1]
    ones = np.empty(run_start.shape[0], dtype=np.int64)
    ones_drop = np.empty(run_start.shape[0], weight.dtype)
    ones_gain = np.empty(run_start.shape[0], weight.dtype)
    best_c, best_t, best_obj, best_bias = -1, -1, -np.inf, 0.0
    for jj in range(k):
        j = coords[jj]
        ones_before(band_bits, j, run_start, uniform, band_drop, band_gain, drop_from,
                    gain_from, ones, ones_drop, ones_gain)
        for s in range(2):
            sigma = step if s == 0 else -step
            c = jj if s == 0 else k + jj
            if candidate_norm(w, wsq, j, sigma) == 0.0:
                continue  # as in search_step
            cand_t, cand_obj, value_lo, value_t = th.shifted_window_search(
                band_p, band_drop, band_gain, band_order, drop_from, gain_from, run_value,
                run_start, band_bits[j >> 6], np.uint64(j & 63), ones, ones_drop, ones_gain, sigma,
                lo - a, hi - a, tp_above, tn_above, n_pos, n_neg, kind, scratch,
            )
            cand_t += a
            if cand_obj > best_obj or (cand_obj == best_obj and c < best_c):
                bias = candidate_bias(w, wsq, j, sigma, cand_t, value_lo, value_t)
                best_c, best_t, best_obj, best_bias = c, cand_t, cand_obj, bias
    return SearchResult(t0, obj0, bias0, best_c, best_t, best_obj, best_bias, -1, -np.inf, 0.0)


@_jit
def pack_bits(S):
    """The 0/1 columns of ``S`` (d, n), packed 64 to a word: bit ``j & 63`` of
    ``bits[j >> 6, i]`` is ``S[j, i] != 0``."""
    bits = np.zeros(((S.shape[0] + 63) >> 6, S.shape[1]), dtype=np.uint64)
    for j in range(S.shape[0]):
        word = bits[j >> 6]
        bit = np.uint64(j & 63)
        x_row = S[j]
        for i in range(S.shape[1]):
            word[i] |= np.uint64(x_row[i] != 0.0) << bit
    return bits


@_jit
def sorted_bits(bits, rows):
    """The packed bits (:func:`pack_bits`) of the rows ``rows``, in that order."""
    out = np.empty((bits.shape[0], rows.shape[0]), dtype=np.uint64)
    for w in range(bits.shape[0]):
        for m in range(rows.shape[0]):
            out[w, m] = bits[w, rows[m]]
    return out


@_jit
def value_runs(sorted_p):
    """The runs of equal values of ascending ``sorted_p``: their first positions, then
    ``n_b`` (n_runs + 1), and their values (n_runs)."""
    n_b = sorted_p.shape[0]
    start = np.empty(n_b + 1, dtype=np.int64)
    n_runs = 0
    for m in range(n_b):  # branch-free: written, then kept if a new value
        start[n_runs] = m
        n_runs += m == 0 or sorted_p[m] != sorted_p[m - 1]
    start[n_runs] = n_b
    value = np.empty(n_runs)
    for r in range(n_runs):
        value[r] = sorted_p[start[r]]
    return start[:n_runs + 1], value


@_jit
def uniform_runs(bits, run_start):
    """Whether all rows of each run have the same bits (:func:`sorted_bits`): rows of
    equal value nearly always have the same hidden bits."""
    n_runs = run_start.shape[0] - 1
    uniform = np.ones(n_runs, dtype=np.bool_)
    for word in bits:
        for r in range(n_runs):
            for m in range(run_start[r] + 1, run_start[r + 1]):
                uniform[r] &= word[m] == word[run_start[r]]
    return uniform


@_jit
def ones_before(bits, j, run_start, uniform, tp_drop, tn_gain, drop_before, gain_before, count,
                drop, gain):
    """Prefix sums over the runs (:func:`value_runs`) of the rows where column ``j`` is
    1 (from :func:`sorted_bits`): their number, ``tp_drop`` and ``tn_gain`` before each
    run, into the (n_runs + 1) arrays ``count``, ``drop``, ``gain``. A uniform run
    (:func:`uniform_runs`) counts whole, from ``drop_before`` and ``gain_before``."""
    word = bits[j >> 6]
    bit = np.uint64(j & 63)
    unit = np.uint64(1)
    count[0] = 0
    drop[0] = 0
    gain[0] = 0
    for r in range(run_start.shape[0] - 1):
        a, b = run_start[r], run_start[r + 1]
        if uniform[r]:
            one = np.int64((word[a] >> bit) & unit)
            count[r + 1] = count[r] + one * (b - a)
            drop[r + 1] = drop[r] + one * (drop_before[b] - drop_before[a])
            gain[r + 1] = gain[r] + one * (gain_before[b] - gain_before[a])
        else:
            count[r + 1] = count[r]
            drop[r + 1] = drop[r]
            gain[r + 1] = gain[r]
            for m in range(a, b):
                one = np.int64((word[m] >> bit) & unit)
                count[r + 1] += one
                drop[r + 1] += tp_drop[m] * one
                gain[r + 1] += tn_gain[m] * one


@_jit
def move_weights(w, j, sigma):
    """``w <- (w + sigma e_j) / norm`` (the weights of :func:`apply_move`); returns
    ``norm``."""
    norm = candidate_norm(w, squared_norm(w), j, sigma)
    w[j] += sigma
    for i in range(w.shape[0]):
        w[i] /= norm
    return norm


@_jit
def apply_move(XT, P, w, j, sigma, ranked, columns):
    """``w <- (w + sigma e_j) / norm``, the matching O(n) update of ``P = X @ w`` and,
    unless ``ranked`` is :data:`NOT_RANKED`, of the rows' order.

    Only rows where column ``j`` is non-zero change place: they are sorted and merged
    with the others, whose order the division by ``norm`` keeps.
    """
    norm = move_weights(w, j, sigma)
    buf = column_buffer(XT, P.shape[0])
    x_row = column(XT, columns, j, buf)
    for i in range(P.shape[0]):
        P[i] = (P[i] + sigma * x_row[i]) / norm
    if ranked.shape[0] == 0:
        return
    moved = np.zeros(P.shape[0], dtype=np.bool_)
    first, last = columns.nonzero_start[j], columns.nonzero_start[j + 1]
    if last > first:
        for i in range(first, last):
            moved[columns.nonzero_rows[i]] = True
    else:
        for i in range(P.shape[0]):
            moved[i] = x_row[i] != 0.0
    rerank(P, ranked, moved)


@_jit
def rerank(P, ranked, moved):
    """Bring ``ranked`` (every row, in the ascending order of the previous ``P``) into
    ascending order of ``P`` after the rows flagged in ``moved`` changed value.

    The flagged rows are sorted and merged with the others, which are expected to
    keep their order (a division by a positive norm does); a final insertion pass
    repairs what rounding may have swapped among them, so the result is an ascending
    order in any case, in O(n + moved log moved + swaps).
    """
    n = P.shape[0]
    stay = np.empty(n + 1, dtype=np.int64)
    go = np.empty(n + 1, dtype=np.int64)
    n_stay = 0
    n_go = 0
    for r in ranked:  # branch-free partition, in the old order
        stay[n_stay] = r
        go[n_go] = r
        n_stay += not moved[r]
        n_go += moved[r]
    go_p = np.empty(n_go)
    for i in range(n_go):
        go_p[i] = P[go[i]]
    go_order = th.argsort_stable(go_p)
    # merge, branch-free (which side the next row comes from is unpredictable); a
    # sentinel ends each side
    stay_p = np.empty(n_stay + 1)
    for i in range(n_stay):
        stay_p[i] = P[stay[i]]
    stay_p[n_stay] = np.inf
    go_rows = np.empty(n_go + 1, dtype=np.int64)
    go_sorted = np.empty(n_go + 1)
    for k in range(n_go):
        go_rows[k] = go[go_order[k]]
        go_sorted[k] = go_p[go_order[k]]
    go_sorted[n_go] = np.inf
    merged_p = np.empty(n)
    i = 0
    k = 0
    for m in range(n):
        from_stay = (stay_p[i] <= go_sorted[k]) & (i < n_stay) | (k == n_go)
        ranked[m] = stay[i] if from_stay else go_rows[k]
        merged_p[m] = stay_p[i] if from_stay else go_sorted[k]
        i += from_stay
        k += not from_stay
    for m in range(1, n):
        q = m
        while q > 0 and merged_p[q] < merged_p[q - 1]:
            merged_p[q], merged_p[q - 1] = merged_p[q - 1], merged_p[q]
            ranked[q], ranked[q - 1] = ranked[q - 1], ranked[q]
            q -= 1


@_jit
def flip_orientation(P, w, ranked):
    """``w <- -w`` and ``P <- -P`` (exact), and ``ranked`` reversed to stay in
    ascending order (equal values end up in reverse order, which :func:`sort_batch`
    repairs)."""
    for i in range(w.shape[0]):
        w[i] = -w[i]
    for i in range(P.shape[0]):
        P[i] = -P[i]
    n = ranked.shape[0]
    for i in range(n // 2):
        ranked[i], ranked[n - 1 - i] = ranked[n - 1 - i], ranked[i]


def projection(XT, W, columns, n):
    """``X @ W`` in float64, from the feature-major data ``XT`` and its
    :class:`Columns` (sparse data: ``XT`` of shape ``(d, 0)``): shape (n,) for
    weights ``W`` of shape (d,), (H, n) for (d, H) (one row per column of ``W``,
    in one pass over the data).

    Each sum is :func:`project`'s, bit for bit, for dense and sparse forms of the
    same data: feature by feature, without the terms of exact zeros (a listed column,
    :func:`describe_columns`, is read at its non-zero rows only). Adding a zero
    product changes no sum, which starts at +0.0 and so is never -0.0. The rows are
    summed a block at a time (:data:`PROJECTION_BLOCK_VALUES`), which keeps the
    output in cache when ``W`` has many columns; the non-zero lists hold each
    column's rows in ascending order.
    """
    weights = np.ascontiguousarray(np.reshape(W, (W.shape[0], -1)), dtype=np.float64)
    if XT.shape[1] == n:
        out = _project_listed(XT, columns.nonzero_start, columns.nonzero_rows, weights)
    else:
        out = _project_sparse(columns.nonzero_start, columns.nonzero_rows,
                              columns.nonzero_values, weights, n)
    return np.ascontiguousarray(out[:, 0] if np.ndim(W) == 1 else out.T)


#: Rows of ``X @ W`` that :func:`projection` sums at a time: about 256 KiB of the
#: output, which then stays in cache while every column adds to it.
PROJECTION_BLOCK_VALUES = 2**15


@_jit
def _row_blocks(n, H):
    """Rows per block of a projection with ``H`` outputs per row: all ``n`` where the
    output is small (at most 4 blocks' worth), else a block of about
    :data:`PROJECTION_BLOCK_VALUES` values."""
    if n * H <= 4 * PROJECTION_BLOCK_VALUES:
        return max(n, 1)
    return max(64, PROJECTION_BLOCK_VALUES // H)


@_jit
def _project_listed(XT, start, rows, W):
    n, H, d = XT.shape[1], W.shape[1], XT.shape[0]
    out = np.zeros((n, H))
    used = np.zeros(d, dtype=np.bool_)
    for j in range(d):
        used[j] = np.any(W[j] != 0.0)
    used_columns = np.flatnonzero(used)
    cursor = start[:-1].copy()  # each listed column's first non-zero not yet added
    block = _row_blocks(n, H)
    for r0 in range(0, n, block):  # each row still gets its features in order
        r1 = min(n, r0 + block)
        for j in used_columns:
            w_j = W[j]
            x_row = XT[j]
            last = start[j + 1]
            if last > start[j]:
                i = cursor[j]
                while i < last and rows[i] < r1:
                    r = rows[i]
                    for h in range(H):
                        out[r, h] += x_row[r] * w_j[h]
                    i += 1
                cursor[j] = i
            else:
                for r in range(r0, r1):
                    for h in range(H):
                        out[r, h] += x_row[r] * w_j[h]
    return out


@_jit
def _project_sparse(start, rows, values, W, n):
    H, d = W.shape[1], W.shape[0]
    out = np.zeros((n, H))
    used = np.zeros(d, dtype=np.bool_)
    for j in range(d):
        used[j] = start[j + 1] > start[j] and np.any(W[j] != 0.0)
    used_columns = np.flatnonzero(used)
    cursor = start[:-1].copy()
    block = _row_blocks(n, H)
    for r0 in range(0, n, block):
        r1 = min(n, r0 + block)
        for j in used_columns:
            w_j = W[j]
            i = cursor[j]
            last = start[j + 1]
            while i < last and rows[i] < r1:
                r = rows[i]
                for h in range(H):
                    out[r, h] += values[i] * w_j[h]
                i += 1
            cursor[j] = i
    return out


@_jit
def project(XT, w):
    """``X @ w`` in float64, from the dense feature-major data."""
    out = np.zeros(XT.shape[1])
    for j in range(XT.shape[0]):
        if w[j] != 0.0:
            x_row = XT[j]
            for i in range(out.shape[0]):
                out[i] += x_row[i] * w[j]
    return out
