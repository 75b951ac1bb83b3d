"""Threshold ("bias") search primitives shared by every CPU kernel.

All objectives of the paper are functions of the confusion counts of a threshold,
so they are computed from counts: equal counts give bitwise-equal objectives, which
keeps "first maximum" and "strictly better" decisions exact and identical to the
slow reference implementation in ``tests/reference``. With sample weights the counts
are sums of the rows' weights (float64): exact, hence decided alike by every
back-end, wherever the sums are (integer weights, multiples of a power of two);
without weights every row counts 1 and the sums are the integer counts.

Vocabulary: over values sorted ascending, threshold index ``t`` puts
sorted positions ``< t`` below the threshold and positions ``>= t`` above it.

The same scans serve a linear model (above = predicted 1) and a hidden node of
MLP01 (above = node on, which may or may not flip the network's output). Each row
therefore carries two numbers: ``tp_drop``, the true positives lost, and
``tn_gain``, the true negatives gained, when the row goes from above the threshold
to below it (each in {-1, 0, 1}, times the row's weight). With ``tp_above`` and
``tn_above`` the counts when every row is above, a threshold with ``D`` rows below
scores ``TP = tp_above - sum(tp_drop over D)`` and ``TN = tn_above + sum(tn_gain over
D)``. For a linear model ``tp_drop = y``, ``tn_gain = 1 - y``, ``tp_above = n_pos``
and ``tn_above = 0`` (times the weights).
"""

import numpy as np

from ._jit import jit as _jit
from .core import BALANCED, EDGE_OFFSET, PLUS  # noqa: F401 (the objective codes)


@_jit
def objective(tp, tn, n_pos, n_neg, kind):
    """Balanced accuracy, or balanced + plain accuracy ("plus"), from counts."""
    balanced = 0.5 * (tp / n_pos + tn / n_neg)
    if kind == BALANCED:
        return balanced
    return balanced + (tp + tn) / (n_pos + n_neg)


@_jit
def full_scan(tp_drop, tn_gain, tp_above, tn_above, n_pos, n_neg, kind):
    """Best threshold index over ``t = 0 .. m-1`` (first maximum) and its objective,
    for rows in ascending order of value."""
    best_t = 0
    best = -np.inf
    tp, tn = tp_above, tn_above
    for t in range(tp_drop.shape[0]):
        value = objective(tp, tn, n_pos, n_neg, kind)
        if value > best:
            best = value
            best_t = t
        tp -= tp_drop[t]
        tn += tn_gain[t]
    return best_t, best


@_jit
def flipped_scan(tp_drop, tn_gain, tp_above, tn_above, n_pos, n_neg, kind):
    """The full scan of the flipped orientation, from the same per-row counts.

    Rows in ascending order of value; threshold index ``t`` in ``1 .. m`` puts sorted
    positions ``< t`` *above* (predicted 1, for a linear model) and positions
    ``>= t`` below: the thresholds of the negated weights ``-w`` (``t = m``, every
    row above, is the mirror of ``t = 0`` of :func:`full_scan`). Returns the best
    ``t`` (first maximum in increasing ``t``) and its objective.
    """
    m = tp_drop.shape[0]
    tp, tn = tp_above, tn_above
    for t in range(m):  # every row below
        tp -= tp_drop[t]
        tn += tn_gain[t]
    best_t = 1
    best = -np.inf
    for t in range(1, m + 1):
        tp += tp_drop[t - 1]
        tn -= tn_gain[t - 1]
        value = objective(tp, tn, n_pos, n_neg, kind)
        if value > best:
            best = value
            best_t = t
    return best_t, best


@_jit
def flipped_bias_at(sorted_values, t):
    """Bias of the negated weights ``-w`` that puts sorted positions ``< t`` above the
    boundary (:func:`flipped_scan`): ``-p + b > 0`` exactly where ``p < b``.

    Half-way between the neighbours for ``t < m``; for ``t = m`` just above the
    largest value, so every row is predicted 1 (the mirror of :func:`bias_at` at 0).
    """
    m = sorted_values.shape[0]
    if t == m:
        return sorted_values[m - 1] + EDGE_OFFSET
    return 0.5 * (sorted_values[t - 1] + sorted_values[t])


