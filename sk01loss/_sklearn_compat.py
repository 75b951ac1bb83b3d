"""The private scikit-learn APIs sk01loss relies on, in one place.

Parameter validation (``sklearn.utils._param_validation``), the ``fit`` decorator
``sklearn.base._fit_context``, ``_num_samples`` and ``_check_sample_weight`` of
``sklearn.utils.validation`` and the array API helpers of ``sklearn.utils._array_api``
are private in scikit-learn; the package reaches them only through this module (as
imbalanced-learn's ``utils/_sklearn_compat.py`` does), so that a change in
scikit-learn is fixed in one file. ``tests/test_packaging.py`` checks that no other
module imports them, and the CI runs a subset of the tests against the oldest
scikit-learn ``pyproject.toml`` allows.
"""

from numbers import Integral

import numpy as np
from sklearn.base import _fit_context  # noqa: F401 (re-exported)
from sklearn.utils._array_api import (  # noqa: F401 (re-exported; sk01loss._array_api)
    _convert_to_numpy,
    _is_numpy_namespace,
    get_namespace_and_device,
)
from sklearn.utils.validation import _check_sample_weight  # noqa: F401 (re-exported)
from sklearn.utils.validation import _num_samples  # noqa: F401 (re-exported)
from sklearn.utils._param_validation import (  # noqa: F401 (re-exported)
    HasMethods,
    Interval,
    Options,
    StrOptions,
)


class NumberInterval(Interval):
    """An interval of ``type`` that rejects booleans: ``True`` is an ``Integral`` and a
    ``Real`` in Python, but never a count, a fraction or a step. Any NumPy number type
    is accepted."""

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)

    def __str__(self):
        return super().__str__().replace(" in the range", " (not a bool) in the range", 1)


def Count(left, right=None):
    """``NumberInterval`` of ints: ``Count(1)`` is ``[1, inf)``, ``Count(0, 5)`` is
    ``[0, 5]``, ``Count(None)`` any int."""
    closed = {(False, False): "both", (False, True): "left", (True, False): "right",
              (True, True): "neither"}[left is None, right is None]
    return NumberInterval(Integral, left, right, closed=closed)
