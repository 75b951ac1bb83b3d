"""Analytic input gradients of scikit-learn classifiers.

A model's *logits* are its real-valued class scores: ``X @ coef_.T + intercept_``
for a linear classifier, the output layer's pre-activation for ``MLPClassifier``.
Binary models have one logit ``z`` (the score of ``classes_[1]``), multiclass
models one per class. Everything here is the vector-Jacobian product of the logits
plus two losses built on it:

- the cross-entropy of the logits (softmax, or the logistic loss of ``z`` for
  binary models), the loss FGSM ascends. For ``LogisticRegression`` and
  ``MLPClassifier`` it is the training loss without the penalty; for hinge-loss
  models (``LinearSVC``, ``SGDClassifier``) it stands in for the hinge, whose
  gradient vanishes beyond the margin (binary: its sign is always
  ``-y * sign(w)``, the linear white-box step);
- the logit of a class (binary: ``F_1 = z`` and ``F_0 = -z``, the two-logit net
  with symmetric logits), the quantity Jacobian-based dataset augmentation follows.

Any other classifier can bring its own gradient (a PyTorch network, say): its
logits are its ``decision_function`` (one column for binary models, as above) and
its method ``decision_function_vjp(X, G)`` returns ``sum_k G[:, k] * d logit_k / dx``
for every row, shape (n_samples, n_features).

0/1-loss models have piecewise-constant outputs and no input gradient. For an
``SCD01Classifier`` *substitute* (the paper's SCD01 substitute, Xue, Xie and Roshan
2020, Sec. III-C) the linear surrogate is used:
logits ``X @ w + b`` with ``w``, ``b`` the mean of its votes' parameters
(``surrogate=True``).

Every function here takes a fitted model or its view (``_views.resolve_view``): the
view decides how the model is differentiated (a pipeline of affine steps included,
whose Jacobian is applied last, so gradients are in the pipeline's input space).
"""

import numpy as np
from scipy.special import expit, logsumexp, softmax
from sklearn.utils.validation import check_array

from ._base import check_label_kind, encode_labels, unique_labels
from ._views import SUPPORTED, View, mlp_forward, resolve_view  # noqa: F401 (re-exported)


def _view(model, who="This attack"):
    return model if isinstance(model, View) else resolve_view(model, who=who)


def linear_view(model, vote=None):
    """``(coef, intercept)`` of shapes (n_logits, n_features), (n_logits,) of a
    linear model, or ``None`` if ``model`` is not one (a pipeline is not: the
    certificates that call this do not handle pipelines; the attacks use the views).

    ``SCD01Classifier``: one logit per problem, from the mean of the unit weights and
    biases of the votes ``vote`` (``None``: all; an int ``v``: vote ``v`` alone).
    Other models: a 2-D ``coef_`` (dense or sparse) with one row (binary) or one row
    per class, decision function ``X @ coef_.T + intercept_``. One-vs-one SVMs
    (``SVC``/``NuSVC`` with more than two classes) are not linear in that sense.
    """
    try:
        view = resolve_view(model, votes=None if vote is None else [vote])
    except (TypeError, ValueError):
        return None
    return None if view.final is not view else view.linear()


def check_gradient_support(model, *, surrogate=False, who="This attack"):
    """The view of ``model``; a TypeError naming ``model`` unless its input gradient
    is known (``surrogate``: the linear surrogate of an SCD01 ensemble counts)."""
    view = resolve_view(model, who=who)
    if view.differentiable and (surrogate or not view.surrogate):
        return view
    final = type(view.final.estimator).__name__
    hint = "LinearSignAttack" if view.kind == "linear" else "MLP01Attack"
    raise TypeError(
        f"{who} needs an input gradient, and {final} has none (its output is piecewise "
        f"constant); use {hint} for it.")


def _mlp_forward(model, X):
    """Hidden-layer outputs (inputs first) and the logits of an MLPClassifier."""
    return mlp_forward(model, X)


def _n_logits(model):
    return _view(model).n_logits


def logits(model, X):
    """Logits, shape (n_samples, n_logits); ``model`` (or its view) must pass
    ``check_gradient_support(model, surrogate=True)``."""
    return _view(model).logits(np.asarray(X, dtype=np.float64))


