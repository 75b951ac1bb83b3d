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
"""

import numpy as np
from scipy.special import expit, logsumexp, softmax
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC, NuSVC

from .._mlp01 import MLP01Classifier
from .._scd01 import SCD01Classifier
from ._base import unwrap

SUPPORTED = ("MLPClassifier (any activation), linear classifiers with coef_ "
             "(LogisticRegression, LinearSVC, SGDClassifier, RidgeClassifier, ...) and "
             "classifiers with a decision_function_vjp method")

_DERIVATIVES = {  # of a hidden activation, from its output
    "identity": lambda a: np.ones_like(a),
    "logistic": lambda a: a * (1.0 - a),
    "tanh": lambda a: 1.0 - a * a,
    "relu": lambda a: (a > 0).astype(a.dtype),
}
_ACTIVATIONS = {
    "identity": lambda z: z,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}


def linear_view(model, vote=None):
    """``(coef, intercept)`` of shapes (n_logits, n_features), (n_logits,) of a
    linear model, or ``None`` if ``model`` is not one.

    ``SCD01Classifier``: one logit per problem, from vote ``vote`` or (``None``) the
    mean of the votes' unit weights and biases. Other models: a 2-D ``coef_`` with one
    row (binary) or one row per class, decision function ``X @ coef_.T + intercept_``.
    One-vs-one SVMs (``SVC``/``NuSVC`` with more than two classes) are not linear in
    that sense.
    """
    model = unwrap(model)
    if isinstance(model, SCD01Classifier):
        if vote is None:
            return model.coef_.mean(axis=1), model.intercept_.mean(axis=1)
        return model.coef_[:, vote], model.intercept_[:, vote]
    if isinstance(model, MLP01Classifier):
        return None
    coef = getattr(model, "coef_", None)
    classes = getattr(model, "classes_", None)
    if coef is None or classes is None:
        return None
    coef = np.asarray(coef)
    if hasattr(coef, "toarray"):  # pragma: no cover - sparsified coef_
        coef = coef.toarray()
    n_classes = len(classes)
    if coef.ndim == 1 and n_classes == 2:  # e.g. binary RidgeClassifier
        coef = coef[None, :]
    if coef.ndim != 2 or coef.shape[0] != (1 if n_classes == 2 else n_classes):
        return None
    if isinstance(model, (SVC, NuSVC)) and n_classes > 2:
        return None
    intercept = np.broadcast_to(np.asarray(getattr(model, "intercept_", 0.0), float),
                                (coef.shape[0],))
    return coef.astype(np.float64, copy=False), intercept


def _is_mlp(model):
    return isinstance(model, MLPClassifier)


def _brings_its_gradient(model):
    return callable(getattr(model, "decision_function_vjp", None))


def check_gradient_support(model, *, surrogate=False, who="This attack"):
    """Raise a TypeError naming ``model`` unless its input gradient is known."""
    inner = unwrap(model)
    if _brings_its_gradient(inner):
        return
    if _is_mlp(inner):
        if getattr(inner, "out_activation_", "softmax") == "logistic" and inner.n_outputs_ > 1:
            raise TypeError(f"{who} does not support multilabel MLPClassifier models.")
        return
    if isinstance(inner, SCD01Classifier) and surrogate:
        return
    if isinstance(inner, (SCD01Classifier, MLP01Classifier)):
        hint = "LinearSignAttack" if isinstance(inner, SCD01Classifier) else "MLP01Attack"
        raise TypeError(
            f"{who} needs an input gradient, and {type(inner).__name__} has none (its "
            f"output is piecewise constant); use {hint} for it.")
    if linear_view(inner) is None:
        raise TypeError(
            f"{who} needs an input gradient, which is known for {SUPPORTED}; "
            f"{type(inner).__name__} has none.")


def _mlp_forward(model, X):
    """Hidden-layer outputs (inputs first) and the logits of an MLPClassifier."""
    activation = _ACTIVATIONS[model.activation]
    outputs = [X]
    a = X
    last = len(model.coefs_) - 1
    for i, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        z = a @ W + b
        if i == last:
            return outputs, z
        a = activation(z)
        outputs.append(a)


def _n_logits(model):
    model = unwrap(model)
    if _brings_its_gradient(model):
        return 1 if len(model.classes_) == 2 else len(model.classes_)
    return model.n_outputs_ if _is_mlp(model) else linear_view(model)[0].shape[0]


def logits(model, X):
    """Logits, shape (n_samples, n_logits); ``model`` must pass
    ``check_gradient_support(model, surrogate=True)``."""
    model = unwrap(model)
    X = np.asarray(X, dtype=np.float64)
    if _brings_its_gradient(model):
        return np.asarray(model.decision_function(X), dtype=np.float64).reshape(len(X), -1)
    if _is_mlp(model):
        return _mlp_forward(model, X)[1]
    coef, intercept = linear_view(model)
    return X @ coef.T + intercept


def logits_vjp(model, X, G):
    """``sum_k G[:, k] * d logit_k / dx`` for every row, shape (n_samples, n_features)."""
    model = unwrap(model)
    X = np.asarray(X, dtype=np.float64)
    if _brings_its_gradient(model):
        return np.asarray(model.decision_function_vjp(X, G), dtype=np.float64)
    if not _is_mlp(model):
        coef, _ = linear_view(model)
        return G @ coef
    outputs, _ = _mlp_forward(model, X)
    derivative = _DERIVATIVES[model.activation]
    delta = G
    for i in range(len(model.coefs_) - 1, -1, -1):
        grad = delta @ model.coefs_[i].T  # gradient with respect to outputs[i]
        if i == 0:
            return grad
        delta = grad * derivative(outputs[i])


def _overflowed_loss_weights(model, X, y_index, scaled):
    """The rows ``G`` of ``loss_gradient`` for rows of ``X`` where a linear model's
    logits overflow float64, or ``None`` for models that are not linear (their
    logits do not scale).

    Each row is scaled by a power of two ``2**e`` that brings it into [-1, 1]
    (exactly), its logits ``Z / 2**e`` computed there, and the differences the
    softmax needs scaled back, where huge ones become ``-inf`` (as they would in
    ``exp``): the limit of the softmax, without ``inf - inf``.
    """
    model = unwrap(model)
    if _brings_its_gradient(model) or _is_mlp(model):
        return None
    coef, intercept = linear_view(model)
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
    y_index = np.asarray(y_index)
    n_logits = _n_logits(model)
    if n_logits == 1:
        G = np.where(y_index == 1, 1.0, -1.0)[:, None]
    else:
        G = np.zeros((len(y_index), n_logits))
        G[np.arange(len(G)), y_index] = 1.0
    return logits_vjp(model, X, G)
