"""The batched algorithm: all votes of a problem advance together, one iteration at
a time, as array operations over (vote, candidate, row) written against an array
namespace ``xp`` -- NumPy for tests on any machine, CuPy on a GPU (spec §9.3).

Every random draw still comes from each vote's ``VotePlan`` on the host, and every
floating-point operation that decides something is the one the Numba kernels do
(candidate values ``p + sigma * x``, stable sorts keyed by batch position, objectives
from integer counts, the same bias and normalisation formulas, sequential sums), so
on data where rounding cannot differ the two back-ends fit identical models.

Memory: the candidate tensors of one chunk hold ``V * C * n_b`` values (V votes, C
candidates of the chunk, n_b batch rows), each as a float64 value, an int64 sort
index and an int64 count: about ``24 * V * C * n_b`` bytes, bounded by
``max_bytes`` (candidates are processed in chunks of
``C = max(1, max_bytes // (24 * V * n_b))``).
"""

import numpy as np

from ._threshold import BALANCED, EDGE_OFFSET, PLUS

MAX_BYTES = 2 << 30


def _objective(xp, tp, tn, n_pos, n_neg, kind):
    balanced = 0.5 * (tp / n_pos + tn / n_neg)
    if kind == BALANCED:
        return balanced
    return balanced + (tp + tn) / (n_pos + n_neg)


def _sequential_sum_of_squares(xp, w):
    # the Numba kernels accumulate in index order; cumsum does the same
    return xp.cumsum(w * w, axis=1)[:, -1]


def _take(xp, a, index):
    return xp.take_along_axis(a, index, axis=-1)


def project(xp, XT, w):
    """``w @ XT`` for every vote, summed feature by feature like the Numba kernel."""
    out = xp.zeros((w.shape[0], XT.shape[1]))
    for j in range(XT.shape[0]):
        used = w[:, j] != 0
        if bool(used.any()):
            out += xp.where(used[:, None], XT[j][None, :] * w[:, j:j + 1], 0.0)
    return out


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
    norm = xp.sqrt(_sequential_sum_of_squares(xp, wv) - wj * wj + (wj + sv) ** 2)
    wv[xp.arange(votes.size), jv] += sv
    w[votes] = wv / norm[:, None]
    P[votes] = (P[votes] + sv[:, None] * _columns(XT, votes, jv)) / norm[:, None]


def _bias_at(xp, sorted_values, t):
    """``bias_at`` of the threshold module for one threshold per row."""
    rows = xp.arange(sorted_values.shape[0])
    at = sorted_values[rows, t]
    before = sorted_values[rows, xp.maximum(t - 1, 0)]
    return xp.where(t == 0, -at + EDGE_OFFSET, -0.5 * (before + at))


