"""The contract every attack transformer follows.

An attack holds a classifier (``estimator``): ``fit`` fits a clone of it (a
``FrozenEstimator`` is kept as it is), ``transform`` returns adversarial examples of
the labels that model predicts, ``generate`` those of given (true) labels. The
subclass says which models it accepts (``_check_model``) and how it perturbs rows
(``_perturb``); everything else -- validation, labels, clipping, tags -- lives here.
"""

from numbers import Real

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._array_api import _is_foreign_array
from .._sklearn_compat import HasMethods, NumberInterval, _fit_context


def unwrap(estimator):
    """The model inside any number of ``FrozenEstimator`` wrappers."""
    while isinstance(estimator, FrozenEstimator):
        estimator = estimator.estimator
    return estimator


def check_clip(clip):
    """``None`` or the bounds ``(low, high)`` as floats, with a clear error otherwise."""
    if clip is None:
        return None
    try:
        low, high = clip
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        raise ValueError(f"clip must be None or a pair (low, high) of numbers; got {clip!r}.")
    if not low < high:  # also rejects NaN bounds
        raise ValueError(
            f"clip=({low!r}, {high!r}): the lower bound must be smaller than the upper bound.")
    return low, high


def _rounded(value, up):
    """``value`` as a short number: itself when 3 significant digits hold it, else
    rounded outwards (``up``: to a larger number) to 3 significant digits."""
    value = float(value)
    short = f"{value:.3g}"
    if float(short) == value or not np.isfinite(value):
        return short
    scale = 10.0 ** (np.floor(np.log10(abs(value))) - 2)
    with np.errstate(over="ignore"):  # near float64's limits: inf, still a valid bound
        rounded = f"{(np.ceil if up else np.floor)(value / scale) * scale:.3g}"
    if (float(rounded) >= value) if up else (float(rounded) <= value):
        return rounded
    return repr(value)  # pragma: no cover - rounding that went the wrong way


def check_in_clip(X, clip, *, what="X"):
    """Raise a ValueError naming the range and the fix when ``X`` has values outside
    ``clip`` (``None``: any finite values). The bounds are compared in the dtype of
    ``X``, the precision the attack clips its outputs in."""
    bounds = check_clip(clip)
    if bounds is None or X.size == 0:
        return
    with np.errstate(over="ignore"):  # a bound beyond the dtype's range is +-inf there
        low, high = np.asarray(bounds, dtype=np.float64).astype(X.dtype)
    lowest, highest = X.min(), X.max()
    if lowest < low or highest > high:
        low, high = bounds
        wider = f"({_rounded(min(lowest, low), False)}, {_rounded(max(highest, high), True)})"
        raise ValueError(
            f"{what} has values in [{lowest:g}, {highest:g}] outside "
            f"clip=({low!r}, {high!r}); the attack would move them by more "
            f"than eps. Scale {what} into clip (e.g. with MinMaxScaler) or pass clip=None "
            f"or clip={wider}.")


def check_finite_step(X, *, step="eps"):
    """Raise a ValueError unless every entry of the stepped (and clipped) ``X`` is
    finite: a step too large for the dtype of ``X`` (or for float64) overflows."""
    if np.all(np.isfinite(X)):
        return X
    n_bad = int(np.count_nonzero(~np.isfinite(X)))
    limit = np.finfo(X.dtype).max
    clip = "clip_augmented=True with a finite clip" if step == "lmbda" else "a finite clip"
    raise ValueError(
        f"x + {step} * sign(...) overflows {X.dtype.name} (finite up to {limit:.3g}) at "
        f"{n_bad} entries. Pass a smaller {step}, {clip} inside that range, "
        + ("or float64 X." if X.dtype != np.float64 else "or smaller X."))


def clip_to(X, clip, *, step="eps"):
    """Clip ``X`` in place to ``clip`` (``None``: leave it) and return it; the one
    clipping rule every attack uses. Raises a ValueError if a value is not finite
    after clipping (a ``step`` that overflowed the dtype, see ``check_finite_step``)."""
    bounds = check_clip(clip)
    if bounds is not None:
        np.clip(X, *_bounds_in(X.dtype, *bounds), out=X)
    return check_finite_step(X, step=step)


def _bounds_in(dtype, low, high):
    """``low`` and ``high`` in ``dtype``, rounded inwards: float32(0.3) is above 0.3."""
    low_d, high_d = dtype.type(low), dtype.type(high)
    if float(low_d) < low:  # compared in float64 (NumPy would compare in dtype)
        low_d = np.nextafter(low_d, dtype.type(np.inf))
    if float(high_d) > high:
        high_d = np.nextafter(high_d, dtype.type(-np.inf))
    return low_d, high_d


