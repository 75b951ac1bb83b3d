"""Exact robustness certificates of linear votes, SCD01 and MLP01 ensembles
(binary; SCD01 also one-vs-all).

For a point ``x`` with prediction ``c``, the *radius* is the infimum of ``||x' - x||``
over the points ``x'`` of the input domain whose prediction is not ``c``. A single
linear vote has it in closed form; a majority of linear votes (SCD01) and a majority
of one-hidden-layer sign networks (MLP01) have it as the optimum of a mixed-integer
linear program, solved with ``scipy.optimize.milp`` (HiGHS).

Decision semantics (those of ``predict``): a linear vote is positive where
``x @ w + b > 0``; an MLP01 vote has hidden bits ``h = (x @ W1 + b1 > 0)`` and is
positive where ``h @ w2 + b2 > 0``; a binary ensemble predicts ``classes_[1]`` where
``2 * n_positive > n_votes`` (ties go to ``classes_[0]``).

Strict inequalities (``> 0``) of the linear votes and hidden units are relaxed to
``>= 0`` in the programs: the relaxed set of prediction-changing points contains the
true one, so the optimum is a lower bound on the radius whatever happens at the
boundary, and it is the radius itself (an infimum) in every non-degenerate case. An
MLP01 vote's output depends on its hidden bits alone; its conditions are relaxed by
1e-6 and every hidden pattern the solution uses is then checked with ``predict``'s
own float sum (an output of exactly 0, common as the output bias sits at minus a
pattern's score, is negative), a wrong one cut off (no-good cut) and the program
solved again. Each optimum is finally checked: a linear program with the MILP's
binary pattern and a small margin on every sign condition gives a point, and the
model's own ``predict`` must change there. A row is ``"exact"`` only when that
point's distance is within ``atol`` of the proven lower bound.

Two cheap facts tighten the programs: a vote that agrees with the prediction at
``x`` needs at least its own radius to change sides (a cut ``r >= r_v a_v``; for
MLP01, per hidden unit), and so the radius is at least the ``m``-th smallest of these
radii, ``m`` the number of votes the flip is missing (a bound that alone certifies
many rows within ``eps``).
"""

import math
import time
from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from sklearn.utils import check_array

from .._mlp01 import MLP01Classifier
from .._scd01 import SCD01Classifier
from .._sklearn_compat import _num_samples
from ..attacks._base import check_clip, check_in_clip, estimator_input, unwrap
from ..attacks._gradients import linear_view

#: Statuses of a certified row.
STATUSES = ("exact", "robust", "unknown")

#: Slack of an MLP01 vote's output condition in the MILP, above the solver's
#: feasibility tolerance (about 1e-7); patterns inside it are settled by predict's
#: own float sums (no-good cuts, see ``_milp_row``).
_OUTPUT_SLACK = 1e-6

#: Margin put on every sign condition of the checking program, in units of a
#: vote's pre-activation (weights of unit L2 norm): points strictly inside.
_MARGIN = 1e-7


@dataclass
class Certificate:
    """Per-row result of :func:`certified_radius`.

    Attributes
    ----------
    radius : ndarray of shape (n_samples,), float64
        A certified radius: no point ``x'`` of the domain with ``||x' - x|| < radius``
        changes the prediction. It is the exact radius where ``status`` is
        ``"exact"``; ``eps`` (or ``inf``) where it is ``"robust"``; the solver's
        proven lower bound (possibly 0) where it is ``"unknown"``.
    upper_bound : ndarray of shape (n_samples,), float64
        The distance of a point found whose prediction, by the model's ``predict``,
        differs; ``inf`` where none was found.
    status : ndarray of shape (n_samples,), dtype object
        ``"exact"`` (``upper_bound - radius <= atol``), ``"robust"`` (no change
        within ``eps``, or anywhere in the domain when ``radius`` is ``inf``) or
        ``"unknown"`` (time limit hit, or the optimum could not be checked on the
        model: ``radius`` is still a valid lower bound).
    prediction : ndarray of shape (n_samples,)
        The label the model predicts for each row.
    norm : float
        ``np.inf`` or ``2``.
    method : str
        ``"closed-form"`` or ``"milp"``.
    """

    radius: np.ndarray
    upper_bound: np.ndarray
    status: np.ndarray
    prediction: np.ndarray
    norm: float
    method: str

    def certified(self, eps):
        """Whether each row is certified at ``eps``: no point with
        ``||x' - x|| <= eps`` changes its prediction.

        Parameters
        ----------
        eps : float
            Radius, at least 0.

        Returns
        -------
        certified : ndarray of bool, shape (n_samples,)
        """
        eps = _check_eps(eps, allow_none=False)
        robust = (self.status == "robust") & (self.radius >= eps)
        return robust | (self.radius > eps)