@_jit
def bias_at(sorted_values, t):
    """Bias that puts the decision boundary at threshold index ``t``.

    Half-way between the neighbours for ``t > 0``; for ``t = 0`` just below the
    smallest value, so every row is predicted 1.
    """
    if t == 0:
        return -sorted_values[0] + EDGE_OFFSET
    return -0.5 * (sorted_values[t - 1] + sorted_values[t])


@_jit
def score_rows(scores, labels, weight, n_pos, n_neg, kind):
    """Objective of predicting 1 where ``scores > 0`` (used on the full training set).

    ``weight``: each row's weight (float64), or an empty array (every row counts 1);
    ``n_pos``, ``n_neg``: the classes' total weights (counts)."""
    if weight.shape[0] == 0:
        tp = 0
        tn = 0
        for i in range(scores.shape[0]):
            if scores[i] > 0:
                tp += labels[i]
            else:
                tn += 1 - labels[i]
        return objective(tp, tn, n_pos, n_neg, kind)
    tp_w = 0.0
    tn_w = 0.0
    for i in range(scores.shape[0]):
        if scores[i] > 0:
            tp_w += labels[i] * weight[i]
        else:
            tn_w += (1 - labels[i]) * weight[i]
    return objective(tp_w, tn_w, n_pos, n_neg, kind)


# --- stable sort ---------------------------------------------------------------------


@_jit
def argsort_stable(values):
    """Stable argsort of float64 values: ``np.argsort(values, kind="stable")``
    (fewer than 2**31 of them, as the kernels' row numbers).

    An LSD radix sort of the top 32 bits of each value's order-preserving key (sign,
    exponent, 20 bits of mantissa), then each run of equal top bits, rare unless the
    values are equal, put in order of the full key: by insertion, or where long by
    the same radix sort of the low 32 bits. Several times faster than a comparison
    sort on the batch sizes of the paper, and twice a radix sort of the full 64-bit
    keys.
    """
    n = values.shape[0]
    if n >= 2**31:
        raise ValueError("argsort_stable sorts fewer than 2**31 values")
    bits = values.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    top = np.empty(n, dtype=np.uint32)
    for i in range(n):
        top[i] = np.uint32(_key(bits[i], sign) >> np.uint64(32))
    top, index = _radix_argsort32(top, np.arange(n, dtype=np.int32))
    order = np.empty(n, dtype=np.int64)
    low_mask = np.uint64(0xFFFFFFFF)
    t = 0
    while t < n:  # each run of equal top bits in order of the full key, stably
        u = t + 1
        while u < n and top[u] == top[t]:
            u += 1
        if u - t > 64:  # a long run: equal values (in order already), or values
            low = np.empty(u - t, dtype=np.uint32)  # apart in their low bits only
            equal = True
            for m in range(t, u):
                low[m - t] = np.uint32(_key(bits[index[m]], sign) & low_mask)
                equal &= low[m - t] == low[0]
            by_low = index[t:u] if equal else _radix_argsort32(low, index[t:u].copy())[1]
            for m in range(t, u):
                order[m] = by_low[m - t]
            t = u
            continue
        order[t] = index[t]
        for m in range(t + 1, u):
            row = np.int64(index[m])
            key = _key(bits[row], sign)
            q = m
            while q > t and _key(bits[order[q - 1]], sign) > key:
                order[q] = order[q - 1]
                q -= 1
            order[q] = row
        t = u
    return order


@_jit
def _key(u, sign):
    """The order-preserving unsigned key of the bits ``u`` of a double."""
    if u == sign:  # -0.0 sorts as 0.0
        u = np.uint64(0)
    return ~u if u & sign else u | sign


