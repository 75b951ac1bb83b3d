"""Decision-based (label-only) attacks: HopSkipJump and the Boundary Attack.

Both query nothing but ``predict``, so they attack any classifier, a ``Pipeline``
included. Each row is attacked on its own, with a random generator seeded from
``random_state``, the row's bytes and its label: a row's adversary does not depend
on the other rows of the call.

Two modes share one search:

- ``minimize(X, y=None)``: the minimum-distortion mode. The search runs its whole
  budget and returns the smallest adversary found, its distortion and the queries
  made, per row.
- ``transform`` / ``generate``: the eps-bounded mode of every attack of the
  package. The search stops as soon as an adversary within ``eps`` is found; the row
  is then moved along that adversary's direction to the full budget ``eps`` when the
  point there is still adversarial (else the adversary itself is kept). Rows with no
  adversary within ``eps`` get the projection of the best one found onto the
  ``eps``-ball (which the model does not misclassify), rows with none at all stay
  where they are.
"""

import hashlib
from dataclasses import dataclass
from numbers import Real

import numpy as np
from sklearn.utils import check_random_state

from .._sklearn_compat import Count, NumberInterval, StrOptions
from ._base import (
    BaseAttack,
    _bounds_in,
    check_clip,
    check_finite_step,
    clip_to,
    encode_labels,
    estimator_input,
)

_NORMS = {"l2": 2, "linf": np.inf}


@dataclass
class MinimumDistortion:
    """The smallest adversaries a decision-based attack found (``minimize``).

    Attributes
    ----------
    X_adv : ndarray of shape (n_samples, n_features)
        The smallest adversary found for each row, in the dtype of ``X`` (float32
        kept, else float64), inside ``clip``; the row itself where none was found
        (and where the model already misclassifies it: distortion 0).
    distortion : ndarray of shape (n_samples,), float64
        ``||X_adv - X||`` in the attack's norm; ``inf`` where no adversary was found.
    n_queries : ndarray of shape (n_samples,), int64
        Points the attack asked the model to label, per row.
    success : ndarray of shape (n_samples,), bool
        Where an adversary was found.
    norm : float
        ``2`` or ``np.inf``.
    """

    X_adv: np.ndarray
    distortion: np.ndarray
    n_queries: np.ndarray
    success: np.ndarray
    norm: float