def logits_vjp(model, X, G):
    """``sum_k G[:, k] * d logit_k / dx`` for every row, shape (n_samples, n_features)."""
    return _view(model).vjp(np.asarray(X, dtype=np.float64), G)


def _overflowed_loss_weights(model, X, y_index, scaled):
    """The rows ``G`` of ``loss_gradient`` for rows of ``X`` where a linear model's
    logits overflow float64, or ``None`` for models that are not linear (their
    logits do not scale).

    Each row is scaled by a power of two ``2**e`` that brings it into [-1, 1]
    (exactly), its logits ``Z / 2**e`` computed there, and the differences the
    softmax needs scaled back, where huge ones become ``-inf`` (as they would in
    ``exp``): the limit of the softmax, without ``inf - inf``.
    """
    linear = _view(model).linear()
    if linear is None:
        return None
    coef, intercept = linear
    _, exponent = np.frexp(np.abs(X).max(axis=1))  # max |x| < 2**exponent
    exponent = exponent[:, None]
    S = np.ldexp(X, -exponent) @ coef.T + np.ldexp(intercept, -exponent)  # Z / 2**e
    rows = np.arange(len(S))
    others = S.copy()
    others[rows, y_index] = -np.inf
    best_other = others.max(axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        D = np.ldexp(others - best_other, exponent)  # Z_k - max_{j != y} Z_j
        G = softmax(D, axis=1)
        G[rows, y_index] = -1.0
        if not scaled:  # times 1 - p_y = expit(logsumexp_{k != y} Z_k - Z_y)
            margin = np.ldexp(best_other[:, 0] - S[rows, y_index], exponent[:, 0])
            G *= expit(margin + logsumexp(D, axis=1))[:, None]
    return G


def loss_gradient(model, X, y_index, *, scaled=False):
    """Gradient of the cross-entropy of the logits for labels ``y_index`` (indices
    in ``classes_``), shape (n_samples, n_features).

    ``scaled=True`` divides each row by ``1 - p_y`` (a positive factor): the same
    signs, but no underflow for confident predictions, where ``1 - p_y`` rounds to 0
    and the plain gradient vanishes (FGSM would not move the point).

    Rows whose logits overflow float64 (inputs near the top of its range) get the
    limit of the softmax for a linear model, the exact arithmetic done on the row
    scaled by a power of two; for other models they are NaN (``gradient_sign``
    raises for them).
    """
    model = _view(model)
    X = np.asarray(X, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # overflowed rows: see above
        Z = logits(model, X)
    y_index = np.asarray(y_index)
    if Z.shape[1] == 1:
        if scaled:
            G = np.where(y_index == 1, -1.0, 1.0)[:, None]
        else:
            G = np.where(y_index[:, None] == 1, -expit(-Z), expit(Z))
        with np.errstate(over="ignore", invalid="ignore"):
            return logits_vjp(model, X, G)
    rows = np.arange(len(Z))
    others = Z.copy()
    others[rows, y_index] = -np.inf
    # softmax - onehot divided by 1 - p_y = sum of the other classes' probabilities:
    # the softmax over the other classes, and -1 for the label
    with np.errstate(invalid="ignore"):  # rows with overflowed logits become NaN
        G = softmax(others, axis=1)
        G[rows, y_index] = -1.0
        if not scaled:
            G *= np.exp(logsumexp(others, axis=1) - logsumexp(Z, axis=1))[:, None]
    overflowed = ~np.all(np.isfinite(Z), axis=1)
    if np.any(overflowed):
        limit = _overflowed_loss_weights(model, X[overflowed], y_index[overflowed], scaled)
        if limit is not None:
            G[overflowed] = limit
    with np.errstate(over="ignore", invalid="ignore"):  # NaN rows: see gradient_sign
        return logits_vjp(model, X, G)


def gradient_sign(gradient, *, who="This attack"):
    """``np.sign(gradient)``, or a ValueError naming the rows where the gradient is
    NaN: the model's arithmetic overflowed there (inputs too large for it), so the
    gradient, and the step that follows it, are undefined."""
    gradient = np.asarray(gradient)
    bad = np.isnan(gradient).any(axis=1) if gradient.ndim == 2 else np.isnan(gradient)
    if np.any(bad):
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"{who}: the input gradient of the model is not finite at {rows.size} rows "
            f"(first: {rows[:5].tolist()}); the model's arithmetic overflows there, "
            "typically for inputs of enormous magnitude. Scale X into a moderate range "
            "(e.g. with MinMaxScaler).")
    return np.sign(gradient)


def logit_gradient(model, X, y_index):
    """Gradient of the logit of class ``y_index`` of every row (binary: ``F_1 = z``,
    ``F_0 = -z``), shape (n_samples, n_features)."""
    model = _view(model)
    y_index = np.asarray(y_index)
    n_logits = model.n_logits
    if n_logits == 1:
        G = np.where(y_index == 1, 1.0, -1.0)[:, None]
    else:
        G = np.zeros((len(y_index), n_logits))
        G[np.arange(len(G)), y_index] = 1.0
    return logits_vjp(model, X, G)


def input_gradient(estimator, X, y, *, scaled=False):
    """Gradient of a classifier's cross-entropy loss with respect to its input.

    The loss is the softmax cross-entropy of the model's logits (binary models: the
    logistic loss of their single score), the loss :class:`FGSMAttack` ascends:
    for ``LogisticRegression`` and ``MLPClassifier`` the training loss without its
    penalty, for hinge-loss linear models (``LinearSVC``, ``SGDClassifier``) a
    smooth stand-in for the hinge. A pipeline of affine steps (``StandardScaler``,
    ``MinMaxScaler``, ``MaxAbsScaler``, ``PCA``, ...) ending in such a model is
    differentiated in its input space.

    Parameters
    ----------
    estimator : fitted classifier
        ``MLPClassifier``, a linear classifier with ``coef_``, a classifier with a
        ``decision_function_vjp(X, G)`` method, an ``SCD01Classifier`` (its linear
        surrogate: the mean of its votes' weights), or a pipeline of affine steps
        ending in one of those; a ``FrozenEstimator`` is unwrapped.
    X : array-like of shape (n_samples, n_features)
        Points, in the model's input space.
    y : array-like of shape (n_samples,)
        Their labels, values of ``estimator.classes_``.
    scaled : bool, default=False
        Divide each row by ``1 - p_y`` (a positive factor): the same signs, without
        the underflow of confidently classified points, where ``1 - p_y`` rounds to
        0 and the plain gradient vanishes.

    Returns
    -------
    gradient : ndarray of shape (n_samples, n_features), dtype float64
        ``d loss(x_i, y_i) / d x_i`` for every row; NaN in rows where the model's
        arithmetic overflows (inputs of enormous magnitude) unless the model is
        linear, whose limit is returned.

    Raises
    ------
    TypeError
        If no input gradient is known for ``estimator`` (trees, MLP01, one-vs-one
        SVMs, a pipeline with a step that is not affine; the message names it).
    ValueError
        If ``X`` is not a finite 2-D array, ``y`` has another length than ``X``, or
        ``y`` has labels ``estimator`` does not know.

    See Also
    --------
    FGSMAttack : the attack that steps along the sign of this gradient.

    References
    ----------
    .. [1] I. J. Goodfellow, J. Shlens and C. Szegedy, "Explaining and harnessing
       adversarial examples", arXiv:1412.6572, 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk01loss.attacks import input_gradient
    >>> X = np.array([[0.0, 0.2], [0.1, 0.0], [0.9, 1.0], [1.0, 0.8]])
    >>> y = np.array([0, 0, 1, 1])
    >>> model = LogisticRegression().fit(X, y)
    >>> gradient = input_gradient(model, X, y)
    >>> bool(np.all(np.sign(gradient[y == 1]) == -np.sign(model.coef_[0])))
    True
    """
    view = check_gradient_support(estimator, surrogate=True, who="input_gradient")
    X = check_array(X, dtype=[np.float64, np.float32])
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be 1-D with one label per row of X ({X.shape[0]}); got "
                         f"shape {y.shape}.")
    classes = np.asarray(view.estimator.classes_)
    check_label_kind(y, classes, whose="the model's classes")
    y_index = encode_labels(classes, y)
    if np.any(y_index < 0):
        raise ValueError(f"y contains labels the model does not know: "
                         f"{unique_labels(y[y_index < 0])[:5]}; its classes are "
                         f"{classes.tolist()}.")
    return loss_gradient(view, X, y_index, scaled=scaled)