def _check_eps(eps, *, allow_none=True, name="eps"):
    if eps is None and allow_none:
        return None
    if (isinstance(eps, (bool, np.bool_)) or not isinstance(eps, Real)
            or not np.isfinite(eps) or eps < 0):
        raise ValueError(f"{name} must be a finite number >= 0"
                         f"{' or None' if allow_none else ''}; got {eps!r}.")
    return float(eps)


def _check_norm(norm):
    if isinstance(norm, str):
        norm = {"inf": np.inf, "linf": np.inf, "l2": 2}.get(norm.lower(), norm)
    if isinstance(norm, (bool, np.bool_)) or norm not in (np.inf, 2):
        raise ValueError(f"norm must be np.inf or 2; got {norm!r}.")
    return np.inf if norm == np.inf else 2


def _model_kind(model):
    """``("linear", (w, b))``, ``("scd01", None)`` or ``("mlp01", None)`` for a binary
    model; TypeError/ValueError otherwise."""
    if isinstance(model, (SCD01Classifier, MLP01Classifier)):
        if not hasattr(model, "coef_"):
            from sklearn.exceptions import NotFittedError
            raise NotFittedError(f"This {type(model).__name__} is not fitted.")
        if len(model.classes_) != 2:
            if isinstance(model, SCD01Classifier):
                return "scd01-ovr", None
            raise ValueError(
                f"certified_radius supports binary MLP01 models; this one has "
                f"{len(model.classes_)} classes (one-vs-all MLP01 certificates are not "
                "implemented).")
        if isinstance(model, MLP01Classifier):
            return "mlp01", None
        if model.coef_.shape[1] == 1:
            return "linear", (model.coef_[0, 0], float(model.intercept_[0, 0]))
        return "scd01", None
    view = linear_view(model)
    classes = getattr(model, "classes_", None)
    if view is not None and classes is not None and len(classes) == 2:
        coef, intercept = view
        return "linear", (np.asarray(coef[0], dtype=np.float64), float(intercept[0]))
    raise TypeError(
        "certified_radius needs a fitted SCD01Classifier, binary MLP01Classifier or "
        "linear classifier (coef_ of one row, decision x @ coef_ + intercept_ > 0); "
        f"got {type(model).__name__}.")


def _box(x, clip, reach):
    """Per-feature bounds of the search: the domain ``clip`` intersected with the
    L-inf ball of radius ``reach`` (``None``: unbounded) around ``x``."""
    low = np.full_like(x, -np.inf)
    high = np.full_like(x, np.inf)
    if clip is not None:
        low[:] = clip[0]
        high[:] = clip[1]
    if reach is not None:
        low = np.maximum(low, x - reach)
        high = np.minimum(high, x + reach)
    return low, high


# --- a single linear vote: closed form -----------------------------------------------


def _linear_radius(x, w, b, positive, norm, low, high):
    """Infimum distance from ``x`` to the points of the box ``[low, high]`` on the
    other side of ``x @ w + b > 0`` (``positive``: the side ``x`` is on). ``inf`` if
    the box has none.

    ``(w, b)`` is first scaled by a power of two (exact, the same hyperplane) so that
    its largest weight lies in [0.5, 1), and the L2 norm of the step is taken on a
    scaled copy: no square overflows or underflows, whatever the scale of the
    weights or of ``x``. A finite radius beyond the float64 range raises a
    ValueError (it would read as ``inf``, "robust")."""
    w = np.asarray(w, dtype=np.float64)
    top = float(np.max(np.abs(w))) if w.size else 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        if top > 0 and np.isfinite(top):
            _, exponent = np.frexp(top)
            w = np.ldexp(w, -exponent)
            b = float(np.ldexp(b, -exponent))
        if not np.isfinite(b):
            raise ValueError(
                "The radius of this linear model cannot be represented in float64: its "
                "intercept is beyond 1e308 times its largest weight; rescale the "
                "features or the weights.")
        r = _linear_radius_scaled(x, w, b, positive, norm, low, high)
    if r is None:
        return np.inf  # no point of the box is on the other side
    if not np.isfinite(r):
        raise ValueError(
            "The radius of this linear model cannot be represented in float64 (it "
            "overflows); rescale the features or the weights.")
    return float(r)


def _l2_norm(v):
    """L2 norm of a vector, computed on a copy scaled by a power of two (exact) so
    that the squares neither overflow nor underflow."""
    top = float(np.max(np.abs(v))) if v.size else 0.0
    if top == 0 or not np.isfinite(top):
        return top
    _, exponent = np.frexp(top)
    scaled = np.ldexp(v, -exponent)
    return float(np.ldexp(np.sqrt(np.sum(scaled * scaled)), exponent))


