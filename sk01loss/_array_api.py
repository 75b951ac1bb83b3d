"""Array API inputs: NumPy inside, the caller's namespace outside.

With ``sklearn.set_config(array_api_dispatch=True)``, ``fit`` and the prediction
methods accept arrays of any array API library scikit-learn dispatches to (PyTorch,
CuPy, array-api-strict, ...; on any device). The estimators convert them to NumPy
on the CPU at the boundary, fit and predict on NumPy exactly as for NumPy input, and
return ``predict`` / ``predict_proba`` / ``predict_log_proba`` /
``decision_function`` outputs in the input's namespace and on its device. Fitted
attributes stay NumPy arrays whatever the input (a model fitted from GPU arrays
loads and predicts on a CPU-only machine), so the estimators do not declare
scikit-learn's ``array_api_support`` tag, whose checks expect fitted attributes in
the namespace of ``X``; the results are the NumPy path's, value for value.

Labels a namespace cannot hold (strings, objects) come back from ``predict`` as a
NumPy array. With dispatch off, inputs go through ``numpy.asarray`` as in
scikit-learn; an array that NumPy cannot convert (CuPy, a GPU tensor,
array-api-strict) is refused with a ``TypeError`` that names
``array_api_dispatch``.
"""

import functools

import numpy as np
import scipy.sparse as sp
from sklearn import get_config

from ._sklearn_compat import _convert_to_numpy, _is_numpy_namespace, get_namespace_and_device


def _is_foreign_array(X):
    """Whether ``X`` is an array of a library other than NumPy (the objects that
    array API dispatch may apply to): not a NumPy array, a sparse matrix, a list or a
    data frame, but an object with ``__array_namespace__`` or ``__dlpack__``."""
    return (not isinstance(X, np.ndarray) and not sp.issparse(X)
            and (hasattr(X, "__array_namespace__") or hasattr(X, "__dlpack__"))
            and not hasattr(X, "__dataframe__"))


def _numpy_input(X, name):
    """``(X_numpy, namespace, device)``: ``X`` on the CPU as NumPy, and where it came
    from (``namespace`` is ``None`` where ``X`` is left to scikit-learn's validation
    as it is: NumPy, lists, sparse matrices, data frames, anything with dispatch
    off that NumPy converts)."""
    if not _is_foreign_array(X):
        return X, None, None
    if not get_config()["array_api_dispatch"]:
        try:
            np.asarray(X[:0] if hasattr(X, "__getitem__") else X)
        except Exception as error:  # CuPy: TypeError, array-api-strict: RuntimeError
            raise TypeError(
                f"{name} is a {type(X).__module__}.{type(X).__name__} that NumPy cannot "
                f"convert ({error}). Enable scikit-learn's array API dispatch to pass "
                "it (sklearn.set_config(array_api_dispatch=True), with the environment "
                "variable SCIPY_ARRAY_API=1 set before scipy is imported), or convert "
                f"{name} to a NumPy array.") from error
        return X, None, None
    try:
        xp, _, device = get_namespace_and_device(X)
    except Exception as error:
        raise TypeError(
            f"{name} is a {type(X).__module__}.{type(X).__name__} that is not an array "
            f"of an array API library scikit-learn supports ({error}); with "
            "array_api_dispatch=True pass a NumPy, PyTorch, CuPy or array-api-strict "
            f"array, or convert {name} to NumPy.") from error
    if _is_numpy_namespace(xp):
        return X, None, None
    try:
        X_numpy = _convert_to_numpy(X, xp)
    except Exception as error:  # a tensor that requires grad, a meta device, ...
        try:  # CPU arrays through DLPack (array-api-strict with scikit-learn < 1.8)
            X_numpy = np.from_dlpack(X)
        except Exception:
            raise TypeError(
                f"{name} (a {xp.__name__} array on device {device!r}) could not be "
                f"copied to NumPy on the CPU ({error}); with array_api_dispatch=True "
                "the estimators copy their input to NumPy. Pass an array that converts "
                "(e.g. a detached tensor: tensor.detach()), or a NumPy array.") from error
    return X_numpy, xp, device


def _to_namespace(result, xp, device):
    """A NumPy ``result`` in namespace ``xp`` on ``device``; float64 becomes float32
    on a device without float64, and arrays the namespace cannot hold (strings,
    objects) stay NumPy."""
    if xp is None or not isinstance(result, np.ndarray) or result.dtype.kind not in "biuf":
        return result
    try:
        return xp.asarray(result, device=device)
    except (TypeError, RuntimeError, ValueError):
        if result.dtype != np.float64:
            raise
        return xp.asarray(result.astype(np.float32), device=device)  # e.g. Apple's MPS


def fit_on_numpy(fit):
    """Decorator of ``fit(self, X, y=None, ...)``: ``X``, ``y`` and every array
    keyword argument (``sample_weight``) are copied to NumPy when they are arrays of
    another array API library and dispatch is on (see the module docstring)."""

    @functools.wraps(fit)
    def wrapper(self, X, y=None, *args, **kwargs):
        X = _numpy_input(X, "X")[0]
        y = _numpy_input(y, "y")[0]
        args = tuple(_numpy_input(value, f"argument {i + 3}")[0]
                     for i, value in enumerate(args))
        kwargs = {key: _numpy_input(value, key)[0] for key, value in kwargs.items()}
        return fit(self, X, y, *args, **kwargs)

    return wrapper


def output_in_input_namespace(method):
    """Decorator of a prediction method ``method(self, X)``: ``X`` copied to NumPy when
    it is an array of another array API library and dispatch is on, the NumPy result
    returned in ``X``'s namespace and on its device (see the module docstring)."""

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        X, xp, device = _numpy_input(X, "X")
        return _to_namespace(method(self, X, *args, **kwargs), xp, device)

    return wrapper
