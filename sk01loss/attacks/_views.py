"""How the white-box attacks see a fitted model: one *view* per model kind.

``resolve_view(model, votes=...)`` is the one place that looks at the type of a
model; every white-box attack, ``transfer_matrix(attack="auto")`` and the substitute
attack resolve their model once and then talk to the view alone:

- ``view.estimator``: the model whose predictions count (the selected votes of an
  ensemble; a pipeline ending in them);
- ``view.transform(X)``: the input of the final model (the pipeline's steps applied,
  the identity otherwise), and ``view.pullback(G)`` the vector-Jacobian product of
  that map: gradients with respect to the final model's input brought back to the
  input space the attacks work in;
- differentiable views (``view.differentiable``): ``logits(X)`` of shape
  (n_samples, n_logits), ``vjp(X, G) = sum_k G[:, k] * d logit_k / dx`` of shape
  (n_samples, n_features), both in input space; ``linear()`` the input-space
  ``(coef, intercept)`` of a linear view, else ``None``.

Views: :class:`LinearView` (``coef_`` models, dense or sparse, and the linear
surrogate of an SCD01 ensemble, the mean of its votes' weights), :class:`MLPView`
(``MLPClassifier``), :class:`CustomView` (a model with ``decision_function_vjp``),
:class:`MLP01View` (the hidden units of an MLP01 ensemble; no gradient) and
:class:`PipelineView` (affine preprocessing steps folded in front of another view).
A new kind of model is one class here and one entry in ``_final_view``.

Affine steps: ``StandardScaler``, ``MinMaxScaler`` (``clip=False``),
``MaxAbsScaler``, ``PCA``, ``Saturate(p=2)`` (the identity), ``FunctionTransformer``
without a function (the identity), ``"passthrough"``/``None`` and nested pipelines
of those. Any other step raises a TypeError naming it.
"""

import copy

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    StandardScaler,
)
from sklearn.svm import SVC, NuSVC

from .._mlp01 import MLP01Classifier
from .._scd01 import SCD01Classifier
from ..preprocessing import Saturate
from ._base import estimator_input, unwrap

SUPPORTED = ("MLPClassifier (any activation), linear classifiers with coef_ "
             "(LogisticRegression, LinearSVC, SGDClassifier, RidgeClassifier, ...), "
             "classifiers with a decision_function_vjp method, and pipelines of affine "
             "steps (StandardScaler, MinMaxScaler, MaxAbsScaler, PCA, Saturate(p=2), "
             "FunctionTransformer()) ending in one of those")
AFFINE_STEPS = ("StandardScaler, MinMaxScaler (clip=False), MaxAbsScaler, PCA, "
                "Saturate(p=2), FunctionTransformer() without func, 'passthrough' and "
                "nested pipelines of these")

_DERIVATIVES = {  # of a hidden activation, from its output
    "identity": lambda a: np.ones_like(a),
    "logistic": lambda a: a * (1.0 - a),
    "tanh": lambda a: 1.0 - a * a,
    "relu": lambda a: (a > 0).astype(a.dtype),
}


def _expit(z):
    from scipy.special import expit
    return expit(z)


_ACTIVATIONS = {
    "identity": lambda z: z,
    "logistic": _expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}


class View:
    """A model as the attacks see it (base class: no preprocessing, no gradient)."""

    kind = "none"
    differentiable = False
    surrogate = False  # a stand-in for a model without input gradient (SCD01)

    def __init__(self, estimator):
        self.estimator = estimator

    @property
    def final(self):
        """The view of the model at the end of the preprocessing (``self`` here)."""
        return self

    def transform(self, X):
        """``X`` as the final model sees it (here: unchanged)."""
        return X

    def pullback(self, G):
        """Gradients with respect to the final model's input, in input space."""
        return G

    def linear(self):
        """Input-space ``(coef, intercept)`` of a linear view, else ``None``."""
        return None

    def logits(self, X):
        raise TypeError(f"{type(self.estimator).__name__} has no input gradient.")

    vjp = logits


class LinearView(View):
    """Logits ``X @ coef.T + intercept``; ``coef`` of shape (n_logits, n_features)."""

    kind = "linear"
    differentiable = True

    def __init__(self, estimator, coef, intercept, *, surrogate=False):
        super().__init__(estimator)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.surrogate = surrogate
        self.n_logits = self.coef.shape[0]

    def linear(self):
        return self.coef, self.intercept

    def logits(self, X):
        return np.asarray(X, dtype=np.float64) @ self.coef.T + self.intercept

    def vjp(self, X, G):
        return np.asarray(G, dtype=np.float64) @ self.coef


