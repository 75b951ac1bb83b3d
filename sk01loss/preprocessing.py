"""Input preprocessing: saturation and binarisation of [0, 1] data.

The transform of Ding et al. (2019) that Xue, Xie and Roshan (2020) use for their
binarised experiments (Sec. III-D).
"""

from numbers import Real

import warnings

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import validate_data

from ._sklearn_compat import NumberInterval, Options, _fit_context

__all__ = ["Saturate"]


def _warn_outside_unit_interval(X):
    lowest, highest = X.min(), X.max()
    if lowest < 0 or highest > 1:
        warnings.warn(
            f"X has values in [{lowest:g}, {highest:g}] outside [0, 1], the range Saturate "
            "is meant for; it saturates around 0.5 and maps only [0, 1] onto [0, 1]. "
            "Scale X into [0, 1] first (e.g. X / X.max() for pixels, or "
            "MinMaxScaler(clip=True)).", UserWarning, stacklevel=3)


class Saturate(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Saturate [0, 1] data: ``x_p = sign(2x - 1) * |2x - 1|**(2/p) / 2 + 1/2``.

    The transform of Ding et al. [1]_ that the paper [2]_ uses for its binarised
    experiments (Sec. III-D, Table IV). ``p = 2`` is the identity, larger ``p`` push
    values towards 0 and 1, and ``p = np.inf`` binarises at 0.5 (``x > 0.5`` gives 1,
    ``x < 0.5`` gives 0, ``x = 0.5`` stays 0.5). ``p < 2`` pulls values towards 0.5.

    Apply it to the training and test data (and the attacker's data) before training.
    The paper adds adversarial perturbations to the saturated inputs and does not
    saturate again.

    Parameters
    ----------
    p : float or np.inf, default=2.0
        Saturation level, ``p > 0``.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string feature names.

    Warns
    -----
    UserWarning
        When ``X`` (in ``fit`` or ``transform``) has values outside [0, 1]; the
        message names the range found and the fix.

    Notes
    -----
    The transform is stateless: ``fit`` only records the number of features, and
    ``transform`` works without it. The formula is odd around 0.5 and defined for any
    real input, but meant for data in [0, 1], which it maps onto [0, 1]. Data outside
    [0, 1] are transformed by the same formula (values beyond the ends move away from
    [0, 1], except for ``p = np.inf``), with a ``UserWarning``: unscaled data such as
    0..255 pixels would otherwise be saturated around 0.5 without notice. Scale them
    into [0, 1] first (e.g. ``X / 255`` or ``MinMaxScaler(clip=True)``). The paper's
    printed exponent 2 is garbled (it would be ``p = 1``); ``2/p`` follows Ding et al.

    References
    ----------
    .. [1] G. W. Ding, K. Y. C. Lui, X. Jin, L. Wang and R. Huang, "On the
       sensitivity of adversarial robustness to input data distributions", IEEE
       Conference on Computer Vision and Pattern Recognition Workshops, 2019.
    .. [2] Y. Xue, M. Xie and U. Roshan, "On the transferability of adversarial
       examples between convex and 01 loss models", arXiv preprint, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sk01loss import Saturate
    >>> X = np.array([[0.0, 0.25, 0.5, 0.75, 1.0]])
    >>> Saturate(p=2).fit_transform(X)
    array([[0.  , 0.25, 0.5 , 0.75, 1.  ]])
    >>> Saturate(p=4).fit_transform(X).round(3)
    array([[0.   , 0.146, 0.5  , 0.854, 1.   ]])
    >>> Saturate(p=np.inf).fit_transform(X)
    array([[0. , 0. , 0.5, 1. , 1. ]])
    """

    _parameter_constraints = {
        "p": [NumberInterval(Real, 0, None, closed="neither"), Options(Real, {np.inf})],
    }

    def __init__(self, p=2.0):
        self.p = p

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the data and record its number of features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object

        Raises
        ------
        ValueError
            If ``X`` has non-finite values.
        """
        validate_data(self, X, dtype=[np.float64, np.float32])
        return self  # data outside [0, 1] is warned about by transform, once

    def transform(self, X):
        """Saturate ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_p : ndarray of shape (n_samples, n_features)
            New array in the dtype of ``X`` (float32 kept, others as float64); in
            [0, 1] when ``X`` is.

        Raises
        ------
        ValueError
            If ``X`` has non-finite values or another number of features than in
            ``fit``, or if the result overflows (values of enormous magnitude, far
            outside [0, 1]).

        Warns
        -----
        UserWarning
            If ``X`` has values outside [0, 1].
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        _warn_outside_unit_interval(X)
        with np.errstate(over="ignore"):  # checked below
            centred = 2 * X - 1
            if self.p == np.inf:
                return np.sign(centred) / 2 + X.dtype.type(0.5)
            exponent = X.dtype.type(2.0 / self.p)
            X_p = np.sign(centred) * np.abs(centred) ** exponent / 2 + X.dtype.type(0.5)
        if not np.all(np.isfinite(X_p)):
            raise ValueError(
                f"Saturate(p={self.p!r}) overflows {X.dtype.name} on X, which has values "
                f"up to {np.abs(X).max():g} in magnitude; scale X into [0, 1].")
        return X_p

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