def _linear_radius_scaled(x, w, b, positive, norm, low, high):
    """``_linear_radius`` of a scaled ``(w, b)``; ``None`` where the box has no point
    on the other side."""
    z = float(x @ w + b)
    # moving feature i by t in the direction that lowers (positive) or raises the score
    # changes it by |w_i| t, and the box leaves it room c_i in that direction
    direction = -np.sign(w) if positive else np.sign(w)
    room = np.where(direction > 0, high - x, x - low)
    need = z if positive else -z  # positive: reach score <= 0; else score >= 0 (closure)
    a = np.abs(w)
    used = a > 0
    a, room = a[used], room[used]
    with np.errstate(invalid="ignore"):
        total = np.sum(np.where(np.isinf(room), np.inf, a * room)) if a.size else 0.0
    if total < need or (not positive and total <= need):
        return None  # not even the far corner of the box is on the other side
    if need <= 0:
        return 0.0  # on the boundary, with room to cross it
    if norm == np.inf:
        # F(r) = sum_i a_i min(r, room_i), concave piecewise linear: smallest r, F(r) >= need
        order = np.argsort(room)
        a, room = a[order], room[order]
        done = 0.0  # sum of a_i room_i over the features already at their bound
        slope = a.sum()
        previous = 0.0
        for ai, ci in zip(a, room):
            value_at = done + slope * ci
            if value_at >= need:
                return (need - done) / slope
            done += ai * ci
            slope -= ai
            previous = ci
        return previous  # pragma: no cover - total >= need returns above
    # L2: delta_i = min(lam * a_i, room_i), G(lam) = sum_i a_i delta_i increasing in lam
    knots = room / a
    order = np.argsort(knots)
    a, room, knots = a[order], room[order], knots[order]
    done = 0.0  # sum a_i room_i over saturated features
    slope = float(np.sum(a * a))
    for i, knot in enumerate(knots):
        value_at = done + slope * knot
        if value_at >= need:
            lam = (need - done) / slope
            delta = np.minimum(lam * a, room)
            return _l2_norm(delta)
        done += a[i] * room[i]
        slope -= a[i] * a[i]
    return _l2_norm(room)  # pragma: no cover


# --- MILPs ---------------------------------------------------------------------------


def _range_over_box(W, b, low, high):
    """Smallest and largest ``x @ W + b`` (columns of ``W``) over the box."""
    pos, neg = np.maximum(W, 0.0), np.minimum(W, 0.0)
    with np.errstate(invalid="ignore"):
        lo = low @ pos + high @ neg + b
        hi = high @ pos + low @ neg + b
    return lo, hi


class _Program:
    """A MILP in the variables ``(x', r, binaries...)``: minimise ``r`` subject to
    ``|x'_i - x_i| <= r`` and the model's constraints."""

    def __init__(self, x, low, high, reach):
        self.d = x.size
        self.x = x
        self.n = self.d + 1
        self.lb = list(low) + [0.0]
        self.ub = list(high) + [np.inf if reach is None else reach]
        self.integer = [0] * self.n
        self.rows, self.lo, self.hi = [], [], []

    def add_binaries(self, count, fixed=None):
        start = self.n
        self.n += count
        lb = np.zeros(count)
        ub = np.ones(count)
        if fixed is not None:  # NaN: free; 0 or 1: fixed
            lb = np.where(np.isnan(fixed), 0.0, fixed)
            ub = np.where(np.isnan(fixed), 1.0, fixed)
        self.lb += list(lb)
        self.ub += list(ub)
        self.integer += [1] * count
        return start

    def add(self, coefficients, lo, hi):
        """One constraint ``lo <= sum coefficients[j] * var_j <= hi``; ``coefficients``
        a dict ``{column: value}`` or ``(columns, values)``."""
        self.rows.append(coefficients)
        self.lo.append(lo)
        self.hi.append(hi)

    def matrix(self):
        from scipy.sparse import coo_matrix, eye, hstack, vstack
        d = self.d
        rows, cols, vals = [], [], []
        for i, (columns, values) in enumerate(self.rows):
            rows.append(np.full(len(columns), i))
            cols.append(np.asarray(columns))
            vals.append(np.asarray(values, dtype=np.float64))
        model = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(len(self.rows), self.n))
        # x'_i - r <= x_i and x'_i + r >= x_i
        ball = vstack([
            hstack([eye(d), -np.ones((d, 1)), coo_matrix((d, self.n - d - 1))]),
            hstack([eye(d), np.ones((d, 1)), coo_matrix((d, self.n - d - 1))]),
        ])
        A = vstack([model, ball]).tocsr()
        lo = np.concatenate([self.lo, np.full(d, -np.inf), self.x])
        hi = np.concatenate([self.hi, self.x, np.full(d, np.inf)])
        return A, lo, hi

    def solve(self, time_limit, fixed_binaries=None):
        A, lo, hi = self.matrix()
        lb, ub = np.array(self.lb), np.array(self.ub)
        integer = np.array(self.integer)
        if fixed_binaries is not None:
            lb[integer == 1] = fixed_binaries
            ub[integer == 1] = fixed_binaries
            integer = np.zeros_like(integer)
        c = np.zeros(self.n)
        c[self.d] = 1.0
        options = {"mip_rel_gap": 1e-9}
        if time_limit is not None:
            options["time_limit"] = float(time_limit)
        return milp(c, integrality=integer, bounds=Bounds(lb, ub),
                    constraints=LinearConstraint(A, lo, hi), options=options)