def mlp_forward(model, X):
    """Layer outputs and logits of a fitted ``MLPClassifier``.

    Parameters
    ----------
    model : MLPClassifier
        A fitted network (any activation).
    X : array-like of shape (n_samples, n_features)
        Inputs, as the network's first layer sees them.

    Returns
    -------
    activations : list of ndarray
        ``X`` (as float64) followed by the output of every hidden layer, of shapes
        (n_samples, n_features) then (n_samples, hidden_layer_sizes[i]).
    logits : ndarray of shape (n_samples, n_outputs)
        The output layer's pre-activation (``n_outputs`` is 1 for binary models,
        the number of classes otherwise).

    Raises
    ------
    TypeError
        If ``model`` is not an ``MLPClassifier``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neural_network import MLPClassifier
    >>> from sk01loss.attacks import mlp_forward
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> net = MLPClassifier((3,), solver="lbfgs", random_state=0).fit(X, [0, 1, 1, 0])
    >>> activations, logits = mlp_forward(net, X)
    >>> [a.shape for a in activations], logits.shape
    ([(4, 2), (4, 3)], (4, 1))
    """
    model = unwrap(model)
    if not isinstance(model, MLPClassifier):
        raise TypeError(f"mlp_forward needs a fitted MLPClassifier; got "
                        f"{type(model).__name__}.")
    activation = _ACTIVATIONS[model.activation]
    a = np.asarray(X, dtype=np.float64)
    outputs = [a]
    last = len(model.coefs_) - 1
    for i, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        z = a @ W + b
        if i == last:
            return outputs, z
        a = activation(z)
        outputs.append(a)


class MLPView(View):
    """Logits and their gradient of a fitted ``MLPClassifier`` (backpropagation)."""

    kind = "mlp"
    differentiable = True

    def __init__(self, estimator):
        super().__init__(estimator)
        self.n_logits = estimator.n_outputs_

    def logits(self, X):
        return mlp_forward(self.estimator, X)[1]

    def vjp(self, X, G):
        model = self.estimator
        outputs, _ = mlp_forward(model, X)
        derivative = _DERIVATIVES[model.activation]
        delta = np.asarray(G, dtype=np.float64)
        for i in range(len(model.coefs_) - 1, -1, -1):
            grad = delta @ model.coefs_[i].T  # gradient with respect to outputs[i]
            if i == 0:
                return grad
            delta = grad * derivative(outputs[i])


class CustomView(View):
    """A model that brings its gradient: logits ``decision_function`` (one column for
    binary models), ``vjp`` its ``decision_function_vjp(X, G)``."""

    kind = "custom"
    differentiable = True

    def __init__(self, estimator):
        super().__init__(estimator)
        n_classes = len(estimator.classes_)
        self.n_logits = 1 if n_classes == 2 else n_classes

    def logits(self, X):
        X = np.asarray(X, dtype=np.float64)
        return np.asarray(self.estimator.decision_function(X),
                          dtype=np.float64).reshape(len(X), -1)

    def vjp(self, X, G):
        return np.asarray(self.estimator.decision_function_vjp(
            np.asarray(X, dtype=np.float64), G), dtype=np.float64)


class MLP01View(View):
    """An MLP01 ensemble: no gradient; its hidden units' hyperplanes
    (``estimator.hidden_coef_``, in the final model's input space) guide
    ``MLP01Attack``."""

    kind = "mlp01"


class _Affine:
    """One affine step ``x -> x @ A + b`` (``A`` a matrix) or ``x * A + b`` (``A`` a
    vector), with the fitted step that computes it."""

    def __init__(self, name, step, A, b):
        self.name, self.step = name, step
        self.A = np.asarray(A, dtype=np.float64)
        self.b = np.asarray(b, dtype=np.float64)

    def forward(self, X):
        return X @ self.A + self.b if self.A.ndim == 2 else X * self.A + self.b

    def pullback(self, G):
        return G @ self.A.T if self.A.ndim == 2 else G * self.A


class PipelineView(View):
    """Affine steps folded in front of the view of the pipeline's final model:
    ``transform`` runs the fitted steps (what the pipeline's ``predict`` sees),
    ``pullback`` multiplies by their Jacobian, so gradients and adversaries live in
    the pipeline's input space."""

    def __init__(self, estimator, steps, final):
        super().__init__(estimator)
        self.steps, self._final = steps, final
        self.kind, self.differentiable = final.kind, final.differentiable
        self.surrogate = final.surrogate
        self.n_logits = getattr(final, "n_logits", None)

    @property
    def final(self):
        return self._final

    def transform(self, X):
        for affine in self.steps:
            X = np.asarray(affine.step.transform(estimator_input(affine.step, X)))
        return X

    def pullback(self, G):
        for affine in reversed(self.steps):
            G = affine.pullback(G)
        return G

    def linear(self):
        inner = self._final.linear()
        if inner is None:
            return None
        coef, intercept = inner
        pulled = self.pullback(coef)  # (n_logits, the pipeline's input features)
        origin = np.zeros((1, pulled.shape[1]))  # (a 'passthrough' step has no n_features_in_)
        for affine in self.steps:
            origin = affine.forward(origin)
        return pulled, intercept + (origin @ coef.T)[0]

    def logits(self, X):
        return self._final.logits(self.transform(X))

    def vjp(self, X, G):
        return self.pullback(self._final.vjp(self.transform(X), G))


