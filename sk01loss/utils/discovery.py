"""Discovery of the package's public estimators (used by the common tests)."""

import inspect

from sklearn.base import BaseEstimator

__all__ = ["all_attacks", "all_estimators"]


def all_estimators():
    """``(name, class)`` of every estimator class ``sk01loss`` exports, at the top
    level and in ``sk01loss.attacks``, sorted by name."""
    import sk01loss
    import sk01loss.attacks

    found = {}
    for module in (sk01loss, sk01loss.attacks):
        for name, obj in vars(module).items():
            public = not name.startswith("_")
            if public and inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                found[name] = obj
    return sorted(found.items())


def all_attacks():
    """``(name, class)`` of every attack transformer in ``sk01loss.attacks``, sorted by name."""
    from sk01loss.attacks._base import BaseAttack

    return [(name, obj) for name, obj in all_estimators() if issubclass(obj, BaseAttack)]
