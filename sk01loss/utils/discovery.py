"""Discovery of the package's public estimators (used by the common tests)."""

import inspect

from sklearn.base import BaseEstimator


def all_estimators():
    """``(name, class)`` of every estimator class ``sk01loss`` exports, sorted by name."""
    import sk01loss

    return sorted(
        (name, obj)
        for name, obj in vars(sk01loss).items()
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator) and not name.startswith("_")
    )