@_jit
def _radix_argsort32(keys, index):
    """``keys`` (uint32) sorted and ``index`` (int32) carried along, by a stable LSD
    radix sort (3 passes of 11 bits; a pass whose digit all keys share is skipped);
    both arrays are used as scratch."""
    n = keys.shape[0]
    radix = 11
    mask = np.uint32((1 << radix) - 1)
    counts = np.zeros((3, 1 << radix), dtype=np.int64)
    for i in range(n):
        k = keys[i]
        counts[0, k & mask] += 1
        counts[1, (k >> np.uint32(radix)) & mask] += 1
        counts[2, k >> np.uint32(2 * radix)] += 1
    keys_out = np.empty_like(keys)
    index_out = np.empty_like(index)
    for p in range(3):
        offsets = counts[p]
        if offsets.max() == n:
            continue
        total = 0
        for b in range(1 << radix):
            count = offsets[b]
            offsets[b] = total
            total += count
        shift = np.uint32(p * radix)
        for i in range(n):
            digit = (keys[i] >> shift) & mask
            o = offsets[digit]
            keys_out[o] = keys[i]
            index_out[o] = index[i]
            offsets[digit] = o + 1
        keys, keys_out = keys_out, keys
        index, index_out = index_out, index
    return keys, index


#: :func:`argsort_few` gives up (and radix-sorts) beyond this fraction of distinct values.
FEW_DISTINCT = 0.5

#: :func:`argsort_few` gives up as soon as this many first values are all distinct.
ALL_DISTINCT = 256


@_jit
def argsort_few(values):
    """:func:`argsort_stable` (the same order) for values of which few are distinct,
    such as MLP01's output scores (a few thousand hidden bit patterns for tens of
    thousands of rows): the distinct values are found by hashing their bits, sorted
    alone, and the rows then counted into place in index order (a counting sort by
    the rank of their value), in O(n) plus a sort of the distinct values. With more
    than :data:`FEW_DISTINCT` of them distinct, or the first :data:`ALL_DISTINCT`
    all distinct (continuous values, such as projections on the data),
    :func:`argsort_stable` instead.
    """
    n = values.shape[0]
    limit = int(FEW_DISTINCT * n) + 1
    log_size = 4
    while (1 << log_size) < 2 * limit:  # open addressing, at most half full
        log_size += 1
    mask = (1 << log_size) - 1
    table_key = np.empty(1 << log_size, dtype=np.uint64)
    table_id = np.full(1 << log_size, -1, dtype=np.int64)
    distinct = np.empty(limit)
    ident = np.empty(n, dtype=np.int64)  # each row's distinct value, by first appearance
    bits = values.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    n_distinct = 0
    for i in range(n):
        u = bits[i]
        if u == sign:  # -0.0 is 0.0
            u = np.uint64(0)
        h = np.int64((u * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - log_size))
        while table_id[h] >= 0 and table_key[h] != u:
            h = (h + 1) & mask
        if table_id[h] < 0:
            if n_distinct == limit:
                return argsort_stable(values)
            table_key[h] = u
            table_id[h] = n_distinct
            distinct[n_distinct] = values[i]
            n_distinct += 1
            if n_distinct == ALL_DISTINCT == i + 1:
                return argsort_stable(values)
        ident[i] = table_id[h]
    rank = np.empty(n_distinct, dtype=np.int64)
    by_value = argsort_stable(distinct[:n_distinct])
    for k in range(n_distinct):
        rank[by_value[k]] = k
    start = np.zeros(n_distinct + 1, dtype=np.int64)
    for i in range(n):
        start[rank[ident[i]] + 1] += 1
    for k in range(n_distinct):
        start[k + 1] += start[k]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        k = rank[ident[i]]
        out[start[k]] = i
        start[k] += 1
    return out


# --- partial sorting by the key (value, tiebreak) -------------------------------------
# Rows with equal projections are ordered by their position in the batch, the order a
# stable sort of the batch gives; keys are therefore unique and their order exact.