def _step_name(name, step):
    return f"step {name!r} ({type(step).__name__})"


def _check_affine(name, step):
    """Raise a TypeError naming ``step`` unless it is one of the affine steps (fitted
    or not)."""
    if isinstance(step, MinMaxScaler) and step.clip:
        raise TypeError(
            f"{_step_name(name, step)} clips its output (clip=True), which is not "
            "affine; use MinMaxScaler(clip=False) in the attacked pipeline, or a "
            "decision-based attack (HopSkipJumpAttack).")
    if isinstance(step, (StandardScaler, MinMaxScaler, MaxAbsScaler)) or type(step) is PCA:
        return
    if isinstance(step, Saturate) and step.p == 2:
        return
    if type(step) is FunctionTransformer and step.func is None:
        return
    raise TypeError(
        f"{_step_name(name, step)} is not an affine step, so the white-box attacks cannot "
        f"fold it into the input gradient; the steps they support are {AFFINE_STEPS}. "
        "Attack the model behind it on transformed data, or use a decision-based attack "
        "(HopSkipJumpAttack) on the whole pipeline.")


def _is_passthrough(step):
    return step is None or (isinstance(step, str) and step == "passthrough")


def check_pipeline(model, *, who="This attack"):
    """The final estimator of ``model`` (unwrapped, through nested pipelines; ``None``
    for a final ``"passthrough"``), after a TypeError for any step before it that is
    not affine. Works on fitted and unfitted models alike."""
    model = unwrap(model)
    if not isinstance(model, Pipeline):
        return model
    items = list(model.steps)
    for name, step in items[:-1]:
        step = unwrap(step)
        if isinstance(step, Pipeline):
            inner = check_pipeline(step, who=who)
            if not _is_passthrough(inner):
                _check_affine(f"{name}__{step.steps[-1][0]}", inner)
        elif not _is_passthrough(step):
            _check_affine(name, step)
    last = unwrap(items[-1][1])
    if isinstance(last, Pipeline):
        return check_pipeline(last, who=who)
    return None if _is_passthrough(last) else last


def _affine(name, step):
    """The ``_Affine`` of a fitted step, or a TypeError naming it."""
    _check_affine(name, step)
    n = getattr(step, "n_features_in_", None)
    if isinstance(step, StandardScaler):
        # mean_ is fitted even with with_mean=False, where transform does not use it
        use_scale = step.with_std and step.scale_ is not None
        use_mean = step.with_mean and step.mean_ is not None
        scale = np.asarray(step.scale_, float) if use_scale else np.ones(n)
        mean = np.asarray(step.mean_, float) if use_mean else np.zeros(n)
        return _Affine(name, step, 1.0 / scale, -mean / scale)
    if isinstance(step, MinMaxScaler):
        return _Affine(name, step, step.scale_, step.min_)
    if isinstance(step, MaxAbsScaler):
        return _Affine(name, step, 1.0 / np.asarray(step.scale_, float), np.zeros(n))
    if type(step) is PCA:
        A = np.asarray(step.components_, float).T  # (n_features, n_components)
        if step.whiten:
            scale = np.sqrt(np.asarray(step.explained_variance_, float))
            A = A / np.maximum(scale, np.finfo(scale.dtype).eps)
        return _Affine(name, step, A, -np.asarray(step.mean_, float) @ A)
    return _Affine(name, step, 1.0, 0.0)  # the identity: Saturate(p=2), FunctionTransformer()


def _flatten(pipeline, prefix=""):
    """``(steps, final)``: the affine steps of a (nested) pipeline in order, and its
    final estimator (unwrapped)."""
    steps = []
    items = list(pipeline.steps)
    for i, (name, step) in enumerate(items):
        step = unwrap(step)
        full = f"{prefix}{name}"
        last = i == len(items) - 1
        if isinstance(step, Pipeline):
            inner_steps, inner_final = _flatten(step, prefix=f"{full}__")
            steps += inner_steps
            if last:
                return steps, inner_final
            if not _is_passthrough(inner_final):
                steps.append(_affine(f"{full}__{step.steps[-1][0]}", inner_final))
            continue
        if last:
            return steps, (None if _is_passthrough(step) else step)
        if _is_passthrough(step):
            continue
        steps.append(_affine(full, step))
    return steps, None  # pragma: no cover - a pipeline has at least one step


