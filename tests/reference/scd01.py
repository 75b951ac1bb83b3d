"""Slow, obvious SCD01 written straight from the spec (§1.4-§1.6), for testing the
kernels. Projections are computed from normalised candidates by a dot product,
thresholds are scored by building every prediction vector (the paper's O(n²)
triangular scan), and ties between equal projections keep batch order (stable
sort). With sample weights every count is the sum of the weights of the rows it
counts (``weight=None``: every row weighs 1)."""

import numpy as np

BALANCED, PLUS = 0, 1


def objective(tp, tn, n_pos, n_neg, kind):
    balanced = 0.5 * (tp / n_pos + tn / n_neg)
    return balanced if kind == BALANCED else balanced + (tp + tn) / (n_pos + n_neg)


def counts(predicted, labels, weight=None):
    """``(TP, TN, n_pos, n_neg)`` of 0/1 predictions: counts, or sums of weights."""
    weight = np.ones(len(labels)) if weight is None else weight
    tp = sum(weight[i] for i in range(len(labels)) if predicted[i] and labels[i] == 1)
    tn = sum(weight[i] for i in range(len(labels)) if not predicted[i] and labels[i] == 0)
    n_pos = sum(weight[i] for i in range(len(labels)) if labels[i] == 1)
    n_neg = sum(weight[i] for i in range(len(labels)) if labels[i] == 0)
    return tp, tn, n_pos, n_neg


def scan(sorted_labels, kind, thresholds, sorted_weights=None):
    """Objective of every threshold index t in ``thresholds``: positions >= t predict 1."""
    m = len(sorted_labels)
    return np.array([objective(*counts(np.arange(m) >= t, sorted_labels, sorted_weights), kind)
                     for t in thresholds])


def flipped_scan(sorted_labels, kind, thresholds, sorted_weights=None):
    """Objective of every threshold index t in ``thresholds`` of the flipped
    orientation: positions < t predict 1 (the thresholds of ``-w``)."""
    m = len(sorted_labels)
    return np.array([objective(*counts(np.arange(m) < t, sorted_labels, sorted_weights), kind)
                     for t in thresholds])


def flipped_bias(sorted_values, t):
    """Bias of ``-w`` predicting 1 exactly at sorted positions < t of ``w``'s values."""
    if t == len(sorted_values):
        return sorted_values[-1] + 0.01
    return (sorted_values[t - 1] + sorted_values[t]) / 2


def _sorted(weight, batch, order):
    return None if weight is None else weight[batch][order]


def flipped_search(X, w, y, batch, kind, weight=None):
    """The flipped orientation's full scan on the batch: ``(t, objective, bias of -w)``
    with t in 1..n_b (first maximum)."""
    Xb, yb = X[batch].astype(np.float64), y[batch]
    p = project(Xb, w)
    order = np.argsort(p, kind="stable")
    values = flipped_scan(yb[order], kind, range(1, len(batch) + 1),
                          _sorted(weight, batch, order))
    t = 1 + int(np.argmax(values))
    return t, values[t - 1], flipped_bias(p[order], t)


def bias(sorted_values, t):
    if t == 0:
        return -sorted_values[0] + 0.01
    return -(sorted_values[t - 1] + sorted_values[t]) / 2


def project(X, w):
    return np.array([float(np.dot(row, w)) for row in X])


def search_step(X, w, y, batch, coords, step, window, kind, weight=None):
    """Returns t0, obj0, bias0, best candidate index, its t, objective and bias."""
    Xb, yb = X[batch].astype(np.float64), y[batch]
    p = project(Xb, w)
    order = np.argsort(p, kind="stable")
    full = scan(yb[order], kind, range(len(batch)), _sorted(weight, batch, order))
    t0 = int(np.argmax(full))
    lo, hi = max(0, t0 - window), min(len(batch), t0 + window)
    k = len(coords)
    best = (-np.inf, None, None, None)
    for c in range(2 * k):
        candidate = w.copy()
        candidate[coords[c % k]] += step if c < k else -step
        if not np.linalg.norm(candidate) > 0:
            continue  # no weights left: no candidate
        candidate /= np.linalg.norm(candidate)
        q = project(Xb, candidate)
        order_c = np.argsort(q, kind="stable")
        values = scan(yb[order_c], kind, range(lo, hi), _sorted(weight, batch, order_c))
        t = lo + int(np.argmax(values))
        if values.max() > best[0]:
            best = (values.max(), c, t, bias(q[order_c], t))
    return t0, full[t0], bias(p[order], t0), best[1], best[2], best[0], best[3]


def fit_vote(X, y, plan, max_iter, step, window, balanced_fraction, flip=False):
    """A whole vote (spec §1.6 steps 1-9) driven by the same plan as the kernel.

    With ``flip`` (``flip_orientation``), an iteration that accepts no candidate
    takes ``-w`` with the flipped orientation's best threshold where that is
    strictly better on the batch than the current ``w``'s best threshold. The plan's
    ``sample_weight`` weighs every count."""
    weight = plan.sample_weight
    w = plan.initial_weights()
    n_balanced = int(max_iter * balanced_fraction)
    best = (-np.inf, w.copy(), 0.0)
    for it in range(max_iter):
        batch, coords = plan.draw_iteration()
        kind = BALANCED if it <= n_balanced else PLUS
        t0, obj0, b, c, t, obj, b_c = search_step(X, w, y, batch, coords, step, window, kind,
                                                  weight)
        if flip and not obj > obj0 and flipped_search(X, w, y, batch, kind, weight)[1] > obj0:
            b = flipped_search(X, w, y, batch, kind, weight)[2]
            w = -w
        elif obj > obj0:
            k = len(coords)
            w[coords[c % k]] += step if c < k else -step
            w /= np.linalg.norm(w)
            b = b_c
        pred = project(X.astype(np.float64), w) + b > 0
        value = objective(*counts(pred, y, weight), BALANCED if it < n_balanced else PLUS)
        if value > best[0]:
            best = (value, w.copy(), b)
    return best[1], best[2], best[0]