@_jit
def _less(values, tiebreak, i, j):
    return values[i] < values[j] or (values[i] == values[j] and tiebreak[i] < tiebreak[j])


@_jit
def _swap(values, tiebreak, tp_drop, tn_gain, i, j):
    values[i], values[j] = values[j], values[i]
    tiebreak[i], tiebreak[j] = tiebreak[j], tiebreak[i]
    tp_drop[i], tp_drop[j] = tp_drop[j], tp_drop[i]
    tn_gain[i], tn_gain[j] = tn_gain[j], tn_gain[i]


@_jit
def insertion_sort(values, tiebreak, tp_drop, tn_gain, left, right):
    """Sort ``[left, right)`` by key; used on the few rows a candidate moves into a
    bias window."""
    for i in range(left + 1, right):
        j = i
        while j > left and _less(values, tiebreak, j, j - 1):
            _swap(values, tiebreak, tp_drop, tn_gain, j, j - 1)
            j -= 1


# --- windowed search for one candidate ------------------------------------------------


#: Most value buckets of a window search (about the square root of the band's rows).
MAX_BUCKETS = 512


@_jit
def _bucket(v, low, inv_width, n_buckets):
    # monotone in v: 0 below ``low``, 1..n_buckets up to the window's upper bound
    # ``low + n_buckets / inv_width``, n_buckets + 1 from there; branch-free, as which
    # side of the window a moved row lands on is unpredictable
    return int(np.floor(min(max((v - low) * inv_width, -1.0), float(n_buckets)))) + 1


#: Copies of the bucket histogram that consecutive moved rows update in turn: most
#: rows start or land in the two outer buckets, and updates of one memory word wait
#: for each other.
LANES = 8


@_jit
def window_scratch(n_b, like):
    """Scratch arrays of :func:`window_search` for batches of ``n_b`` rows, with counts
    in the dtype of the array ``like`` (int64 counts, or float64 sums of weights)."""
    n_slots = LANES * (MAX_BUCKETS + 2)
    return (np.empty(n_b), np.empty(n_b, dtype=np.int64), np.empty(n_b, like.dtype),
            np.empty(n_b, like.dtype), np.empty(n_b, dtype=np.int64),
            np.empty(n_b, dtype=np.int64), np.empty(n_slots, dtype=np.int64),
            np.empty(n_slots, like.dtype), np.empty(n_slots, like.dtype),
            (np.empty(n_b), np.empty(n_b, dtype=np.int64), np.empty(n_b, like.dtype),
             np.empty(n_b, like.dtype)))


@_jit
def bucket_grid():
    """An empty cache of :func:`bucket_starts`: bucket starts and what they were
    computed for."""
    return np.empty(MAX_BUCKETS + 3, dtype=np.int64), np.full(4, np.nan)


@_jit
def bucket_starts(sorted_p, a, end, low, high, inv_width, n_buckets, grid):
    """``start[b]`` (``b = 0 .. n_buckets + 2``): the first position of ``[a, end)``
    whose value in the ascending ``sorted_p`` falls in a bucket ``>= b`` of
    :func:`_bucket` on ``[low, high]``, by binary searches.

    ``grid`` (:func:`bucket_grid`) keeps the last starts: candidates of columns with
    the same bounds share band and bounds, so their starts are computed once.
    """
    start, key = grid
    if key[0] == a and key[1] == end and key[2] == low and key[3] == high:
        return start
    for b in range(n_buckets + 3):
        left, right = a, end
        while left < right:
            mid = (left + right) // 2
            if _bucket(sorted_p[mid], low, inv_width, n_buckets) < b:
                left = mid + 1
            else:
                right = mid
        start[b] = left
    key[0], key[1], key[2], key[3] = a, end, low, high
    return start


