"""Input preprocessing: saturation and binarisation of [0, 1] data (spec §6)."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, Options
from sklearn.utils.validation import validate_data


class Saturate(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Saturate [0, 1] data: ``x_p = sign(2x - 1) * |2x - 1|**(2/p) / 2 + 1/2``.

    The transform of Ding et al. (2019) that the paper uses for its binarised
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
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string feature names.

    Notes
    -----
    The transform is stateless: ``fit`` only records the number of features, and
    ``transform`` works without it. The formula is odd around 0.5 and defined for any
    real input, but meant for data in [0, 1], which it maps onto [0, 1]. The paper's
    printed exponent 2 is garbled (it would be ``p = 1``); ``2/p`` follows Ding et al.
    (spec §8 row 27).

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
        "p": [Interval(Real, 0, None, closed="neither"), Options(Real, {np.inf})],
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
        """
        validate_data(self, X, dtype=[np.float64, np.float32])
        return self

    def transform(self, X):
        """Saturate ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_p : ndarray of shape (n_samples, n_features)
            New array in the dtype of ``X`` (float32 kept, others as float64).
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        centred = 2 * X - 1
        if self.p == np.inf:
            return np.sign(centred) / 2 + X.dtype.type(0.5)
        exponent = X.dtype.type(2.0 / self.p)
        return np.sign(centred) * np.abs(centred) ** exponent / 2 + X.dtype.type(0.5)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