def _vote_units(model):
    """``(kind, units)`` of a binary ensemble: SCD01 ``(W (d, V), b (V,))``; MLP01
    ``(W1 (V, d, H), b1 (V, H), w2 (V, H), b2 (V,))``."""
    if isinstance(model, SCD01Classifier):
        return model.coef_[0].T.astype(np.float64), model.intercept_[0].astype(np.float64)
    return (model.hidden_coef_[0].astype(np.float64), model.hidden_intercept_[0].astype(np.float64),
            model.coef_[0].astype(np.float64), model.intercept_[0].astype(np.float64))


def _build(model, x, positive, low, high, reach, margin):
    """The program of a binary ensemble whose prediction at ``x`` is ``positive``:
    some ``x'`` in the box whose majority is the other class. ``margin`` > 0 asks
    every sign condition with that margin (the checking program)."""
    prog = _Program(x, low, high, reach)
    d = x.size
    feature_cols = np.arange(d)
    if isinstance(model, SCD01Classifier):
        W, b = _vote_units(model)
        n_votes = W.shape[1]
        zlo, zhi = _range_over_box(W, b, low, high)
        # a_v = 1: vote v is on the side the flip needs (positive: z <= 0; else z > 0)
        fixed = np.full(n_votes, np.nan)
        fixed[(zlo > 0) if positive else (zhi <= 0)] = 0.0
        first = prog.add_binaries(n_votes, fixed)
        for v in range(n_votes):
            w = W[:, v]
            cols = np.append(feature_cols, first + v)
            if positive:  # z <= -margin + (zhi + margin)(1 - a): w.x' + (zhi+m) a <= zhi - b
                big = max(zhi[v] + margin, 0.0)
                prog.add((cols, np.append(w, big)), -np.inf, big - margin - b[v])
            else:  # z >= margin - (margin - zlo)(1 - a): w.x' + (zlo - m) a >= zlo - b
                big = min(zlo[v] - margin, 0.0)
                prog.add((cols, np.append(w, big)), big + margin - b[v], np.inf)
        need = n_votes - n_votes // 2 if positive else n_votes // 2 + 1
        prog.add((np.arange(first, first + n_votes), np.ones(n_votes)), need, np.inf)
        # cuts: a vote that agrees with the prediction at x needs at least its own
        # radius to change sides, r >= r_v a_v (the others are there already)
        for v in range(n_votes):
            side = bool(x @ W[:, v] + b[v] > 0)
            if side != positive:
                continue
            r_v = _linear_radius(x, W[:, v], b[v], side, np.inf, low, high)
            if np.isinf(r_v):
                prog.ub[first + v] = prog.lb[first + v]  # cannot cross within the box
            elif r_v > 0 and (prog.ub[first + v] > 0):
                prog.add(([d, first + v], [1.0, -r_v]), 0.0, np.inf)
        return prog
    W1, b1, w2, b2 = _vote_units(model)
    n_votes, _, n_hidden = W1.shape
    for_votes = []
    for v in range(n_votes):
        zlo, zhi = _range_over_box(W1[v], b1[v], low, high)
        fixed = np.full(n_hidden, np.nan)
        fixed[zhi <= 0] = 0.0  # never on
        fixed[zlo > 0] = 1.0  # always on
        h0 = prog.add_binaries(n_hidden, fixed)
        for j in range(n_hidden):
            cols = np.append(feature_cols, h0 + j)
            w = W1[v, :, j]
            # cut: a unit off its side at x needs at least its own radius
            on = bool(x @ w + b1[v, j] > 0)
            r_j = _linear_radius(x, w, b1[v, j], on, np.inf, low, high)
            if np.isfinite(r_j) and r_j > 0:
                if on:  # r >= r_j (1 - h)
                    prog.add(([d, h0 + j], [1.0, r_j]), r_j, np.inf)
                else:  # r >= r_j h
                    prog.add(([d, h0 + j], [1.0, -r_j]), 0.0, np.inf)
            # h = 1 -> z >= margin: w.x' + (zlo - m) h >= zlo - b1
            low_big = min(zlo[j] - margin, 0.0)
            prog.add((cols, np.append(w, low_big)), low_big + margin - b1[v, j], np.inf)
            # h = 0 -> z <= -margin: w.x' - (zhi + m) h <= -m - b1
            high_big = max(zhi[j] + margin, 0.0)
            prog.add((cols, np.append(w, -high_big)), -np.inf, -margin - b1[v, j])
        for_votes.append(h0)
    first = prog.add_binaries(n_votes)
    for v, h0 in enumerate(for_votes):
        out = w2[v]
        olo = np.minimum(out, 0.0).sum() + b2[v]
        ohi = np.maximum(out, 0.0).sum() + b2[v]
        cols = np.append(np.arange(h0, h0 + n_hidden), first + v)
        # o is a function of the bits alone. Both sides are relaxed by _OUTPUT_SLACK
        # (sound: a superset of the true patterns, whatever the rounding of the sums);
        # _milp_row then cuts the patterns that predict's float sums put on the wrong
        # side, e.g. outputs of exactly 0 (the output bias sits at minus a pattern's
        # score when the training's threshold falls between equal scores)
        t = _OUTPUT_SLACK
        if positive:  # a = 1 -> o <= t: sum w2 h + (ohi - t) a <= ohi - b2
            big = max(ohi - t, 0.0)
            prog.add((cols, np.append(out, big)), -np.inf, big + t - b2[v])
        else:  # a = 1 -> o >= -t: sum w2 h + (olo + t) a >= olo - b2
            big = min(olo + t, 0.0)
            prog.add((cols, np.append(out, big)), big - t - b2[v], np.inf)
    prog.votes = (for_votes, first, n_hidden)
    need = n_votes - n_votes // 2 if positive else n_votes // 2 + 1
    prog.add((np.arange(first, first + n_votes), np.ones(n_votes)), need, np.inf)
    return prog


