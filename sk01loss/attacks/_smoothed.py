"""PGD on a smoothed surrogate of the 0/1-loss vote ensembles."""

from numbers import Real

import numpy as np
from sklearn.utils import check_random_state

from .._mlp01 import MLP01Classifier
from .._scd01 import SCD01Classifier
from .._sklearn_compat import Count, NumberInterval
from ._base import (
    BaseAttack,
    _bounds_in,
    check_clip,
    check_finite_step,
)
from ._decision import _row_rng
from ._whitebox import VOTES_CONSTRAINT, ViewAttack, attacked_predict_index


def surrogate_scores(model, X, temperature):
    """The smoothed vote of every problem, shape (n_samples, n_problems), and a
    function giving the input gradient of ``sum_p G[:, p] * scores[:, p]``.

    SCD01: ``mean_v tanh((x @ w_v + b_v) / T)``. MLP01: hidden bits
    ``(1 + tanh(z / T)) / 2``, each vote ``tanh((h @ w2 + b2) / T)``, averaged over the
    votes. As ``T -> 0`` both tend to ``2 * f - 1``, ``f`` the fraction of positive
    votes of the problem (``predict``'s majority is ``f > 1/2``).
    """
    T = float(temperature)
    if isinstance(model, SCD01Classifier):
        W, b = model.coef_, model.intercept_  # (P, V, d), (P, V)
        t = np.tanh((np.einsum("nd,pvd->npv", X, W) + b) / T)
        scores = t.mean(axis=2)

        def gradient(G):
            C = G[:, :, None] * (1.0 - t * t) / (T * W.shape[1])
            return np.einsum("npv,pvd->nd", C, W)
        return scores, gradient
    W1, b1 = model.hidden_coef_, model.hidden_intercept_  # (P, V, d, H), (P, V, H)
    w2, b2 = model.coef_, model.intercept_  # (P, V, H), (P, V)
    th = np.tanh((np.einsum("nd,pvdh->npvh", X, W1) + b1) / T)
    h = 0.5 * (1.0 + th)
    vote = np.tanh((np.sum(h * w2, axis=3) + b2) / T)
    scores = vote.mean(axis=2)

    def gradient(G):
        C_out = G[:, :, None] * (1.0 - vote * vote) / (T * W1.shape[1])
        C_hidden = C_out[..., None] * w2 * (1.0 - th * th) / (2.0 * T)
        return np.einsum("npvh,pvdh->nd", C_hidden, W1)
    return scores, gradient


def _margin_weights(scores, y_index):
    """``G`` with ``sum_p G[:, p] * scores[:, p]`` the margin of the attacked label:
    ``+-s`` (binary, sign of the label) or ``s_y - max_{p != y} s_p``."""
    n, n_problems = scores.shape
    if n_problems == 1:
        return np.where(y_index == 1, 1.0, -1.0)[:, None]
    G = np.zeros_like(scores)
    rows = np.arange(n)
    others = scores.copy()
    others[rows, y_index] = -np.inf
    G[rows, y_index] = 1.0
    G[rows, np.argmax(others, axis=1)] -= 1.0
    return G


