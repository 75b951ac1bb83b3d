"""SCD01's vote loop on the CPU (Numba search steps): the algorithm of Xie, Xue and
Roshan (2019), as in Xue, Xie and Roshan (2020), Sec. II-A."""

import numpy as np

from . import _threshold as th
from .core import EarlyStopping, Schedule, VoteResult, class_totals, decode_step
from .cpu_search import (UNWEIGHTED, apply_move, flip_orientation, projection, search_step,
                         vote_ranking)


#: Votes per call of :func:`fit_votes` (``Kernel.votes_per_call``): their starting
#: projections share one pass over the data (MNIST: 31 ms alone, 8 ms each of 8).
VOTES_PER_CALL = 8


def fit_votes(XT, y, plans, params, columns, report=None):
    """:func:`fit_vote` for each plan of ``plans``, in order, the projections of
    their random starts computed in one pass over the data (the same numbers)."""
    starts = [plan.initial_weights() for plan in plans]
    projections = projection(XT, np.column_stack(starts), columns, y.shape[0])
    return [_descend(XT, y, plan, params, columns, w, P, report)
            for plan, w, P in zip(plans, starts, projections)]


def fit_vote(XT, y, plan, params, columns, report=None):
    """Fit one SCD01 vote; returns a :class:`VoteResult` with ``params = (w, b)``.

    ``XT`` is the training data feature-major, ``(d, n)`` C-contiguous. ``plan``
    (:class:`sk01loss._plans.VotePlan`) supplies every random draw, so the same plan
    gives the same vote on any backend; ``params`` is a :class:`SearchParams`;
    ``columns`` is ``cpu_search.describe_columns(XT)``.
    ``report(iteration, best_objective)``, if given, is called after each iteration.
    The plan's ``sample_weight`` (if not None) weighs every accuracy of the objective.
    The vote stops early as :class:`EarlyStopping` says.

    With ``params.flip_orientation`` each search also scores the flipped orientation
    ``-w``; where no candidate move is accepted and the flipped orientation's best
    batch objective is strictly greater than the current ``w``'s, the vote takes
    ``-w`` with that threshold (a vote that can still climb is never turned).
    """
    return fit_votes(XT, y, [plan], params, columns, report)[0]


def _descend(XT, y, plan, params, columns, w, P, report):
    """The vote's iterations from its random start ``w`` and ``P = X @ w`` (both
    updated in place)."""
    ranked = vote_ranking(P, plan.batch_size)  # kept in step with P, or NOT_RANKED
    below, above = np.zeros_like(y), np.ones_like(y)
    n_pos, n_neg = class_totals(y, plan.sample_weight)
    weight = UNWEIGHTED if plan.sample_weight is None else plan.sample_weight
    schedule = Schedule(params)
    stopping = EarlyStopping(params)
    best_obj, best_w, best_b = -np.inf, w.copy(), 0.0
    for it in range(params.max_iter):
        draws = plan.scd01_draws()
        search_kind, eval_kind = schedule.kinds(it)
        found = search_step(XT, P, w, y, below, above, draws.batch, draws.coords,
                            params.step_size, params.bias_window, search_kind, columns, ranked,
                            params.flip_orientation, weight)
        b = found.bias0
        moves = found.best_c >= 0 and found.best_obj > found.obj0
        if not moves and found.flip_obj > found.obj0:
            flip_orientation(P, w, ranked)
            b = found.flip_bias
        elif moves:
            position, sigma = decode_step(found.best_c, draws.coords.shape[0], params.step_size)
            apply_move(XT, P, w, draws.coords[position], sigma, ranked, columns)
            b = found.best_bias
        full_obj = th.score_rows(P + b, y, weight, n_pos, n_neg, eval_kind)
        if full_obj > best_obj:
            best_obj, best_w, best_b = full_obj, w.copy(), b
        if report is not None:
            report(it, best_obj)
        if not stopping.update(it, best_obj):
            break
    return VoteResult((best_w, best_b), best_obj, int(stopping.n_iter[0]))