def _n_votes(model):
    return model.intercept_.shape[1]


def _single_vote_bound(model, v, x, positive, low, high, bound, time_limit):
    """A lower bound on the radius of MLP01 vote ``v`` alone (its own MILP, relaxed:
    valid whether or not it finishes); ``inf`` where the vote cannot change."""
    single = model.select_votes([v])
    prog = _build(single, x, positive, low, high, None, 0.0)
    prog.lb[x.size] = bound
    res = prog.solve(time_limit)
    if res.status == 2:
        return np.inf
    lower = getattr(res, "mip_dual_bound", None)
    return bound if lower is None or not np.isfinite(lower) else max(float(lower), bound)


def _vote_bound(model, x, positive, low, high, vote_time=None):
    """A lower bound on the radius from the votes one by one: the flip needs
    ``need`` votes on the other side; those that agree with the prediction at ``x``
    each need at least their own radius (SCD01: the vote's hyperplane; MLP01: the
    nearest hyperplane of one of its hidden units, as some unit must change), so the
    radius is at least the ``m``-th smallest of these, ``m`` the votes missing. With
    ``vote_time``, an MLP01 vote's radius is its own MILP's lower bound (within that
    many seconds) instead."""
    if isinstance(model, SCD01Classifier):
        W, b = _vote_units(model)
        z = x @ W + b
        agree = (z > 0) == positive
        radii = [_linear_radius(x, W[:, v], b[v], bool(z[v] > 0), np.inf, low, high)
                 for v in np.flatnonzero(agree)]
        n_votes = b.size
    else:
        W1, b1, w2, b2 = _vote_units(model)
        n_votes = b2.size
        radii = []
        for v in range(n_votes):
            z = x @ W1[v] + b1[v]
            o = 0.0
            for j in range(z.size):  # summed unit by unit, as predict does
                o += (z[j] > 0) * w2[v, j]
            vote = o + b2[v] > 0
            if vote == positive:
                radius = min(_linear_radius(x, W1[v][:, j], b1[v, j], bool(z[j] > 0),
                                            np.inf, low, high) for j in range(z.size))
                if vote_time is not None and n_votes > 1 and np.isfinite(radius):
                    radius = max(radius, _single_vote_bound(model, v, x, vote, low, high,
                                                            radius, vote_time))
                radii.append(radius)
    need = n_votes - n_votes // 2 if positive else n_votes // 2 + 1
    missing = need - (n_votes - len(radii))
    if missing <= 0:
        return 0.0
    return float(np.sort(radii)[missing - 1])


def _cut_wrong_patterns(model, prog, solution, positive):
    """Add a no-good cut for every vote the solution puts on the flip side with a
    hidden pattern that predict's float sum puts on the other; whether any was
    added."""
    _, _, w2, b2 = _vote_units(model)
    for_votes, first, n_hidden = prog.votes
    added = False
    for v, h0 in enumerate(for_votes):
        if round(solution[first + v]) != 1:
            continue
        bits = np.round(solution[h0:h0 + n_hidden]).astype(bool)
        o = 0.0
        for j in range(n_hidden):  # summed unit by unit, as predict does
            o += bits[j] * w2[v, j]
        if (o + b2[v] > 0) != positive:
            continue  # on the flip side indeed
        # not (h = bits and a_v = 1): sum_{on} (1 - h) + sum_{off} h + (1 - a_v) >= 1
        cols = np.append(np.arange(h0, h0 + n_hidden), first + v)
        coefficients = np.append(np.where(bits, -1.0, 1.0), -1.0)
        prog.add((cols, coefficients), -float(bits.sum()), np.inf)
        added = True
    return added