@_jit
def window_search(sorted_p, tp_drop, tn_gain, order, drop_before, gain_before, x_row, rows, band,
                  sigma, a, end, lo, hi, low, high, tp_above, tn_above, n_pos, n_neg, kind,
                  linear, weighted, scratch, grid):
    """Best threshold index in ``[lo, hi)`` for values ``p + sigma * x``.

    ``sorted_p`` (with the rows' ``tp_drop``/``tn_gain``, batch positions ``order`` and
    their prefix sums ``drop_before``/``gain_before``) is the batch sorted by the
    current value ``p``. Only rows at sorted positions ``[a, end)`` can reach ranks
    ``lo-1 .. hi-1`` (rows before ``a`` stay below, rows after ``end`` above), and the
    values at those ranks lie in ``[low, high]``. The rows moved are those at
    positions in ``[a, end)`` whose ``x`` (``x_row[rows[position]]``) is non-zero;
    ``band = (positions, x, p, tp_drop, tn_gain)`` lists them; every other row keeps
    its value and its place in ``sorted_p``.
    ``linear`` says that every row has ``tp_drop + tn_gain = 1`` (a linear model
    without weights), ``weighted`` that ``tp_drop``, ``tn_gain`` hold weights
    (float64 sums; else small integers, int64, summed in packed integers).
    Work is O(moved rows + sqrt(band) log(band)) plus a selection among the rows that
    fall in the value buckets around the window; the O(sqrt(band) log(band)) part is
    skipped when ``grid`` (:func:`bucket_grid`) already holds the buckets of the same
    band and bounds. ``scratch`` is :func:`window_scratch`'s.

    Returns ``(t, objective, value at rank t-1, value at rank t)``; ties go to the
    smallest ``t``. Ranks use the key (value, batch position).
    """
    moved_pos, moved_x, moved_p, moved_drop, moved_gain = band
    values, tiebreak, win_drop, win_gain, old_bucket, new_bucket, packed, drops, gains, \
        merged = scratch
    size = end - a
    n_buckets = min(MAX_BUCKETS, max(4, int(np.sqrt(size))))
    inv_width = n_buckets / (high - low)
    start = bucket_starts(sorted_p, a, end, low, high, inv_width, n_buckets, grid)
    # each moved row leaves its bucket for another: first the buckets (vectorised),
    # then the moves, into LANES interleaved histograms of (count + tp_drop << 32) and
    # tn_gain (counts stay far below 2**31)
    n_moved = moved_pos.shape[0]
    for i in range(n_moved):
        old_bucket[i] = _bucket(moved_p[i], low, inv_width, n_buckets)
        new_bucket[i] = _bucket(moved_p[i] + sigma * moved_x[i], low, inv_width, n_buckets)
    n_slots = LANES * (n_buckets + 2)
    packed[:n_slots] = 0
    zero = drop_before[0]  # 0 in the dtype of the counts
    if weighted:
        # weights: counts in ``packed``, the weighted sums in their own histograms
        drops[:n_slots] = 0
        gains[:n_slots] = 0
        for i in range(n_moved):
            lane = i & (LANES - 1)
            old, new = LANES * old_bucket[i] + lane, LANES * new_bucket[i] + lane
            packed[old] -= 1
            packed[new] += 1
            drops[old] -= moved_drop[i]
            drops[new] += moved_drop[i]
            gains[old] -= moved_gain[i]
            gains[new] += moved_gain[i]
    else:
        if not linear:
            gains[:n_slots] = 0
        for i in range(n_moved):
            lane = i & (LANES - 1)
            inc = 1 + (np.int64(moved_drop[i]) << 32)
            packed[LANES * old_bucket[i] + lane] -= inc
            packed[LANES * new_bucket[i] + lane] += inc
            if not linear and moved_gain[i] != 0:  # rare for a hidden node: predictable
                gains[LANES * old_bucket[i] + lane] -= moved_gain[i]
                gains[LANES * new_bucket[i] + lane] += moved_gain[i]
    count = np.empty(n_buckets + 2, dtype=np.int64)
    drop = np.empty(n_buckets + 2, drop_before.dtype)
    gain = np.empty(n_buckets + 2, drop_before.dtype)
    for b in range(n_buckets + 2):
        v = 0
        g = zero
        for lane in range(LANES):
            v += packed[LANES * b + lane]
        if weighted:
            d_w = zero
            for lane in range(LANES):
                d_w += drops[LANES * b + lane]
                g += gains[LANES * b + lane]
            count[b] = start[b + 1] - start[b] + v
            drop[b] = drop_before[start[b + 1]] - drop_before[start[b]] + d_w
            gain[b] = gain_before[start[b + 1]] - gain_before[start[b]] + g
            continue
        if not linear:
            for lane in range(LANES):
                g += gains[LANES * b + lane]
        c = ((v + (1 << 31)) & ((1 << 32) - 1)) - (1 << 31)  # signed low half
        d = (v - c) >> 32
        count[b] = start[b + 1] - start[b] + c
        drop[b] = drop_before[start[b + 1]] - drop_before[start[b]] + d
        gain[b] = gain_before[start[b + 1]] - gain_before[start[b]] + ((c - d) if linear else g)
    # buckets holding ranks max(lo-1, 0) and hi-1; rows before ``a`` are all below
    base = a
    tp = tp_above - drop_before[a]
    tn = tn_above + gain_before[a]
    first_bucket = 0
    while base + count[first_bucket] <= max(lo - 1, 0):
        base += count[first_bucket]
        tp -= drop[first_bucket]
        tn += gain[first_bucket]
        first_bucket += 1
    last_bucket = first_bucket
    reach = base + count[first_bucket]
    while reach <= hi - 1:
        last_bucket += 1
        reach += count[last_bucket]
    if first_bucket == 0 and a > 0:
        raise RuntimeError("window bounds violated")
    # gather the rows of those buckets: unmoved ones by position (in key order), then
    # moved ones by value
    size = 0
    for m in range(start[first_bucket], start[last_bucket + 1]):
        if x_row[rows[m]] == 0.0:
            values[size] = sorted_p[m]
            tiebreak[size] = order[m]
            win_drop[size] = tp_drop[m]
            win_gain[size] = tn_gain[m]
            size += 1
    n_sorted = size
    for i in range(n_moved):
        if first_bucket <= new_bucket[i] <= last_bucket:
            m = moved_pos[i]
            values[size] = moved_p[i] + sigma * moved_x[i]
            tiebreak[size] = order[m]
            win_drop[size] = moved_drop[i]
            win_gain[size] = moved_gain[i]
            size += 1
    return best_in_window(values, tiebreak, win_drop, win_gain, n_sorted, size, base, lo, hi,
                          tp, tn, n_pos, n_neg, kind, merged)


