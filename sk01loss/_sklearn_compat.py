"""The private scikit-learn APIs sk01loss relies on, in one place.

Parameter validation (``sklearn.utils._param_validation``) is private in
scikit-learn; importing it from here keeps a future change to one file.
"""

from numbers import Integral

import numpy as np
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