def _milp_row(model, x, positive, clip, reach, time_limit, atol, predict_other):
    """``(radius, upper_bound, status)`` of one row."""
    start = time.monotonic()
    low, high = _box(x, clip, reach)
    vote_time = None if time_limit is None else 0.25 * time_limit / _n_votes(model)
    bound = _vote_bound(model, x, positive, low, high, vote_time=vote_time or 1.0)
    if np.isinf(bound) or (reach is not None and bound > reach):
        return (np.inf if reach is None else reach), np.inf, "robust"
    prog = _build(model, x, positive, low, high, reach, 0.0)
    prog.lb[x.size] = bound
    deadline = None if time_limit is None else start + time_limit
    while True:
        left = None if deadline is None else max(deadline - time.monotonic(), 1e-3)
        res = prog.solve(left)
        if res.status == 2:  # infeasible: nothing in the box changes the prediction
            return (np.inf if reach is None else reach), np.inf, "robust"
        lower = getattr(res, "mip_dual_bound", None)
        lower = 0.0 if lower is None or not np.isfinite(lower) else max(float(lower), 0.0)
        lower = max(lower, bound)
        if res.x is None:  # time limit before any point was found
            return lower, np.inf, "unknown"
        if not isinstance(model, MLP01Classifier) or not _cut_wrong_patterns(
                model, prog, res.x, positive):
            break
        if deadline is not None and time.monotonic() >= deadline:
            return lower, np.inf, "unknown"
    # check the optimum on the model: same binary pattern, a margin on every condition
    binaries = np.round(res.x[np.array(prog.integer) == 1])
    upper = np.inf
    for margin in (_MARGIN, 1e-5):
        check = _build(model, x, positive, low, high, None, margin).solve(
            time_limit, fixed_binaries=binaries)
        if check.x is not None:
            point = check.x[:x.size]
            if predict_other(point):
                upper = float(np.max(np.abs(point - x)))
                break
    if res.status == 0 and upper - lower <= atol:
        return lower, upper, "exact"
    return lower, upper, "unknown"


def _build_ovr(model, x, predicted, target, low, high, reach, margin):
    """The program of a one-vs-all SCD01 ensemble: some ``x'`` in the box predicted
    ``target`` instead of ``predicted``. A binary ``s[p, v]`` per vote says which side
    of its hyperplane ``x'`` is on (``z >= margin`` or ``z <= -margin``); ``target``
    must have more positive votes than every problem before it and at least as many
    as every problem after it (``predict``'s argmax, ties to the first class)."""
    prog = _Program(x, low, high, reach)
    d = x.size
    W, b = model.coef_, model.intercept_  # (P, V, d), (P, V)
    n_problems, n_votes = b.shape
    first = {}
    for p in range(n_problems):
        zlo, zhi = _range_over_box(W[p].T, b[p], low, high)
        fixed = np.full(n_votes, np.nan)
        fixed[zhi <= 0] = 0.0
        fixed[zlo > 0] = 1.0
        first[p] = prog.add_binaries(n_votes, fixed)
        for v in range(n_votes):
            w, col = W[p, v], first[p] + v
            cols = np.append(np.arange(d), col)
            low_big = min(zlo[v] - margin, 0.0)  # s = 1 -> z >= margin
            prog.add((cols, np.append(w, low_big)), low_big + margin - b[p, v], np.inf)
            high_big = max(zhi[v] + margin, 0.0)  # s = 0 -> z <= -margin
            prog.add((cols, np.append(w, -high_big)), -np.inf, -margin - b[p, v])
            # cut: a vote off its side at x needs at least its own radius
            on = bool(x @ w + b[p, v] > 0)
            r_v = _linear_radius(x, w, b[p, v], on, np.inf, low, high)
            if np.isfinite(r_v) and r_v > 0:
                if on:
                    prog.add(([d, col], [1.0, r_v]), r_v, np.inf)
                else:
                    prog.add(([d, col], [1.0, -r_v]), 0.0, np.inf)
    ones = np.ones(n_votes)
    for p in range(n_problems):
        if p == target:
            continue
        cols = np.concatenate([np.arange(first[target], first[target] + n_votes),
                               np.arange(first[p], first[p] + n_votes)])
        prog.add((cols, np.concatenate([ones, -ones])), 1.0 if p < target else 0.0, np.inf)
    return prog


