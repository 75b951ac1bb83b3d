"""SCD01's vote loop, batched: all votes of a problem advance together, one iteration
at a time, on NumPy or CuPy (``batched_search``)."""

import numpy as np

from .batched_search import (MAX_BYTES, apply_moves, feature_bounds, prefetched, project,
                             score_rows, search_steps, to_host)
from .core import EarlyStopping, Schedule, VoteResult, class_totals, decode_step


def fit_votes(XT, y, plans, params, columns=None, report=None, xp=np, max_bytes=MAX_BYTES):
    """Fit the SCD01 votes of ``plans`` together; a :class:`VoteResult` per plan, the
    same as ``cpu_scd01.fit_vote``'s (up to float rounding and tie order);
    ``columns`` is not used. Votes that stop early are frozen (their draws and
    arithmetic go on, unused) until every vote has stopped."""
    n = XT.shape[1]
    weight = plans[0].sample_weight  # the plans of one problem share the row weights
    weight_dev = None if weight is None else xp.asarray(weight)
    XT = xp.asarray(XT)
    y_dev = xp.asarray(y)
    V = len(plans)
    w = xp.asarray(np.stack([plan.initial_weights() for plan in plans]))
    P = project(xp, XT, w)
    x_bound = feature_bounds(xp, XT)
    below, above = xp.zeros((V, n), dtype=np.int8), xp.ones((V, n), dtype=np.int8)
    n_pos, n_neg = class_totals(y, weight)
    schedule = Schedule(params)
    stopping = EarlyStopping(params, V, xp)
    best_obj = xp.full(V, -np.inf)
    best_w, best_b = w.copy(), xp.zeros(V)
    votes = xp.arange(V)
    step = params.step_size
    draws = prefetched(xp, plans, params.max_iter, lambda plan, it: plan.scd01_draws())
    for it, (batch, coords) in enumerate(draws):
        search_kind, eval_kind = schedule.kinds(it)
        found = search_steps(xp, XT, x_bound, P, w, y_dev, below, above, batch, coords, step,
                             params.bias_window, search_kind, max_bytes,
                             flipped=params.flip_orientation, weight=weight_dev)
        # a vote that stopped is frozen: its best parameters no longer change
        moves = (found.best_c >= 0) & (found.best_obj > found.obj0)
        flips = ~moves & (found.flip_obj > found.obj0) & stopping.running
        accept = moves & ~flips & stopping.running
        position, sigma = decode_step(found.best_c, coords.shape[1], step)
        apply_moves(xp, XT, P, w, accept, coords[votes, position], sigma)
        if params.flip_orientation:
            w = xp.where(flips[:, None], -w, w)
            P = xp.where(flips[:, None], -P, P)
        b = xp.where(flips, found.flip_bias, xp.where(accept, found.best_bias, found.bias0))
        full = score_rows(xp, P + b[:, None], y_dev[None, :], n_pos, n_neg, eval_kind,
                          weight_dev)
        improved = (full > best_obj) & stopping.running
        best_obj = xp.where(improved, full, best_obj)
        best_w = xp.where(improved[:, None], w, best_w)
        best_b = xp.where(improved, b, best_b)
        if report is not None:
            report(it, float(best_obj.max()))
        if not stopping.update(it, best_obj):
            break
    best_w, best_b, best_obj = (to_host(a) for a in (best_w, best_b, best_obj))
    return [VoteResult((best_w[v], float(best_b[v])), float(best_obj[v]),
                       int(stopping.n_iter[v]))
            for v in range(V)]
