"""Slow, obvious MLP01 from the spec (§2.3, §2.4, with the §8 row 10 bias fixes),
for testing the kernel. Every objective is computed by building the network's
output on the batch for each threshold (weighted counts with sample weights:
``weight``, (n,) or None, is indexed by the rows of the data)."""

import numpy as np

from . import scd01
from .scd01 import BALANCED, PLUS, bias, objective, project


def hidden_bits(X, W1, b1):
    return np.column_stack([project(X, W1[:, h]) + b1[h] > 0 for h in range(W1.shape[1])])


def batch_objective(out, y, kind, row_weight=None):
    return objective(*scd01.counts(out, y, row_weight), kind)


def node_scan(a, others, weight, y, kind, thresholds, row_weight=None):
    """Objectives of node thresholds over ``a`` (the node is on at sorted positions >= t)."""
    order = np.argsort(a, kind="stable")
    values = []
    for t in thresholds:
        on = np.zeros(len(a))
        on[order[t:]] = 1
        values.append(batch_objective(others + weight * on > 0, y, kind, row_weight))
    return np.array(values), a[order]


def _rows(row_weight, batch):
    return None if row_weight is None else row_weight[batch]


def others_output(X, y, W1, b1, w2, b2, batch, h):
    Hb = hidden_bits(X[batch].astype(np.float64), W1, b1).astype(np.float64)
    return Hb @ w2 - Hb[:, h] * w2[h] + b2


def output_search(X, y, W1, b1, w2, b2, batch, order, step, window, kind, row_weight=None):
    """Spec §2.4 A as a linear search over the hidden bits of all rows."""
    bits = hidden_bits(X.astype(np.float64), W1, b1).astype(np.float64)
    return scd01.search_step(bits, w2, y, batch, order, step, window, kind, row_weight)


def hidden_search(X, y, W1, b1, w2, b2, batch, h, coords, step, window, kind,
                  row_weight=None):
    """Spec §2.4 B.2-B.5: (t1, obj1, bias1, best candidate, its t, objective, bias)."""
    Xb, yb = X[batch].astype(np.float64), y[batch]
    others = others_output(X, y, W1, b1, w2, b2, batch, h)
    rw = _rows(row_weight, batch)
    full, a_sorted = node_scan(project(Xb, W1[:, h]), others, w2[h], yb, kind, range(len(batch)),
                               rw)
    t1 = int(np.argmax(full))
    lo, hi = max(0, t1 - window), min(len(batch), t1 + window)
    k = len(coords)
    best = (-np.inf, None, None, None)
    for c in range(2 * k):
        candidate = W1[:, h].copy()
        candidate[coords[c % k]] += step if c < k else -step
        if not np.linalg.norm(candidate) > 0:
            continue  # no weights left: no candidate
        candidate /= np.linalg.norm(candidate)
        values, q_sorted = node_scan(project(Xb, candidate), others, w2[h], yb, kind,
                                     range(lo, hi), rw)
        t = lo + int(np.argmax(values))
        if values.max() > best[0]:
            best = (values.max(), c, t, bias(q_sorted, t))
    return t1, full[t1], bias(a_sorted, t1), best[1], best[2], best[0], best[3]


def iterate(X, y, W1, b1, w2, b2, batch, order, h, coords, params, kind, row_weight=None):
    """One iteration (§2.4 A then B); returns the new parameters."""
    W1, b1, w2 = W1.copy(), b1.copy(), w2.copy()
    t0, obj0, b2, c, t, obj, b_c = output_search(
        X, y, W1, b1, w2, b2, batch, order, params.output_step_size, params.bias_window, kind,
        row_weight)
    if obj > obj0:
        w2[order[c % len(order)]] += params.output_step_size * (1 if c < len(order) else -1)
        w2 /= np.linalg.norm(w2)
        b2 = b_c
    t1, obj1, b1[h], c, t, obj, b_c = hidden_search(
        X, y, W1, b1, w2, b2, batch, h, coords, params.step_size, params.bias_window, kind,
        row_weight)
    if obj > obj1:
        W1[coords[c % len(coords)], h] += params.step_size * (1 if c < len(coords) else -1)
        W1[:, h] /= np.linalg.norm(W1[:, h])
        b1[h] = b_c
    return W1, b1, w2, b2


def initialise_biases(X, y, W1, w2, batch, node_order, kind, authors=False, row_weight=None):
    Xb, yb = X[batch].astype(np.float64), y[batch]
    if authors:
        # the authors' code: plus the mean projection (summed in batch order)
        b1 = np.zeros(W1.shape[1])
        for h in range(W1.shape[1]):
            for value in project(Xb, W1[:, h]):
                b1[h] += value
        b1 /= len(batch)
    else:
        # minus the median, as the midpoint between the two middle projections
        b1 = np.array([bias(np.sort(project(Xb, W1[:, h])), len(batch) // 2)
                       for h in range(W1.shape[1])])
    scores = hidden_bits(Xb, W1, b1) @ w2
    order = np.argsort(scores, kind="stable")
    rw = _rows(row_weight, batch)
    full = scd01.scan(yb[order], kind, range(len(batch)), None if rw is None else rw[order])
    b2 = bias(scores[order], int(np.argmax(full)))
    obj = full.max()
    for h in node_order:
        others = others_output(X, y, W1, b1, w2, b2, batch, h)
        values, a_sorted = node_scan(project(Xb, W1[:, h]), others, w2[h], yb, kind,
                                     range(len(batch)), rw)
        if values.max() > obj:
            obj = values.max()
            b1[h] = bias(a_sorted, int(np.argmax(values)))
        elif authors:  # the authors' code: a node that does not improve gets bias 0
            b1[h] = 0.0
    return b1, b2


def fit_vote(X, y, plan, params):
    row_weight = plan.sample_weight
    H = params.n_hidden
    W1, w2 = plan.initial_weights(H), plan.initial_output_weights(H)
    b1, b2 = np.zeros(H), 0.0
    n_balanced = int(params.max_iter * params.balanced_fraction)
    best = (-np.inf, None)
    for it in range(params.max_iter):
        batch = plan.draw_batch()
        kind = BALANCED if it <= n_balanced else PLUS
        if it == 0:
            b1, b2 = initialise_biases(X, y, W1, w2, batch, plan.permutation(H), kind,
                                       params.bias_init == "authors", row_weight)
        order, h = plan.permutation(H), plan.integer(H)
        W1, b1, w2, b2 = iterate(X, y, W1, b1, w2, b2, batch, order, h,
                                 plan.draw_coordinates(), params, kind, row_weight)
        out = hidden_bits(X.astype(np.float64), W1, b1) @ w2 + b2 > 0
        value = batch_objective(out, y, BALANCED if it < n_balanced else PLUS, row_weight)
        if value > best[0]:
            best = (value, (W1.copy(), b1.copy(), w2.copy(), b2))
    return best[1], best[0]