@_jit
def sort_by_key(values, tiebreak, tp_drop, tn_gain, left, right):
    """Sort ``[left, right)`` by key: by insertion where short (or nearly in order),
    else by two stable sorts (batch position, then value)."""
    if right - left <= 64:
        insertion_sort(values, tiebreak, tp_drop, tn_gain, left, right)
        return
    by_tie = argsort_stable(tiebreak[left:right].astype(np.float64))  # exact below 2**53
    by_key = by_tie[argsort_stable(values[left:right][by_tie])]
    values[left:right] = values[left:right][by_key]
    tiebreak[left:right] = tiebreak[left:right][by_key]
    tp_drop[left:right] = tp_drop[left:right][by_key]
    tn_gain[left:right] = tn_gain[left:right][by_key]


@_jit
def merge_by_key(values, tiebreak, tp_drop, tn_gain, middle, size, need, out):
    """The first ``need`` rows, in key order, of ``[0, middle)`` and ``[middle, size)``,
    each in key order already, into ``out`` (values, tiebreak, tp_drop, tn_gain)."""
    out_values, out_tie, out_drop, out_gain = out
    i, j = 0, middle
    for k in range(need):
        take_first = j == size or (i < middle and _less(values, tiebreak, i, j))
        src = i if take_first else j
        out_values[k] = values[src]
        out_tie[k] = tiebreak[src]
        out_drop[k] = tp_drop[src]
        out_gain[k] = tn_gain[src]
        if take_first:
            i += 1
        else:
            j += 1