def _ovr_row(model, x, predicted, clip, reach, time_limit, atol, predict_other):
    """``(radius, upper_bound, status)`` of one row of a one-vs-all SCD01 ensemble:
    the least radius over the programs of every other class."""
    start = time.monotonic()
    low, high = _box(x, clip, reach)
    lower, upper, finished = np.inf, np.inf, True
    for target in range(model.intercept_.shape[0]):
        if target == predicted:
            continue
        left = None if time_limit is None else max(start + time_limit - time.monotonic(), 1e-3)
        prog = _build_ovr(model, x, predicted, target, low, high, reach, 0.0)
        res = prog.solve(left)
        if res.status == 2:
            continue  # no point of the box is predicted target
        bound = getattr(res, "mip_dual_bound", None)
        bound = 0.0 if bound is None or not np.isfinite(bound) else max(float(bound), 0.0)
        lower = min(lower, bound)
        if res.status != 0:
            finished = False
        if res.x is None:
            continue
        binaries = np.round(res.x[np.array(prog.integer) == 1])
        for margin in (_MARGIN, 1e-5):
            check = _build_ovr(model, x, predicted, target, low, high, None, margin).solve(
                left, fixed_binaries=binaries)
            if check.x is not None and predict_other(check.x[:x.size]):
                upper = min(upper, float(np.max(np.abs(check.x[:x.size] - x))))
                break
    if np.isinf(lower) and finished:
        return (np.inf if reach is None else reach), np.inf, "robust"
    if reach is not None and lower > reach:
        lower = reach
    if finished and upper - lower <= atol:
        return lower, upper, "exact"
    return lower, upper, "unknown"


def certified_radius(estimator, X, *, norm=np.inf, eps=None, clip=(0.0, 1.0),
                     time_limit=10.0, atol=1e-5):
    """Exact robustness radius of each row: the smallest perturbation that changes
    the model's prediction.

    A single linear vote (an ``SCD01Classifier`` with one vote, or a binary linear
    classifier such as ``LinearSVC``) has its radius in closed form, in L-inf and L2.
    A binary ``SCD01Classifier`` majority vote and a binary ``MLP01Classifier`` (any
    number of votes; hidden sign units as binary variables) get theirs, in L-inf,
    from a mixed-integer linear program solved by ``scipy.optimize.milp`` (HiGHS),
    within ``time_limit`` seconds per row; a multiclass (one-vs-all)
    ``SCD01Classifier`` from one program per other class (every vote's side a binary
    variable, ``predict``'s argmax with ties to the first class), sharing the time.

    Parameters
    ----------
    estimator : classifier
        A fitted ``SCD01Classifier`` (binary or one-vs-all), a binary
        ``MLP01Classifier`` or a binary linear classifier (``coef_`` of one row,
        positive class where ``x @ coef_ + intercept_ > 0``), or a
        ``FrozenEstimator`` of one.
    X : array-like of shape (n_samples, n_features)
        Points to certify (not modified); finite, inside ``clip``.
    norm : {np.inf, 2}, default=np.inf
        The norm of the perturbation. ``2`` only for a single linear vote.
    eps : float or None, default=None
        Largest radius of interest. ``None`` looks for the radius in the whole
        domain (a finite ``clip`` is then needed for the MILPs). With ``eps``, a
        MILP row that no perturbation of norm ``<= eps`` changes is ``"robust"``
        with ``radius = eps`` (the program is smaller and solves faster); closed-form
        radii are always exact.
    clip : (float, float) or None, default=(0.0, 1.0)
        The input domain: perturbed points stay inside it. ``None``: all of R^d.
    time_limit : float or None, default=10.0
        Seconds for each row's MILP (``None``: no limit). A row whose program does
        not finish gets status ``"unknown"`` and the lower bound proven so far.
    atol : float, default=1e-5
        How close the checked point's distance must be to the proven lower bound for
        a MILP row to be ``"exact"``.

    Returns
    -------
    certificate : Certificate
        ``radius``, ``upper_bound`` and ``status`` per row, the ``prediction``, and
        ``certified(eps)``.

    Raises
    ------
    TypeError
        If ``estimator`` is not one of the supported models.
    ValueError
        If the model is a multiclass MLP01, if ``norm`` is not ``np.inf`` or ``2`` (or is 2
        for an ensemble), if ``eps``, ``clip``, ``time_limit`` or ``atol`` is
        invalid, if ``X`` is not finite, has the wrong number of features or values
        outside ``clip``, or if a MILP has neither ``eps`` nor a finite ``clip`` to
        bound its search.
    NotFittedError
        If the model is not fitted.

    Notes
    -----
    The MILP relaxes every strict ``> 0`` of the model to ``>= 0``, so its optimum
    is a valid lower bound in every case and the radius itself (an infimum) in the
    non-degenerate ones; each optimum is checked on the model's ``predict`` (see
    ``upper_bound``). The arithmetic is the solver's (feasibility tolerance about
    1e-7 on a vote's pre-activation), not the prediction kernel's float sums: a
    point within about 1e-7 of a vote's hyperplane may be counted on either side.

    References
    ----------
    .. [1] Xue, Xie and Roshan, "Defending against substitute model black box
       adversarial attacks with the 01 loss", 2020 (the models).
    .. [2] Tjeng, Xiao and Tedrake, "Evaluating robustness of neural networks with
       mixed integer programming", ICLR 2019 (the big-M encoding).
    .. [3] Carlini et al., "On evaluating adversarial robustness", 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import LinearSVC
    >>> from sk01loss.robustness import certified_radius
    >>> X = np.array([[0.2, 0.2], [0.3, 0.1], [0.8, 0.9], [0.7, 0.8]])
    >>> y = np.array([0, 0, 1, 1])
    >>> cert = certified_radius(LinearSVC().fit(X, y), X)
    >>> cert.status.tolist()
    ['exact', 'exact', 'exact', 'exact']
    """
    model = unwrap(estimator)
    kind, linear = _model_kind(model)
    norm = _check_norm(norm)
    eps = _check_eps(eps)
    clip = check_clip(clip)
    if time_limit is not None:
        if (isinstance(time_limit, (bool, np.bool_)) or not isinstance(time_limit, Real)
                or not np.isfinite(time_limit) or time_limit <= 0):
            raise ValueError(
                f"time_limit must be a finite number > 0 or None; got {time_limit!r}.")
        time_limit = float(time_limit)
    atol = _check_eps(atol, allow_none=False, name="atol")
    X = check_array(X, dtype=np.float64, copy=True)
    n_features = getattr(model, "n_features_in_", None)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but the model was fitted on "
                         f"{n_features}.")
    try:
        check_in_clip(X, clip)
    except ValueError:
        raise ValueError(
            f"X has values in [{X.min():g}, {X.max():g}] outside clip={clip!r}: a "
            "certificate covers the points of the domain clip, which must contain the "
            "points certified. Scale X into clip (e.g. with MinMaxScaler), or pass a "
            "wider clip or clip=None.") from None
    if kind != "linear":
        if norm != np.inf:
            raise ValueError(
                "norm=2 is exact only for a single linear vote; the ensembles' MILPs "
                "are L-inf (an L-inf radius r also certifies L2 radius r).")
        if eps is None and (clip is None or not all(map(math.isfinite, clip))):
            raise ValueError("The MILP needs a bounded search: pass eps or a finite clip.")
    classes = np.asarray(model.classes_)
    prediction = np.asarray(estimator.predict(estimator_input(estimator, X)))
    positive = prediction == classes[-1]
    n = X.shape[0]
    radius = np.empty(n)
    upper = np.empty(n)
    status = np.empty(n, dtype=object)

    def predict_other(point, i):
        label = estimator.predict(estimator_input(estimator, point[None, :]))[0]
        return label != prediction[i]

    for i in range(n):
        if kind == "linear":
            w, b = linear
            low, high = _box(X[i], clip, None)
            r = _linear_radius(X[i], w, b, positive[i], norm, low, high)
            radius[i], upper[i] = r, r
            status[i] = "robust" if np.isinf(r) else "exact"
        elif kind == "scd01-ovr":
            radius[i], upper[i], status[i] = _ovr_row(
                model, X[i], int(np.flatnonzero(classes == prediction[i])[0]), clip, eps,
                time_limit, atol, lambda point, i=i: predict_other(point, i))
        else:
            radius[i], upper[i], status[i] = _milp_row(
                model, X[i], positive[i], clip, eps, time_limit, atol,
                lambda point, i=i: predict_other(point, i))
    return Certificate(radius=radius, upper_bound=upper, status=status,
                       prediction=prediction, norm=norm,
                       method="closed-form" if kind == "linear" else "milp")