def _ensemble_of(model):
    """The SCD01/MLP01 ensemble at the end of ``model`` (through pipelines), or None."""
    model = unwrap(model)
    while isinstance(model, Pipeline):
        model = unwrap(model.steps[-1][1])
    return model if isinstance(model, (SCD01Classifier, MLP01Classifier)) else None


def _with_votes(model, votes):
    """``model`` with its final ensemble replaced by ``select_votes(votes)``."""
    model = unwrap(model)
    if isinstance(model, Pipeline):
        name, last = model.steps[-1]
        part = copy.copy(model)
        part.steps = model.steps[:-1] + [(name, _with_votes(last, votes))]
        return part
    return model.select_votes(votes)


def select_votes(model, votes, *, who="This attack"):
    """The model a white-box attack attacks: ``model`` (unwrapped) itself for
    ``votes=None``, else the same model with the votes ``votes`` of its final
    SCD01/MLP01 ensemble (``select_votes``' rule: an int ``k`` the first ``k`` votes,
    a sequence the listed vote indices).

    Raises ValueError for a selection the ensemble rejects or a model without votes,
    TypeError for a selection that is neither an int nor a sequence of ints."""
    if votes is None:
        return unwrap(model)
    ensemble = _ensemble_of(model)
    if ensemble is None:
        raise ValueError(
            f"{who}: votes={votes!r} selects votes of an SCD01Classifier or "
            f"MLP01Classifier ensemble, and {type(unwrap(model)).__name__} has none; "
            "leave votes=None.")
    try:
        return _with_votes(model, votes)
    except ValueError as error:
        raise ValueError(f"{who}: {error}") from None
    except TypeError as error:
        raise TypeError(f"{who}: {error}") from None


def _final_view(model, who):
    """The view of a model that is not a pipeline; ``None`` when no view applies."""
    if callable(getattr(model, "decision_function_vjp", None)):
        return CustomView(model)
    if isinstance(model, MLPClassifier):
        if getattr(model, "out_activation_", "softmax") == "logistic" and model.n_outputs_ > 1:
            raise TypeError(f"{who} does not support multilabel MLPClassifier models.")
        return MLPView(model)
    if isinstance(model, SCD01Classifier):
        return LinearView(model, model.coef_.mean(axis=1), model.intercept_.mean(axis=1),
                          surrogate=True)
    if isinstance(model, MLP01Classifier):
        return MLP01View(model)
    coef = getattr(model, "coef_", None)
    classes = getattr(model, "classes_", None)
    if coef is None or classes is None:
        return None
    if hasattr(coef, "toarray"):  # sparse coef_ (after .sparsify())
        coef = coef.toarray()
    coef = np.asarray(coef)
    n_classes = len(classes)
    if coef.ndim == 1 and n_classes == 2:  # e.g. binary RidgeClassifier
        coef = coef[None, :]
    if coef.ndim != 2 or coef.shape[0] != (1 if n_classes == 2 else n_classes):
        return None
    if isinstance(model, (SVC, NuSVC)) and n_classes > 2:  # one-vs-one: not linear
        return None
    intercept = np.broadcast_to(np.asarray(getattr(model, "intercept_", 0.0), float),
                                (coef.shape[0],))
    return LinearView(model, coef, intercept)


def resolve_view(model, *, votes=None, who="This attack"):
    """The view of the fitted ``model`` (``FrozenEstimator`` unwrapped) with the votes
    ``votes`` of an ensemble selected (see ``select_votes``).

    Raises TypeError naming a pipeline step that is not affine, and naming the model
    when no view is known for it (trees, one-vs-one SVMs, ...)."""
    estimator = select_votes(model, votes, who=who)
    if isinstance(estimator, Pipeline):
        steps, final = _flatten(estimator)
        if final is None:
            raise TypeError(f"{who}: the pipeline has no final estimator to attack.")
        view = _final_view(final, who)
        if view is None:
            raise TypeError(f"{who} needs an input gradient or a linear decision function, "
                            f"known for {SUPPORTED}; the pipeline's final "
                            f"{type(final).__name__} has none.")
        return PipelineView(estimator, steps, view)
    view = _final_view(estimator, who)
    if view is None:
        raise TypeError(f"{who} needs an input gradient or a linear decision function, "
                        f"known for {SUPPORTED}; {type(estimator).__name__} has none.")
    return view


def try_view(model, *, votes=None):
    """``resolve_view`` or ``None`` when it raises a TypeError."""
    try:
        return resolve_view(model, votes=votes)
    except TypeError:
        return None