class _Oracle:
    """Label-only access to the model for a batch of rows: whether points are
    adversarial for their row's label index, with the queries counted per row.
    Points are judged in the dtype the attack returns, in chunks of rows."""

    _CHUNK_VALUES = 1 << 21  # values per predict call

    def __init__(self, estimator, classes, dtype, labels, max_queries):
        self.estimator = estimator
        self.classes = classes
        self.dtype = dtype
        self.labels = np.asarray(labels)
        # "no limit" as an int, so that budgets stay integers
        self.max_queries = (1 << 62) if max_queries is None else int(max_queries)
        self.count = np.zeros(self.labels.shape[0], dtype=np.int64)

    def left(self, rows):
        return self.max_queries - self.count[rows]

    def __call__(self, points, rows):
        """``points`` (m, d) float64 for rows ``rows`` (m,): adversarial or not."""
        rows = np.asarray(rows)
        out = np.zeros(points.shape[0], dtype=bool)
        # a point the arithmetic of the search overflowed (inputs near the dtype's
        # limits) is not asked about: it counts as not adversarial
        with np.errstate(over="ignore"):
            cast = points.astype(self.dtype, copy=False)
        finite = np.flatnonzero(np.all(np.isfinite(cast), axis=1))
        np.add.at(self.count, rows[finite], 1)
        step = max(1, self._CHUNK_VALUES // max(points.shape[1], 1))
        for start in range(0, finite.size, step):
            part = finite[start:start + step]
            labels = self.estimator.predict(estimator_input(self.estimator, cast[part]))
            out[part] = encode_labels(self.classes, labels) != self.labels[rows[part]]
        return out


def _norm(delta, norm):
    """Norm of each row of ``delta`` (or of a vector). The L2 norm is computed on
    the rows scaled by a power of two (exact) so that their squares neither
    overflow nor underflow: right for any finite float64 row (``inf`` only where
    the norm itself exceeds the float64 range)."""
    delta = np.asarray(delta, dtype=np.float64)
    largest = np.max(np.abs(delta), axis=-1, keepdims=True) if delta.size else (
        np.zeros(delta.shape[:-1] + (1,)))
    if norm != 2:
        return largest[..., 0]
    _, exponent = np.frexp(np.where(np.isfinite(largest), largest, 1.0))
    scaled = np.ldexp(delta, -exponent)  # largest entry in [0.5, 1)
    with np.errstate(over="ignore"):
        return np.ldexp(np.sqrt(np.sum(scaled * scaled, axis=-1)), exponent[..., 0])


def _row_rng(base, x, c):
    digest = hashlib.blake2b(np.ascontiguousarray(x, dtype=np.float64).tobytes()
                             + int(c).to_bytes(8, "little", signed=True), digest_size=8)
    return np.random.default_rng([base, int.from_bytes(digest.digest(), "little")])


class _DecisionAttack(BaseAttack):
    """What HopSkipJump and the Boundary Attack share: starting points, the oracle,
    the binary search, both modes. The rows of a call are searched in lockstep (one
    ``predict`` call per step for all of them), each with its own generator."""

    _norm_name = "l2"

    def _norm_value(self):
        return _NORMS[self._norm_name]

    # -- fit: keep some training points as starts ----------------------------------

    def _fit(self, X, y):
        X, y = super()._fit(X, y)
        rng = check_random_state(self.random_state)
        keep = np.sort(rng.permutation(X.shape[0])[:256])
        self.starts_ = np.array(X[keep], dtype=np.float64)
        self.start_labels_ = self._predicted_index(X[keep])
        self.data_low_ = np.array(X.min(axis=0), dtype=np.float64)
        self.data_high_ = np.array(X.max(axis=0), dtype=np.float64)
        return X, y

    # -- the pieces of a search -----------------------------------------------------

    def _box(self, X):
        clip = check_clip(self.clip)
        if clip is None:
            return np.full(X.shape[1], -np.inf), np.full(X.shape[1], np.inf)
        low, high = _bounds_in(X.dtype, *clip)
        return (np.full(X.shape[1], float(low)), np.full(X.shape[1], float(high)))

    def _span(self):
        """The size of the domain: ``clip``'s width, else the fit data's."""
        clip = check_clip(self.clip)
        if clip is not None and np.isfinite(clip[1] - clip[0]):
            return float(clip[1] - clip[0])
        span = float(np.max(self.data_high_ - self.data_low_))
        return span if span > 0 else 1.0

    def _starts(self, X, rows, rngs, oracle, low, high):
        """Adversarial starting points of ``rows`` (NaN where none): the nearest
        stored training points the model labels otherwise, else uniform noise in the
        domain (or the fit data's box)."""
        norm = self._norm_value()
        out = np.full((rows.size, X.shape[1]), np.nan)
        points, owner = [], []
        for k, i in enumerate(rows):
            others = self.starts_[self.start_labels_ != oracle.labels[i]]
            n = int(min(4, others.shape[0], oracle.left(i)))
            if n:
                points.append(others[np.argsort(_norm(others - X[i], norm))[:n]])
                owner.append(np.full(n, k))
        if points:
            self._first_adversarial(out, np.vstack(points), np.concatenate(owner), rows, oracle)
        missing = np.flatnonzero(np.isnan(out[:, 0]))
        lo = np.where(np.isfinite(low), low, self.data_low_)
        hi = np.where(np.isfinite(high), high, self.data_high_)
        points, owner = [], []
        for k in missing:
            n = int(min(100, oracle.left(rows[k])))
            if n > 0:
                u = rngs[rows[k]].uniform(size=(n, X.shape[1]))
                points.append(lo * (1.0 - u) + hi * u)  # hi - lo may overflow
                owner.append(np.full(n, k))
        if points:
            self._first_adversarial(out, np.vstack(points), np.concatenate(owner), rows, oracle)
        return out

    @staticmethod
    def _first_adversarial(out, points, owner, rows, oracle):
        adversarial = oracle(points, rows[owner])
        hits = np.flatnonzero(adversarial)
        # the first hit of each owner (points are grouped by owner, in order)
        owners, first = np.unique(owner[hits], return_index=True)
        out[owners] = points[hits[first]]

    def _binary_search(self, X, A, rows, oracle, tol, low, high):
        """The adversarial ends of searches between ``X`` (not adversarial) and ``A``
        (adversarial), rows ``rows``, to a relative resolution ``tol``: along the
        segment (L2), or over the radius of the L-inf ball ``A`` is projected onto."""
        k = rows.size
        if self._norm_value() == 2:
            lo, hi = np.zeros(k), np.ones(k)
            resolution = np.full(k, tol)

            def point(idx, a):
                return (1.0 - a)[:, None] * X[idx] + a[:, None] * A[idx]
        else:
            lo, hi = np.zeros(k), _norm(A - X, np.inf)
            resolution = tol * hi

            def point(idx, a):
                a = a[:, None]
                return np.clip(np.clip(A[idx], X[idx] - a, X[idx] + a), low, high)
        best = A.copy()
        while True:
            idx = np.flatnonzero((hi - lo > resolution) & (oracle.left(rows) >= 1))
            if idx.size == 0:
                return best
            mid = 0.5 * (lo[idx] + hi[idx])
            P = point(idx, mid)
            adversarial = oracle(P, rows[idx])
            hi[idx[adversarial]] = mid[adversarial]
            best[idx[adversarial]] = P[adversarial]
            lo[idx[~adversarial]] = mid[~adversarial]

    def _search(self, X, rows, rngs, oracle, stop_at, low, high):
        """Adversaries (NaN rows where none) and distortions of ``rows``."""
        raise NotImplementedError

    def _run(self, X, y_index, stop_at):
        """Search every row: adversaries (float64, NaN rows where none), distortions,
        queries."""
        Xf = np.asarray(X, dtype=np.float64)
        low, high = self._box(X)
        base = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        n, d = Xf.shape
        oracle = _Oracle(self.estimator_, self.classes_, X.dtype, y_index, self.max_queries)
        adversaries = np.full((n, d), np.nan)
        distortion = np.full(n, np.inf)
        if n == 0:
            return adversaries, distortion, oracle.count
        wrong = oracle(Xf, np.arange(n))  # misclassified already: distortion 0
        adversaries[wrong], distortion[wrong] = Xf[wrong], 0.0
        rows = np.flatnonzero(~wrong)
        if rows.size:
            rngs = {i: _row_rng(base, Xf[i], y_index[i]) for i in rows}
            found, dist = self._search(Xf, rows, rngs, oracle, stop_at, low, high)
            adversaries[rows], distortion[rows] = found, dist
        return adversaries, distortion, oracle.count

    # -- the two modes --------------------------------------------------------------

    def minimize(self, X, y=None):
        """Minimum-distortion mode: the smallest adversary found for each row, within
        the attack's query budget (``eps`` plays no part).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to attack (left unchanged), inside ``clip``.
        y : array-like of shape (n_samples,), default=None
            Labels to attack (e.g. the true ones); ``None`` attacks the labels the
            model predicts.

        Returns
        -------
        result : MinimumDistortion
            ``X_adv``, ``distortion``, ``n_queries`` and ``success`` per row.

        Raises
        ------
        ValueError
            As ``generate``.
        NotFittedError
            If the attack is not fitted.
        """
        X = self._validate_X(X)
        y_index = self._predicted_index(X) if y is None else self._label_index(y, X.shape[0])
        adversaries, distortion, queries = self._run(X, y_index, stop_at=-1.0)
        success = np.isfinite(distortion)
        X_adv = np.where(success[:, None], adversaries, X).astype(X.dtype)
        clip_to(X_adv, self.clip)
        # the distortion of what is returned (float32 adversaries are rounded)
        delta = X_adv[success].astype(np.float64) - np.asarray(X[success], dtype=np.float64)
        distortion[success] = _norm(delta, self._norm_value())
        return MinimumDistortion(X_adv=X_adv, distortion=distortion, n_queries=queries,
                                 success=success, norm=self._norm_value())

    def _perturb(self, X, y_index):
        Xf = np.asarray(X, dtype=np.float64)
        eps = float(self.eps)
        if eps == 0:
            return np.array(X, dtype=X.dtype, copy=True)
        adversaries, distortion, _ = self._run(X, y_index, stop_at=eps)
        norm = self._norm_value()
        low, high = self._box(X)
        out = Xf.copy()
        found = np.isfinite(distortion) & (distortion > 0)
        direction = np.where(found[:, None], adversaries - Xf, 0.0)
        scale = np.zeros_like(distortion)
        scale[found] = eps / distortion[found]
        # within eps: to the full budget where that is still adversarial
        within = found & (distortion <= eps)
        if within.any():
            rows = np.flatnonzero(within)
            with np.errstate(over="ignore"):
                farther = np.clip(Xf[rows] + scale[rows, None] * direction[rows], low, high)
            # a budget beyond the range of the dtype: the attacks' overflow error
            with np.errstate(over="ignore"):
                check_finite_step(farther.astype(X.dtype))
            oracle = _Oracle(self.estimator_, self.classes_, X.dtype, y_index, None)
            keep = oracle(farther, rows)
            out[rows] = np.where(keep[:, None], farther, adversaries[rows])
        beyond = found & (distortion > eps)
        if beyond.any():  # the projection of the best adversary onto the eps-ball
            rows = np.flatnonzero(beyond)
            if norm == 2:
                out[rows] = Xf[rows] + scale[rows, None] * direction[rows]
            else:
                out[rows] = np.clip(adversaries[rows], Xf[rows] - eps, Xf[rows] + eps)
            out[rows] = np.clip(out[rows], low, high)
        return out.astype(X.dtype)


_BUDGET = {
    "max_steps": [Count(1)],
    "max_queries": [Count(1), None],
}


class HopSkipJumpAttack(_DecisionAttack):
    """HopSkipJump: a decision-based attack that needs only the predicted labels.

    From an adversarial start (the nearest training point the model labels
    otherwise, else uniform noise), each iteration searches the boundary between the
    point and the adversary (binary search), estimates the direction of the boundary
    from ``n`` labels of random points around the boundary point (Monte Carlo, with
    a baseline), steps along it with a geometrically shrinking step size until the
    point is adversarial again, and searches the boundary anew (Chen, Jordan and
    Wainwright, 2020, untargeted). The L2 version steps along the estimate, the
    L-inf version along its sign and searches over L-inf balls.

    Parameters
    ----------
    estimator : classifier
        Any classifier with ``predict`` (a ``Pipeline`` included); only its labels
        are used. Cloned and fitted in ``fit``; wrap a fitted model in
        ``sklearn.frozen.FrozenEstimator`` to attack it as it is.
    constraint : {"linf", "l2"}, default="linf"
        The norm the distortion is measured and minimised in, and of ``eps``.
    eps : float, default=0.1
        Radius of the bounded mode (``transform``/``generate``), in the norm of
        ``constraint``: the search stops at the first adversary within ``eps``. An
        L2 radius also bounds the L-inf distortion, as the attacks' contract asks.
    max_steps : int, default=40
        Iterations (gradient estimates) per row.
    init_evals : int, default=50
        Labels asked for the first gradient estimate; iteration ``t`` asks
        ``init_evals * sqrt(t)``, at most ``max_evals``.
    max_evals : int, default=400
        Most labels asked for one gradient estimate.
    gamma : float, default=1.0
        Scales the binary search's resolution ``theta = gamma / d**1.5`` (L2) or
        ``gamma / d**2`` (L-inf), in units of the domain's width, and with it the
        radius of the gradient probes (the paper's ``gamma``). The binary search
        resolves at least 1e-3 of the distortion.
    max_queries : int or None, default=None
        Most labels asked per row (``None``: as many as the budget above needs).
    clip : (float, float) or None, default=(0.0, 1.0)
        The input domain; every query stays inside it. ``None``: any finite value
        (uniform starts are then drawn in the fit data's bounding box).
    random_state : None, int or RandomState, default=None
        Seeds the random starts and probes; each row draws from its own generator,
        seeded from this, its bytes and its label.

    Attributes
    ----------
    estimator_ : classifier
        The fitted model.
    classes_ : ndarray of shape (n_classes,)
        Its class labels.
    starts_ : ndarray of shape (n_starts, n_features)
        Up to 256 training rows kept as adversarial starts.
    start_labels_ : ndarray of shape (n_starts,)
        The index of the label the model predicts for each.
    data_low_, data_high_ : ndarray of shape (n_features,)
        The bounding box of the training data.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string feature names.

    See Also
    --------
    BoundaryAttack : the earlier decision-based attack, a random walk along the
        boundary.

    Notes
    -----
    The budget per row is about ``max_steps`` gradient estimates of up to
    ``max_evals`` labels plus about ``log2(1 / theta)`` labels per binary search;
    ``minimize`` reports the queries actually made. Defaults are smaller than the
    paper's (up to 10,000 labels per estimate) so that a 32-vote SCD01 model of
    MNIST costs about a second per row on one core; raise them for a stronger
    attack.

    References
    ----------
    .. [1] Chen, Jordan and Wainwright, "HopSkipJumpAttack: a query-efficient
       decision-based attack", IEEE S&P 2020.
    .. [2] Carlini et al., "On evaluating adversarial robustness", 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import LinearSVC
    >>> from sk01loss.attacks import HopSkipJumpAttack
    >>> X = np.array([[0.2, 0.1], [0.3, 0.2], [0.7, 0.9], [0.8, 0.8]])
    >>> y = np.array([0, 0, 1, 1])
    >>> attack = HopSkipJumpAttack(LinearSVC(), eps=0.5, random_state=0).fit(X, y)
    >>> result = attack.minimize(X, y)
    >>> bool(result.success.all())
    True
    >>> attack.estimator_.predict(result.X_adv)
    array([1, 1, 0, 0])
    """

    _parameter_constraints = {
        **_DecisionAttack._parameter_constraints,
        **_BUDGET,
        "constraint": [StrOptions({"l2", "linf"})],
        "init_evals": [Count(1)],
        "max_evals": [Count(1)],
        "gamma": [NumberInterval(Real, 0, None, closed="neither")],
    }

    def __init__(self, estimator, *, constraint="linf", eps=0.1, max_steps=40, init_evals=50,
                 max_evals=400, gamma=1.0, max_queries=None, clip=(0.0, 1.0),
                 random_state=None):
        super().__init__(estimator, eps=eps, clip=clip, random_state=random_state)
        self.constraint = constraint
        self.max_steps = max_steps
        self.init_evals = init_evals
        self.max_evals = max_evals
        self.gamma = gamma
        self.max_queries = max_queries

    @property
    def _norm_name(self):
        return self.constraint

    def _gradient(self, points, rows, delta, n_evals, rngs, oracle, low, high):
        """Monte Carlo estimates of the direction in which points turn adversarial,
        one per row (NaN where every estimate vanished)."""
        d = points.shape[1]
        probes, units = [], []
        for k, i in enumerate(rows):
            if self.constraint == "l2":
                u = rngs[i].standard_normal((n_evals[k], d))
            else:
                u = rngs[i].uniform(-1.0, 1.0, (n_evals[k], d))
            u /= np.maximum(np.sqrt(np.sum(u * u, axis=1, keepdims=True)), 1e-300)
            probe = np.clip(points[k] + delta[k] * u, low, high)
            probes.append(probe)
            units.append((probe - points[k]) / delta[k])
        owner = np.repeat(np.arange(rows.size), n_evals)
        phi = np.where(oracle(np.vstack(probes), rows[owner]), 1.0, -1.0)
        out = np.full((rows.size, d), np.nan)
        start = 0
        for k in range(rows.size):
            f = phi[start:start + n_evals[k]]
            start += n_evals[k]
            mean = f.mean()
            if abs(mean) == 1.0:
                v = mean * units[k].mean(axis=0)
            else:
                v = ((f - mean)[:, None] * units[k]).mean(axis=0)
            size = np.sqrt(np.sum(v * v))
            if size > 0:
                out[k] = v / size
        return out

    def _search(self, X, rows, rngs, oracle, stop_at, low, high):
        norm = self._norm_value()
        d = X.shape[1]
        span = self._span()
        theta = self.gamma / (d ** 1.5 if norm == 2 else d ** 2)
        tol = min(theta, 1e-3)
        x_adv = self._starts(X, rows, rngs, oracle, low, high)
        dist = np.full(rows.size, np.inf)
        alive = ~np.isnan(x_adv[:, 0])
        if alive.any():
            idx = np.flatnonzero(alive)
            x_adv[idx] = self._binary_search(X[rows[idx]], x_adv[idx], rows[idx], oracle, tol,
                                             low, high)
            dist[idx] = _norm(x_adv[idx] - X[rows[idx]], norm)
        for t in range(1, int(self.max_steps) + 1):
            alive &= (dist > stop_at) & (dist > 0) & (oracle.left(rows) >= 1)
            idx = np.flatnonzero(alive)
            if idx.size == 0:
                break
            r, x = rows[idx], X[rows[idx]]
            if t == 1:
                delta = np.full(idx.size, 0.1 * span)
            else:
                delta = (np.sqrt(d) if norm == 2 else d) * theta * dist[idx]
            delta = np.maximum(delta, 1e-12 * span)
            n_evals = np.minimum(int(min(self.init_evals * np.sqrt(t), self.max_evals)),
                                 oracle.left(r)).astype(np.int64)
            v = self._gradient(x_adv[idx], r, delta, n_evals, rngs, oracle, low, high)
            if norm == np.inf:
                v = np.sign(v)
            # geometric progression of the step until the point is adversarial again
            step = dist[idx] / np.sqrt(t)
            candidate = np.full_like(v, np.nan)
            pending = ~np.isnan(v[:, 0])
            while True:
                pending &= (oracle.left(r) >= 1) & (step > 1e-12 * dist[idx])
                p = np.flatnonzero(pending)
                if p.size == 0:
                    break
                trial = np.clip(x_adv[idx[p]] + step[p, None] * v[p], low, high)
                adversarial = oracle(trial, r[p])
                candidate[p[adversarial]] = trial[adversarial]
                pending[p[adversarial]] = False
                step[p[~adversarial]] /= 2.0
            moved = ~np.isnan(candidate[:, 0])
            alive[idx[~moved]] = False  # no direction or no step left: done
            m = np.flatnonzero(moved)
            if m.size:
                new = self._binary_search(x[m], candidate[m], r[m], oracle, tol, low, high)
                new_dist = _norm(new - x[m], norm)
                better = new_dist < dist[idx[m]]
                x_adv[idx[m[better]]] = new[better]
                dist[idx[m[better]]] = new_dist[better]
        return x_adv, dist


class BoundaryAttack(_DecisionAttack):
    """The Boundary Attack: a label-only random walk along the decision boundary
    towards the point (Brendel, Rauber and Bethge, 2018), in L2.

    From an adversarial start (the nearest training point the model labels
    otherwise, else uniform noise), brought to the boundary by a binary search, each
    step draws ``n_candidates`` orthogonal steps on the sphere around the point
    (relative size ``spherical_step``), moves each towards the point by the fraction
    ``source_step``, and keeps the nearest candidate that is still adversarial. Both
    step sizes adapt to the fraction of candidates that succeed (grown by 1.5 above
    one half, shrunk below one fifth), as in the paper.

    Parameters
    ----------
    estimator : classifier
        Any classifier with ``predict`` (a ``Pipeline`` included); only its labels
        are used. Cloned and fitted in ``fit``; wrap a fitted model in
        ``sklearn.frozen.FrozenEstimator`` to attack it as it is.
    eps : float, default=0.1
        L2 radius of the bounded mode (``transform``/``generate``; it bounds the
        L-inf distortion too): the walk stops at the first adversary within it.
    max_steps : int, default=500
        Steps per row; each asks ``2 * n_candidates`` labels.
    n_candidates : int, default=10
        Candidates per step.
    spherical_step : float, default=0.01
        Initial size of the orthogonal step, relative to the distance to the point.
    source_step : float, default=0.01
        Initial fraction of the distance moved towards the point.
    max_queries : int or None, default=None
        Most labels asked per row (``None``: as many as ``max_steps`` steps need).
    clip : (float, float) or None, default=(0.0, 1.0)
        The input domain; every query stays inside it.
    random_state : None, int or RandomState, default=None
        Seeds the starts and the walk; each row draws from its own generator, seeded
        from this, its bytes and its label.

    Attributes
    ----------
    estimator_ : classifier
        The fitted model.
    classes_ : ndarray of shape (n_classes,)
        Its class labels.
    starts_ : ndarray of shape (n_starts, n_features)
        Up to 256 training rows kept as adversarial starts.
    start_labels_ : ndarray of shape (n_starts,)
        The index of the label the model predicts for each.
    data_low_, data_high_ : ndarray of shape (n_features,)
        The bounding box of the training data.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string feature names.

    See Also
    --------
    HopSkipJumpAttack : the faster successor (gradient estimates from labels).

    References
    ----------
    .. [1] Brendel, Rauber and Bethge, "Decision-based adversarial attacks: reliable
       attacks against black-box machine learning models", ICLR 2018.
    .. [2] Carlini et al., "On evaluating adversarial robustness", 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import LinearSVC
    >>> from sk01loss.attacks import BoundaryAttack
    >>> X = np.array([[0.2, 0.1], [0.3, 0.2], [0.7, 0.9], [0.8, 0.8]])
    >>> y = np.array([0, 0, 1, 1])
    >>> attack = BoundaryAttack(LinearSVC(), max_steps=100, random_state=0).fit(X, y)
    >>> result = attack.minimize(X, y)
    >>> attack.estimator_.predict(result.X_adv)
    array([1, 1, 0, 0])
    """

    _parameter_constraints = {
        **_DecisionAttack._parameter_constraints,
        **_BUDGET,
        "n_candidates": [Count(1)],
        "spherical_step": [NumberInterval(Real, 0, None, closed="neither")],
        "source_step": [NumberInterval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, estimator, *, eps=0.1, max_steps=500, n_candidates=10,
                 spherical_step=0.01, source_step=0.01, max_queries=None, clip=(0.0, 1.0),
                 random_state=None):
        super().__init__(estimator, eps=eps, clip=clip, random_state=random_state)
        self.max_steps = max_steps
        self.n_candidates = n_candidates
        self.spherical_step = spherical_step
        self.source_step = source_step
        self.max_queries = max_queries

    def _search(self, X, rows, rngs, oracle, stop_at, low, high):
        x_adv = self._starts(X, rows, rngs, oracle, low, high)
        dist = np.full(rows.size, np.inf)
        alive = ~np.isnan(x_adv[:, 0])
        idx = np.flatnonzero(alive)
        if idx.size:
            x_adv[idx] = self._binary_search(X[rows[idx]], x_adv[idx], rows[idx], oracle, 1e-3,
                                             low, high)
            dist[idx] = _norm(x_adv[idx] - X[rows[idx]], 2)
        spherical = np.full(rows.size, float(self.spherical_step))
        source = np.full(rows.size, float(self.source_step))
        k = int(self.n_candidates)
        d = X.shape[1]
        for _ in range(int(self.max_steps)):
            alive &= (dist > stop_at) & (dist > 0) & (oracle.left(rows) >= 2)
            alive &= (source >= 1e-9) | (spherical >= 1e-9)
            idx = np.flatnonzero(alive)
            if idx.size == 0:
                break
            r, x = rows[idx], X[rows[idx]]
            n_now = np.minimum(k, oracle.left(r) // 2).astype(np.int64)
            spheres, moved_points = [], []
            for j, i in enumerate(idx):
                toward = (x[j] - x_adv[i]) / dist[i]
                eta = rngs[r[j]].standard_normal((n_now[j], d))
                full = np.sqrt(np.sum(eta * eta, axis=1, keepdims=True))
                eta -= (eta @ toward)[:, None] * toward
                size = np.sqrt(np.sum(eta * eta, axis=1, keepdims=True))
                # no orthogonal direction (one feature): no spherical move
                size = np.where(size > 1e-9 * full, size, np.inf)
                with np.errstate(over="ignore", invalid="ignore"):
                    eta = np.nan_to_num(eta * (spherical[i] * dist[i] / size), nan=0.0)
                sphere = x_adv[i] + eta
                radius = _norm(sphere - x[j], 2)
                # (no absolute floor on radius: distances may be any float64 scale)
                ratio = np.divide(dist[i], radius, out=np.ones_like(radius), where=radius > 0)
                sphere = x[j] + (sphere - x[j]) * ratio[:, None]
                sphere = np.clip(sphere, low, high)
                spheres.append(sphere)
                moved_points.append(np.clip(sphere + source[i] * (x[j] - sphere), low, high))
            owner = np.repeat(np.arange(idx.size), n_now)
            adversarial = oracle(np.vstack(spheres + moved_points), np.concatenate([r[owner]] * 2))
            half = owner.size
            on_sphere, moved = adversarial[:half], adversarial[half:]
            candidates = np.vstack(moved_points)
            for j, i in enumerate(idx):
                mine = owner == j
                rate = on_sphere[mine].mean()
                spherical[i] *= 1.5 if rate > 0.5 else (1 / 1.5 if rate < 0.2 else 1.0)
                rate = moved[mine].mean()
                if rate > 0.5:
                    source[i] = min(source[i] * 1.5, 0.5)
                elif rate < 0.2:
                    source[i] /= 1.5
                hits = np.flatnonzero(mine & moved)
                if hits.size:
                    distances = _norm(candidates[hits] - x[j], 2)
                    best = int(np.argmin(distances))
                    if distances[best] < dist[i]:
                        x_adv[i], dist[i] = candidates[hits[best]], distances[best]
        return x_adv, dist


__all__ = ["BoundaryAttack", "HopSkipJumpAttack", "MinimumDistortion"]