@_jit
def best_in_window(values, tiebreak, win_drop, win_gain, n_sorted, size, base, lo, hi, tp, tn,
                   n_pos, n_neg, kind, merged):
    """The end of a window search: the best threshold index in ``[lo, hi)``.

    ``[0, size)`` of ``values`` (with ``tiebreak``, ``win_drop``, ``win_gain``) holds
    the candidate's rows of ranks ``base .. base + size - 1``, a range that covers
    ranks ``lo-1 .. hi-1``, its first ``n_sorted`` in key order (the rows the
    candidate leaves where they were), the others in any order; ``tp``, ``tn`` are the
    counts with ranks ``< base`` below the threshold. The others are sorted
    (:func:`sort_by_key`), the two merged into ``merged`` up to rank ``hi-1``, and the
    window's thresholds scanned.

    Returns ``(t, objective, value at rank t-1, value at rank t)`` (the value at rank
    ``t-1`` is NaN when it was not gathered, ``t = 0``); ties go to the smallest ``t``.
    """
    first = lo - 1 - base
    last = hi - 1 - base
    sort_by_key(values, tiebreak, win_drop, win_gain, n_sorted, size)
    merge_by_key(values, tiebreak, win_drop, win_gain, n_sorted, size, last + 1, merged)
    values, tiebreak, win_drop, win_gain = merged
    for m in range(first + 1):
        tp -= win_drop[m]
        tn += win_gain[m]
    best_t = lo
    best = -np.inf
    for t in range(lo, hi):
        value = objective(tp, tn, n_pos, n_neg, kind)
        if value > best:
            best = value
            best_t = t
        tp -= win_drop[t - base]
        tn += win_gain[t - base]
    m = best_t - base
    before = values[m - 1] if m > 0 else np.nan
    return best_t, best, before, values[m]


# --- windowed search for one candidate that moves some rows by the same amount ---------


@_jit
def _n_below(values, shift, v, inclusive):
    # how many of the ascending ``values`` plus ``shift`` are < v (<= v when
    # ``inclusive``): ``p + shift`` is non-decreasing in p (rounding is monotone)
    left, right = 0, values.shape[0]
    while left < right:
        mid = (left + right) // 2
        u = values[mid] + shift
        if u < v or (inclusive and u == v):
            left = mid + 1
        else:
            right = mid
    return left


@_jit
def _n_at_most(run_value, run_start, moved_count, sigma, v):
    # candidate values <= v: the unmoved rows with p <= v and the moved with p + sigma <= v
    s = _n_below(run_value, 0.0, v, True)
    return run_start[s] - moved_count[s] + moved_count[_n_below(run_value, sigma, v, True)]


@_jit
def _value_at_rank(run_value, run_start, moved_count, sigma, rank):
    # The smallest candidate value with more than ``rank`` values <= it. It is also the
    # smallest such value among all p and p + sigma (between two candidate values the
    # count does not change), each found by a binary search over the runs.
    found = np.inf
    for s in range(2):
        shift = 0.0 if s == 0 else sigma
        left, right = 0, run_value.shape[0]
        while left < right:
            mid = (left + right) // 2
            if _n_at_most(run_value, run_start, moved_count, sigma, run_value[mid] + shift) > rank:
                right = mid
            else:
                left = mid + 1
        if left < run_value.shape[0]:
            found = min(found, run_value[left] + shift)
    return found