def sign_step(X, step):
    """``X + step`` in the dtype of ``X`` (``step`` already holds ``eps * sign``).

    A step beyond the range of that dtype gives +-inf (no warning): ``clip_to``
    either clips it back into ``clip`` or raises."""
    with np.errstate(over="ignore"):
        return X + np.asarray(step, dtype=X.dtype)


def estimator_input(estimator, X):
    """``X`` as ``estimator`` expects it: a DataFrame with its column names when it
    was fitted on one (so a frozen model fitted on a DataFrame does not warn)."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return X
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - a model with names implies a DataFrame library
        return X
    return pd.DataFrame(X, columns=names, copy=False)


def encode_labels(classes, y):
    """Indices of ``y`` in ``classes``; -1 for labels that ``classes`` lacks (labels of
    another type, e.g. strings for integer classes, included)."""
    classes = np.asarray(classes)
    y = np.asarray(y)
    try:
        order = np.argsort(classes, kind="stable")
        ordered = classes[order]
        position = np.clip(np.searchsorted(ordered, y), 0, len(classes) - 1)
        found = np.asarray(ordered[position] == y, dtype=bool)
        if found.shape == y.shape:
            return np.where(found, order[position], -1)
    except TypeError:  # labels that do not order (None, mixed types): look them up
        pass
    index = {}
    for i, label in enumerate(classes.tolist()):
        index.setdefault(_hashable(label), i)
    return np.array([index.get(_hashable(label), -1) for label in y.tolist()],
                    dtype=np.intp).reshape(y.shape)


def _hashable(label):
    try:
        hash(label)
    except TypeError:
        return repr(label)
    return label


def unique_labels(y):
    """The distinct labels of ``y`` (sorted when they order), for error messages."""
    try:
        return np.unique(y).tolist()
    except TypeError:
        return list(dict.fromkeys(_hashable(label) for label in np.asarray(y).tolist()))


def check_label_kind(y, classes, *, whose="the model's classes"):
    """Raise a ValueError when ``y`` holds labels of another kind than ``classes``
    (strings for numbers or the reverse): no label could ever match."""
    y, classes = np.asarray(y), np.asarray(classes)
    kinds = {y.dtype.kind, classes.dtype.kind}
    if kinds & set("US") and kinds & set("biuf"):
        raise ValueError(
            f"y has labels of dtype {y.dtype} ({unique_labels(y)[:5]}), but {whose} are "
            f"of dtype {classes.dtype} ({classes.tolist()[:5]}).")


def fit_target(attack, estimator, X, y):
    """A fitted target: ``estimator`` itself when frozen (after checking it is fitted
    and sees as many features as ``X``), else a clone fitted on ``(X, y)``."""
    if isinstance(estimator, FrozenEstimator):
        inner = unwrap(estimator)
        try:
            check_is_fitted(inner)
        except NotFittedError:
            raise NotFittedError(
                f"{type(attack).__name__}: the {type(inner).__name__} inside FrozenEstimator "
                "is not fitted. Fit it first, or pass it unwrapped so that the attack fits "
                "a clone.") from None
        n_features = getattr(estimator, "n_features_in_", None)
        if n_features is not None and n_features != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the frozen {type(inner).__name__} "
                f"was fitted on {n_features}.")
        return estimator
    return clone(estimator).fit(X, y)


class BaseAttack(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Adversarial examples as a scikit-learn transformer (base class).

    ``fit(X, y)`` fits a clone of ``estimator`` (or keeps a ``FrozenEstimator`` as
    it is), ``transform(X)`` attacks the labels the fitted model predicts (no label
    leaking, Kurakin et al. 2016) and ``generate(X, y)`` attacks given labels, e.g.
    the true ones as in the paper. Outputs have the shape of ``X`` and its dtype
    (float32 kept, any other dtype as float64), are finite, within ``eps`` of ``X``
    (L-infinity, up to the rounding of that dtype), clipped to ``clip``, and never
    alias the input.

    ``clip`` is the input domain, checked on the way in: ``fit``, ``transform`` and
    ``generate`` raise a ValueError for data outside it (an attack that clipped them
    would move them by more than ``eps``). Scale such data into ``clip`` or widen it
    (``clip=None``: any finite values).
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "eps": [NumberInterval(Real, 0, None, closed="left")],
        "clip": [tuple, list, None],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, eps=0.1, clip=(0.0, 1.0), random_state=None):
        self.estimator = estimator
        self.eps = eps
        self.clip = clip
        self.random_state = random_state

    def _check_model(self, model):
        """Raise TypeError unless the fitted, unwrapped ``model`` can be attacked."""

    def _check_unfitted_model(self, model):
        """Raise TypeError early, before fitting, for models known not to fit."""

    def _perturb(self, X, y_index):
        """Adversarial copy of the validated ``X`` for label indices ``y_index``."""
        raise NotImplementedError

    def _fit(self, X, y):
        check_clip(self.clip)
        X, y = self._validate_fit_data(X, y)
        self._check_unfitted_model(unwrap(self.estimator))
        self.estimator_ = fit_target(self, self.estimator, X, y)
        self._check_model(unwrap(self.estimator_))
        self.classes_ = np.asarray(self.estimator_.classes_)
        return X, y

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit a clone of ``estimator`` on ``(X, y)``, or check a frozen one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data of the model.
        y : array-like of shape (n_samples,), default=None
            Labels; required unless ``estimator`` is a ``FrozenEstimator``.

        Returns
        -------
        self : object
            Fitted attack.

        Raises
        ------
        ValueError
            If ``X`` has values outside ``clip``, non-finite values or the wrong
            shape, if ``clip`` is not ``None`` or an increasing pair of numbers, or if
            ``y`` is missing for an estimator that is not frozen.
        TypeError
            If the attack does not apply to ``estimator``.
        """
        self._fit(X, y)
        return self

    def _refuse_foreign_arrays(self, **arrays):
        """A clear TypeError for arrays of another array API library when scikit-learn's
        array API dispatch is on (the attacks compute on NumPy)."""
        if not get_config()["array_api_dispatch"]:
            return  # NumPy converts what it can, as in scikit-learn
        for name, value in arrays.items():
            if _is_foreign_array(value):
                raise TypeError(
                    f"{type(self).__name__} computes on NumPy arrays; {name} is a "
                    f"{type(value).__module__}.{type(value).__name__}. With "
                    "array_api_dispatch=True only the estimators take other array "
                    f"libraries: convert {name} to NumPy (e.g. numpy.asarray(t.cpu())) "
                    "for the attack.")

    def _validate_fit_data(self, X, y):
        self._refuse_foreign_arrays(X=X, y=y)
        if y is None:
            X = validate_data(self, X, y=None, dtype=[np.float64, np.float32])
        else:
            X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_in_clip(X, self.clip)
        return X, y

    def _validate_X(self, X):
        check_is_fitted(self)
        # parameters set after fit (set_params(eps=...)) are checked as fit checks them
        self._validate_params()
        check_clip(self.clip)
        self._refuse_foreign_arrays(X=X)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        check_in_clip(X, self.clip)
        return X

    def _predicted_index(self, X):
        """Indices in ``classes_`` of the labels the attacked model predicts."""
        labels = self.estimator_.predict(estimator_input(self.estimator_, X))
        return encode_labels(self.classes_, labels)

    def _label_index(self, y, n_samples):
        self._refuse_foreign_arrays(y=y)
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n_samples:
            raise ValueError(f"X has {n_samples} rows but y has {y.shape[0]} labels.")
        index = encode_labels(self.classes_, y)
        if np.any(index < 0):
            unknown = unique_labels(y[index < 0])
            raise ValueError(
                f"y contains labels the model does not know: {unknown[:5]}; "
                f"its classes are {self.classes_.tolist()}.")
        return index

    def transform(self, X):
        """Adversarial examples of the labels the model predicts.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to perturb (left unchanged).

        Returns
        -------
        X_adv : ndarray of shape (n_samples, n_features)
            Perturbed copy of ``X``, in its dtype (float32 kept, any other dtype,
            integers included, as float64): finite, within ``eps`` of ``X`` and
            inside ``clip``.

        Raises
        ------
        ValueError
            As ``generate``.
        """
        return self.generate(X)

    def generate(self, X, y=None):
        """Adversarial examples of given labels (the true-label variant).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to perturb (left unchanged).
        y : array-like of shape (n_samples,), default=None
            Labels to attack, e.g. the true ones (the paper's protocol); ``None``
            attacks the labels the model predicts, like ``transform``.

        Returns
        -------
        X_adv : ndarray of shape (n_samples, n_features)
            Perturbed copy of ``X``, in its dtype (float32 kept, any other dtype
            as float64): finite, within ``eps`` of ``X`` and inside ``clip``.

        Raises
        ------
        ValueError
            If ``X`` has values outside ``clip``, non-finite values or another
            number of features than in ``fit``; if ``y`` has another length than
            ``X`` or labels the model does not know; if a step of ``eps`` leaves the
            range of the dtype of ``X`` (e.g. ``eps=1e300`` on float32 data without a
            finite ``clip``); if the model's input gradient is not finite (FGSM on
            data so large that the model's arithmetic overflows).
        NotFittedError
            If the attack is not fitted.
        """
        X = self._validate_X(X)
        y_index = self._predicted_index(X) if y is None else self._label_index(y, X.shape[0])
        return clip_to(self._perturb(X, y_index), self.clip)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # fitting the target needs its labels; a frozen target needs none
        tags.target_tags.required = not isinstance(self.estimator, FrozenEstimator)
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = False
        return tags