def search_steps(xp, XT, P, w, y, off, on, batch, coords, step, window, kind,
                 max_bytes=MAX_BYTES):
    """``cpu_scd01.search_step`` for every vote at once.

    ``XT`` (d, n) data shared by the votes, or (V, d, n) one matrix per vote (the
    hidden bits for an output step); ``P`` (V, n) values, ``w`` (V, d) weights,
    ``off``/``on`` (V, n) predictions below/above the threshold, ``batch`` (V, n_b),
    ``coords`` (V, k). Returns arrays over votes: ``t0, obj0, bias0, best_c, best_t,
    best_obj, best_bias``
    (``best_c`` indexes the sign-major candidate list).
    """
    V, n_b = batch.shape
    k = coords.shape[1]
    p = _take(xp, P, batch)
    labels = y[batch].astype(np.int64)
    flip = _take(xp, on, batch).astype(np.int64) - _take(xp, off, batch).astype(np.int64)
    tp_drop = labels * flip
    tn_gain = (1 - labels) * flip
    n_pos = int(labels[0].sum())
    n_neg = n_b - n_pos
    tp_above = (labels * _take(xp, on, batch)).sum(axis=1)
    tn_above = ((1 - labels) * (1 - _take(xp, on, batch))).sum(axis=1)

    def scan(order, thresholds):
        """Objectives at ``thresholds`` (..., m) for rows sorted by ``order``."""
        drop = xp.cumsum(_take(xp, xp.broadcast_to(tp_drop[:, None, :], order.shape), order), -1)
        gain = xp.cumsum(_take(xp, xp.broadcast_to(tn_gain[:, None, :], order.shape), order), -1)
        zero = xp.zeros(order.shape[:-1] + (1,), dtype=np.int64)
        drop = _take(xp, xp.concatenate([zero, drop], -1), thresholds)
        gain = _take(xp, xp.concatenate([zero, gain], -1), thresholds)
        return _objective(xp, tp_above[:, None, None] - drop, tn_above[:, None, None] + gain,
                          n_pos, n_neg, kind)

    order = xp.argsort(p, axis=1, kind="stable")
    sorted_p = _take(xp, p, order)
    full = scan(order[:, None, :], xp.broadcast_to(xp.arange(n_b), (V, 1, n_b)))[:, 0]
    t0 = xp.argmax(full, axis=1)
    obj0 = full[xp.arange(V), t0]
    bias0 = _bias_at(xp, sorted_p, t0)

    lo = xp.maximum(t0 - window, 0)
    hi = xp.minimum(t0 + window, n_b)
    width = 2 * window
    thresholds = xp.minimum(lo[:, None] + xp.arange(width), n_b - 1)  # (V, width)
    valid = (lo[:, None] + xp.arange(width)) < hi[:, None]
    signs = xp.concatenate([xp.full(k, step), xp.full(k, -step)])
    columns = xp.concatenate([coords, coords], axis=1)  # (V, 2k) sign-major
    chunk = max(1, int(max_bytes // (24 * V * n_b)))
    best_obj = xp.full(V, -np.inf)
    best_c = xp.full(V, -1, dtype=np.int64)
    best_t = xp.zeros(V, dtype=np.int64)
    best_bias = xp.zeros(V)
    wsq = _sequential_sum_of_squares(xp, w)
    votes = xp.arange(V)
    for start in range(0, 2 * k, chunk):
        stop = min(2 * k, start + chunk)
        if XT.ndim == 2:
            x = XT[columns[:, start:stop, None], batch[:, None, :]]  # (V, C, n_b)
        else:
            x = XT[votes[:, None, None], columns[:, start:stop, None], batch[:, None, :]]
        q = p[:, None, :] + signs[None, start:stop, None] * x  # batch order: stable = tiebreak
        order_c = xp.argsort(q, axis=-1, kind="stable")
        values = scan(order_c, xp.broadcast_to(thresholds[:, None, :], q.shape[:2] + (width,)))
        values = xp.where(valid[:, None, :], values, -np.inf)
        flat = values.reshape(V, -1)
        pick = xp.argmax(flat, axis=1)  # first maximum in (candidate, threshold) order
        obj = flat[votes, pick]
        c_local, w_index = pick // width, pick % width
        better = obj > best_obj  # earlier chunks win ties: candidate order
        t = thresholds[votes, w_index]
        q_best = _take(xp, q[votes, c_local], order_c[votes, c_local])
        c = start + c_local
        j = columns[votes, c]
        sigma = signs[c]
        wj = w[votes, j]
        norm = xp.sqrt(wsq - wj * wj + (wj + sigma) ** 2)
        bias = xp.where(t == 0, -q_best[votes, 0] / norm + EDGE_OFFSET,
                        -0.5 * (q_best[votes, xp.maximum(t - 1, 0)] + q_best[votes, t]) / norm)
        best_obj = xp.where(better, obj, best_obj)
        best_c = xp.where(better, c, best_c)
        best_t = xp.where(better, t, best_t)
        best_bias = xp.where(better, bias, best_bias)
    return t0, obj0, bias0, best_c, best_t, best_obj, best_bias


def score_rows(xp, scores, y, n_pos, n_neg, kind):
    """Objective of predicting 1 where ``scores > 0``, per vote (rows of ``scores``)."""
    predicted = scores > 0
    tp = (predicted & (y == 1)).sum(axis=1)
    tn = (~predicted & (y == 0)).sum(axis=1)
    return _objective(xp, tp, tn, n_pos, n_neg, kind)


def fit_votes_scd01(XT, y, plans, params, columns=None, report=None, xp=np,
                    max_bytes=MAX_BYTES):
    """Fit the SCD01 votes of ``plans`` together; same results as
    ``cpu_scd01.fit_vote`` for each plan (up to float rounding and tie order);
    ``columns`` is not used."""
    XT_host = XT
    XT = xp.asarray(XT)
    y_dev = xp.asarray(y)
    V = len(plans)
    w = xp.asarray(np.stack([plan.initial_weights() for plan in plans]))
    P = project(xp, XT, w)
    n = XT_host.shape[1]
    below, above = xp.zeros((V, n), dtype=np.int8), xp.ones((V, n), dtype=np.int8)
    n_pos = int(y.sum())
    n_neg = n - n_pos
    n_balanced = int(params.max_iter * params.balanced_fraction)
    best_obj = xp.full(V, -np.inf)
    best_w, best_b = w.copy(), xp.zeros(V)
    step = params.step_size
    for it in range(params.max_iter):
        draws = [plan.draw_iteration() for plan in plans]
        batch = xp.asarray(np.stack([b for b, _ in draws]))
        coords = xp.asarray(np.stack([c for _, c in draws]))
        kind = BALANCED if it <= n_balanced else PLUS
        t0, obj0, b, c, t, obj, bias = search_steps(
            xp, XT, P, w, y_dev, below, above, batch, coords, step, params.bias_window, kind,
            max_bytes)
        accept = (c >= 0) & (obj > obj0)
        k = coords.shape[1]
        c_safe = xp.maximum(c, 0)
        j = coords[xp.arange(V), c_safe % k]
        sigma = xp.where(c_safe < k, step, -step)
        apply_moves(xp, XT, P, w, accept, j, sigma)
        b = xp.where(accept, bias, b)
        full = score_rows(xp, P + b[:, None], y_dev[None, :], n_pos, n_neg,
                          BALANCED if it < n_balanced else PLUS)
        improved = full > best_obj
        best_obj = xp.where(improved, full, best_obj)
        best_w = xp.where(improved[:, None], w, best_w)
        best_b = xp.where(improved, b, best_b)
        if report is not None:
            report(it, float(best_obj.max()))
    best_w, best_b, best_obj = (_to_host(a) for a in (best_w, best_b, best_obj))
    return [((best_w[v], float(best_b[v])), float(best_obj[v])) for v in range(V)]


def _output_scores(xp, S, w2):
    """``z = w2 @ S`` per vote, unit by unit as the Numba kernel sums it."""
    z = xp.zeros((S.shape[0], S.shape[2]))
    for h in range(S.shape[1]):
        z += S[:, h] * w2[:, h:h + 1]
    return z


class _Networks:
    """The state of ``cpu_mlp01.Network`` for V votes: (V, H, ...) arrays."""

    def __init__(self, xp, XT, W1, w2):
        self.xp, self.XT = xp, XT
        V, _, H = W1.shape
        self.W1T = xp.ascontiguousarray(xp.transpose(W1, (0, 2, 1)))
        self.b1 = xp.zeros((V, H))
        self.w2 = w2
        self.b2 = xp.zeros(V)
        self.A = xp.stack([project(xp, XT, self.W1T[:, h]) for h in range(H)], axis=1)
        self.votes = xp.arange(V)
        self.refresh()

    def refresh(self):
        self.S = (self.A + self.b1[:, :, None] > 0).astype(np.float64)
        self.z = _output_scores(self.xp, self.S, self.w2)

    def node_search(self, y, batch, h, coords, step, window, kind):
        xp, v = self.xp, self.votes
        weight = self.w2[v, h]
        others = self.z - weight[:, None] * self.S[v, h] + self.b2[:, None]
        off = (others > 0).astype(np.int8)
        on = (others + weight[:, None] > 0).astype(np.int8)
        return search_steps(xp, self.XT, self.A[v, h], self.W1T[v, h], y, off, on, batch,
                            coords, step, window, kind)

    def set_bias(self, h, bias, where):
        self.b1[self.votes, h] = self.xp.where(where, bias, self.b1[self.votes, h])
        self.refresh()

    def initialise_biases(self, y, batch, node_order, window, kind):
        xp, V = self.xp, len(self.votes)
        n_b = batch.shape[1]
        rows = xp.broadcast_to(batch[:, None, :], self.A.shape[:2] + (n_b,))
        A_batch = xp.take_along_axis(self.A, rows, -1)
        middle = xp.sort(A_batch, axis=-1)[:, :, max(n_b // 2 - 1, 0):n_b // 2 + 1]
        self.b1 = (-middle[..., 0] + EDGE_OFFSET if n_b // 2 == 0
                   else -0.5 * (middle[..., 0] + middle[..., -1]))
        self.refresh()
        none = xp.zeros((V, 0), dtype=np.int64)
        _, obj, self.b2, *_ = self._output_search(y, batch, none, 0.0, window, kind)
        for i in range(node_order.shape[1]):
            h = node_order[:, i]
            _, value, bias, *_ = self.node_search(y, batch, h, none, 0.0, window, kind)
            better = value > obj
            obj = xp.where(better, value, obj)
            self.set_bias(h, bias, better)

    def _output_search(self, y, batch, order, step, window, kind):
        xp = self.xp
        shape = self.z.shape
        return search_steps(xp, self.S, self.z, self.w2, y, xp.zeros(shape, dtype=np.int8),
                            xp.ones(shape, dtype=np.int8), batch, order, step, window, kind)

    def output_step(self, y, batch, order, step, window, kind):
        xp = self.xp
        t0, obj0, bias0, c, t, obj, bias = self._output_search(y, batch, order, step, window, kind)
        accept = (c >= 0) & (obj > obj0)
        k = order.shape[1]
        c_safe = xp.maximum(c, 0)
        apply_moves(xp, self.S, self.z, self.w2, accept, order[self.votes, c_safe % k],
                    xp.where(c_safe < k, step, -step))
        self.b2 = xp.where(accept, bias, bias0)
        self.z = _output_scores(xp, self.S, self.w2)

    def hidden_step(self, y, batch, h, coords, step, window, kind):
        xp, v = self.xp, self.votes
        t1, obj1, bias1, c, t, obj, bias = self.node_search(y, batch, h, coords, step, window, kind)
        accept = (c >= 0) & (obj > obj1)
        k = coords.shape[1]
        c_safe = xp.maximum(c, 0)
        A_h, W_h = self.A[v, h], self.W1T[v, h]
        apply_moves(xp, self.XT, A_h, W_h, accept, coords[v, c_safe % k],
                    xp.where(c_safe < k, step, -step))
        self.A[v, h], self.W1T[v, h] = A_h, W_h
        self.set_bias(h, xp.where(accept, bias, bias1), xp.ones(len(v), dtype=bool))


def fit_votes_mlp01(XT, y, plans, params, columns=None, report=None, xp=np):
    """Fit the MLP01 votes of ``plans`` together; same results as
    ``cpu_mlp01.fit_vote`` for each plan (up to float rounding and tie order);
    ``columns`` is not used."""
    H = params.n_hidden
    XT = xp.asarray(XT)
    y_dev = xp.asarray(y)
    V = len(plans)
    net = _Networks(xp, XT, xp.asarray(np.stack([p.initial_weights(H) for p in plans])),
                    xp.asarray(np.stack([p.initial_output_weights(H) for p in plans])))
    n_pos = int(y.sum())
    n_neg = y.shape[0] - n_pos
    n_balanced = int(params.max_iter * params.balanced_fraction)
    window = params.bias_window
    best_obj = xp.full(V, -np.inf)
    best = [a.copy() for a in (net.W1T, net.b1, net.w2, net.b2)]
    for it in range(params.max_iter):
        batch = xp.asarray(np.stack([p.draw_batch() for p in plans]))
        kind = BALANCED if it <= n_balanced else PLUS
        if it == 0:
            node_order = xp.asarray(np.stack([p.permutation(H) for p in plans]))
            net.initialise_biases(y_dev, batch, node_order, window, kind)
        order = xp.asarray(np.stack([p.permutation(H) for p in plans]))
        net.output_step(y_dev, batch, order, params.output_step_size, window, kind)
        h = xp.asarray(np.array([p.integer(H) for p in plans]))
        coords = xp.asarray(np.stack([p.draw_coordinates() for p in plans]))
        net.hidden_step(y_dev, batch, h, coords, params.step_size, window, kind)
        full = score_rows(xp, net.z + net.b2[:, None], y_dev[None, :], n_pos, n_neg,
                          BALANCED if it < n_balanced else PLUS)
        improved = full > best_obj
        best_obj = xp.where(improved, full, best_obj)
        for i, current in enumerate((net.W1T, net.b1, net.w2, net.b2)):
            mask = improved.reshape((V,) + (1,) * (current.ndim - 1))
            best[i] = xp.where(mask, current, best[i])
        if report is not None:
            report(it, float(best_obj.max()))
    W1T, b1, w2, b2 = (_to_host(a) for a in best)
    best_obj = _to_host(best_obj)
    return [((W1T[v].T.copy(), b1[v], w2[v], float(b2[v])), float(best_obj[v]))
            for v in range(V)]


def _to_host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)