class SmoothedPGDAttack(ViewAttack):
    """White-box PGD on a smoothed surrogate of an SCD01 or MLP01 ensemble, judged on
    the real model.

    Every sign of the ensemble (each linear vote's, each hidden unit's and each
    MLP01 vote's output) is replaced by ``tanh(z / T)``, and the votes are averaged:
    a differentiable score per problem (:func:`surrogate_scores`). Projected
    gradient descent on the margin of the attacked label (binary: the signed score;
    multiclass: its score minus the best other one) takes ``n_steps`` L-inf steps of
    ``step_size`` from a uniform random start in the ``eps``-ball, projected onto
    the ball and ``clip``, in ``n_restarts`` runs per temperature (Madry et al.,
    2018). After every
    step the real model's ``predict`` decides: a row stops as soon as it is
    misclassified, and a row never misclassified gets the end point of its run with
    the smallest surrogate margin.

    Parameters
    ----------
    estimator : SCD01Classifier or MLP01Classifier
        Or a ``Pipeline`` of affine steps (``StandardScaler``, ``MinMaxScaler``,
        ``MaxAbsScaler``, ``PCA``, ``Saturate(p=2)``, ``FunctionTransformer()``,
        ``"passthrough"``, nested pipelines of these) ending in one: the surrogate's
        gradient is brought back through the steps, so PGD runs in the pipeline's
        input space. Cloned and fitted in ``fit``; wrap a fitted model in
        ``sklearn.frozen.FrozenEstimator`` to attack it as it is.
    votes : None, int or array-like of int, default=None
        Votes of the ensemble to attack, by the rule of its ``select_votes``:
        ``None`` attacks every vote of every problem (the ensemble that is
        deployed); an int ``k`` the first ``k`` votes, a sequence the listed vote
        indices (``[0]`` is the single-run model), as a model of their own: the
        surrogate averages them and their majority decides success. The same
        parameter, with the same meaning, as in :class:`LinearSignAttack` and
        :class:`MLP01Attack`.
    eps : float, default=0.1
        L-infinity radius.
    temperature : float or sequence of float, default=(0.1, 1.0)
        ``T`` of ``tanh(z / T)``, in the units of the pre-activations (votes'
        weights have unit L2 norm, so ``z`` is a distance to a hyperplane). Smaller
        values follow the real votes more closely but saturate: far from a
        hyperplane the gradient vanishes. A sequence runs every restart once per
        temperature. Tune it on the model (Carlini et al., 2019: an attack that
        fails may just be badly tuned); on MNIST 0 vs 1 (300 test images, 32-vote
        SCD01, 8-vote MLP01, eps 0.1-0.3) 0.1 was best at small eps and 1.0 at
        large eps, 0.01 was far weaker than both.
    n_steps : int, default=20
        PGD steps per run.
    step_size : float or None, default=None
        L-inf size of a step; ``None`` is ``2.5 * eps / n_steps``.
    n_restarts : int, default=1
        Runs from independent random starts.
    random_start : bool, default=True
        Start from a uniform point of the ``eps``-ball (else from ``x``; with
        ``n_restarts > 1`` the later runs start at random anyway).
    clip : (float, float) or None, default=(0.0, 1.0)
        Bounds of the input domain; every iterate is clipped to them.
    random_state : None, int or RandomState, default=None
        Seeds the random starts; each row draws from its own generator, seeded from
        this, its bytes and its label.

    Attributes
    ----------
    estimator_ : SCD01Classifier or MLP01Classifier
        The fitted model.
    classes_ : ndarray of shape (n_classes,)
        Its class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string feature names.

    See Also
    --------
    LinearSignAttack, MLP01Attack : the paper's one-step white-box attacks.
    HopSkipJumpAttack : a decision-based attack, to compare with (a decision-based
        attack that beats this one suggests a badly tuned ``T``: gradient masking).

    References
    ----------
    .. [1] Madry, Makelov, Schmidt, Tsipras and Vladu, "Towards deep learning models
       resistant to adversarial attacks", ICLR 2018.
    .. [2] Carlini et al., "On evaluating adversarial robustness", 2019.
    .. [3] Xue, Xie and Roshan, "Defending against substitute model black box
       adversarial attacks with the 01 loss", 2020 (the models).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_moons
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sk01loss import MLP01Classifier
    >>> from sk01loss.attacks import SmoothedPGDAttack
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> X = MinMaxScaler().fit_transform(X)
    >>> clf = MLP01Classifier(n_hidden=8, n_estimators=3, max_iter=200, random_state=0)
    >>> attack = SmoothedPGDAttack(clf, eps=0.2, random_state=0).fit(X, y)
    >>> X_adv = attack.generate(X, y)
    >>> bool(attack.estimator_.score(X_adv, y) < attack.estimator_.score(X, y))
    True
    """

    _parameter_constraints = {
        **BaseAttack._parameter_constraints,
        "temperature": [NumberInterval(Real, 0, None, closed="neither"), "array-like"],
        "n_steps": [Count(1)],
        "step_size": [NumberInterval(Real, 0, None, closed="neither"), None],
        "n_restarts": [Count(1)],
        "random_start": ["boolean"],
        "votes": VOTES_CONSTRAINT,
    }

    def __init__(self, estimator, *, votes=None, eps=0.1, temperature=(0.1, 1.0), n_steps=20,
                 step_size=None, n_restarts=1, random_start=True, clip=(0.0, 1.0),
                 random_state=None):
        super().__init__(estimator, eps=eps, clip=clip, random_state=random_state)
        self.votes = votes
        self.temperature = temperature
        self.n_steps = n_steps
        self.step_size = step_size
        self.n_restarts = n_restarts
        self.random_start = random_start

    def _check_final(self, final):
        if not isinstance(final, (SCD01Classifier, MLP01Classifier)):
            raise TypeError(
                "SmoothedPGDAttack attacks SCD01Classifier and MLP01Classifier "
                f"ensembles, not {type(final).__name__}; use FGSMAttack for models "
                "with an input gradient, HopSkipJumpAttack for any classifier.")

    def _check_view(self, view):
        self._check_final(view.final.estimator)

    def _temperatures(self):
        values = np.atleast_1d(np.asarray(self.temperature, dtype=object))
        ok = values.ndim == 1 and values.size > 0 and all(
            isinstance(v, Real) and not isinstance(v, (bool, np.bool_))
            and np.isfinite(v) and v > 0 for v in values)
        if not ok:
            raise ValueError("temperature must be a positive finite number or a non-empty "
                             f"sequence of them; got {self.temperature!r}.")
        return [float(v) for v in values]

    def _fit(self, X, y):
        self._temperatures()
        return super()._fit(X, y)

    def _fooled(self, view, X, y_index, dtype):
        return attacked_predict_index(view, X.astype(dtype)) != y_index

    def _perturb(self, X, y_index):
        view = self._attacked()
        model = view.final.estimator  # the selected votes
        dtype = X.dtype
        Xf = np.asarray(X, dtype=np.float64)
        n, d = Xf.shape
        eps = float(self.eps)
        clip = check_clip(self.clip)
        if clip is None:
            low, high = -np.inf, np.inf
        else:
            low, high = (float(v) for v in _bounds_in(dtype, *clip))
        with np.errstate(over="ignore"):
            lower = np.maximum(Xf - eps, low)
            upper = np.minimum(Xf + eps, high)
        alpha = 2.5 * eps / self.n_steps if self.step_size is None else float(self.step_size)
        base = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        rngs = [_row_rng(base, Xf[i], y_index[i]) for i in range(n)]
        best = Xf.copy()
        best_margin = np.full(n, np.inf)
        done = np.zeros(n, dtype=bool)
        if eps == 0 or n == 0:
            return np.array(X, dtype=dtype, copy=True)
        runs = [(r, T) for r in range(int(self.n_restarts)) for T in self._temperatures()]
        for run, (restart, T) in enumerate(runs):
            todo = np.flatnonzero(~done)
            if todo.size == 0:
                break
            if self.random_start or restart > 0:
                # eps times a uniform draw: a range of 2 * eps may overflow
                noise = eps * np.stack([rngs[i].uniform(-1.0, 1.0, d) for i in todo])
                with np.errstate(over="ignore"):
                    x = np.clip(Xf[todo] + noise, lower[todo], upper[todo])
                    # an eps beyond the range of the dtype: the attacks' overflow error
                    check_finite_step(x.astype(dtype))
            else:
                x = Xf[todo].copy()
                with np.errstate(over="ignore"):
                    check_finite_step((upper[todo] - lower[todo]).astype(dtype))
            active = np.ones(todo.size, dtype=bool)
            for _ in range(int(self.n_steps) + 1):
                fooled = self._fooled(view, x, y_index[todo], dtype) & active
                if fooled.any():
                    best[todo[fooled]] = x[fooled]
                    done[todo[fooled]] = True
                    active &= ~fooled
                if not active.any():
                    break
                with np.errstate(all="ignore"):  # huge inputs: saturated, no step
                    scores, gradient = surrogate_scores(model, view.transform(x), T)
                    G = _margin_weights(scores, y_index[todo])
                    step = np.sign(view.pullback(gradient(G)))
                    step = np.nan_to_num(step)
                    x_new = np.clip(x - alpha * step, lower[todo], upper[todo])
                x = np.where(active[:, None], x_new, x)
            # rows never fooled: the end point with the smallest surrogate margin
            with np.errstate(all="ignore"):
                scores, _ = surrogate_scores(model, view.transform(x), T)
                margin = np.sum(_margin_weights(scores, y_index[todo]) * scores, axis=1)
            margin = np.where(np.isnan(margin), np.inf, margin)
            better = active & (margin < best_margin[todo])
            best[todo[better]] = x[better]
            best_margin[todo[better]] = margin[better]
        return best.astype(dtype)