def certified_accuracy(estimator, X, y, eps, **kwargs):
    """Fraction of rows that are classified right and certified at ``eps``.

    Parameters
    ----------
    estimator : classifier
        As for :func:`certified_radius`.
    X : array-like of shape (n_samples, n_features)
        Test points.
    y : array-like of shape (n_samples,)
        Their true labels.
    eps : float
        Radius, at least 0.
    **kwargs
        ``norm``, ``clip``, ``time_limit``, ``atol`` of :func:`certified_radius`.

    Returns
    -------
    accuracy : float
        Rows whose status is ``"unknown"`` count as certified only where the proven
        lower bound exceeds ``eps`` (a conservative figure). Call
        :func:`certified_radius` with ``eps`` for the per-row certificate.

    Raises
    ------
    ValueError
        If ``y`` has another length than ``X``; as :func:`certified_radius`.
    """
    eps = _check_eps(eps, allow_none=False)
    y = np.asarray(y)
    n_rows = _num_samples(X)
    if y.ndim != 1 or y.shape[0] != n_rows:  # before any certificate is computed
        raise ValueError(f"X has {n_rows} rows but y has shape {y.shape}.")
    cert = certified_radius(estimator, X, eps=eps, **kwargs)
    right = cert.prediction == y
    return float(np.mean(right & cert.certified(eps)))