@_jit
def shifted_window_search(sorted_p, tp_drop, tn_gain, order, drop_before, gain_before, run_value,
                          run_start, moved_bits, bit, moved_count, moved_drop, moved_gain, sigma,
                          lo, hi, tp_above, tn_above, n_pos, n_neg, kind, scratch):
    """:func:`window_search` for a candidate that adds the same ``sigma`` to some rows'
    values (a column of 0/1 values: ``x = 1`` moves, ``x = 0`` stays). Same result.

    The batch is ``sorted_p`` (with the rows' ``tp_drop``/``tn_gain``, batch positions
    ``order`` and the prefix sums ``drop_before``/``gain_before``), as for
    :func:`window_search`; or a band of it that holds ranks ``lo-1 .. hi-1`` whatever
    the candidate, with ``lo``, ``hi`` and the returned ``t`` counted from the band's
    start and ``drop_before``/``gain_before`` still counting every row before each
    position. ``run_start`` (n_runs + 1): the sorted positions where a new
    value of ``sorted_p`` starts, then ``n_b``; ``run_value``: those values. The row at
    sorted position ``m`` moves where bit ``bit`` of ``moved_bits[m]`` is set;
    ``moved_count``, ``moved_drop``, ``moved_gain`` (n_runs + 1) are the prefix sums over
    the runs of the moved rows alone: their number and their ``tp_drop``, ``tn_gain``
    before each run. The sums must be exact (integer counts, or weights whose every sum
    is exact), as they are not formed in :func:`window_search`'s order.

    Method. The candidate's order is a merge of two sequences already in order: the
    unmoved rows (values ``p``) and the moved rows (values ``p + sigma``, non-decreasing
    in ``p``; equal ones are ordered by batch position). The number of candidate
    values ``<= v`` is then two binary searches over the runs' values and two look-ups
    of ``moved_count``; binary searches of that count find the values at ranks
    ``max(lo-1, 0)`` and ``hi-1``, and the counts below the first. No histogram, no
    pass over the band of rows that may move: only the rows whose candidate value lies
    between those two values are gathered (slices of ``sorted_p``) and ordered by
    :func:`best_in_window`. Work O(log² n_runs) plus those rows.

    Returns ``(t, objective, value at rank t-1, value at rank t)``, ties to the smallest
    ``t``; ranks use the key (value, batch position).
    """
    values, tiebreak, win_drop, win_gain, merged = (scratch[0], scratch[1], scratch[2],
                                                    scratch[3], scratch[9])
    v_lo = _value_at_rank(run_value, run_start, moved_count, sigma, max(lo - 1, 0))
    v_hi = _value_at_rank(run_value, run_start, moved_count, sigma, hi - 1)
    # the unmoved rows of runs [s_lo, s_hi) and the moved rows of runs [m_lo, m_hi)
    # hold the values in [v_lo, v_hi]; those below v_lo have ranks < base
    s_lo = _n_below(run_value, 0.0, v_lo, False)
    s_hi = _n_below(run_value, 0.0, v_hi, True)
    m_lo = _n_below(run_value, sigma, v_lo, False)
    m_hi = _n_below(run_value, sigma, v_hi, True)
    base = run_start[s_lo] - moved_count[s_lo] + moved_count[m_lo]
    first = run_start[s_lo]
    tp = tp_above - (drop_before[first] - moved_drop[s_lo]) - moved_drop[m_lo]
    tn = tn_above + (gain_before[first] - moved_gain[s_lo]) + moved_gain[m_lo]
    size = 0
    one = np.uint64(1)
    for m in range(run_start[s_lo], run_start[s_hi]):
        if (moved_bits[m] >> bit) & one == 0:
            values[size] = sorted_p[m]
            tiebreak[size] = order[m]
            win_drop[size] = tp_drop[m]
            win_gain[size] = tn_gain[m]
            size += 1
    n_sorted = size
    for m in range(run_start[m_lo], run_start[m_hi]):  # in value order (ties aside)
        if (moved_bits[m] >> bit) & one != 0:
            values[size] = sorted_p[m] + sigma
            tiebreak[size] = order[m]
            win_drop[size] = tp_drop[m]
            win_gain[size] = tn_gain[m]
            size += 1
    return best_in_window(values, tiebreak, win_drop, win_gain, n_sorted, size, base, lo, hi,
                          tp, tn, n_pos, n_neg, kind, merged)
