"""scikit-learn's estimator checks over every estimator sk01loss exports.

Settings that keep the checks fast live in ``FAST_PARAMS``; a check that is
expected to fail is listed, with the reason, in ``EXPECTED_FAILED_CHECKS``."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sk01loss.utils.discovery import all_estimators

FAST_PARAMS = {
    "MLP01Classifier": dict(n_hidden=6, n_estimators=5, max_iter=80),
    "SCD01Classifier": dict(n_estimators=5, max_iter=60),
}

EXPECTED_FAILED_CHECKS = {
    # name -> {check name: reason}
}


def _instances():
    for name, Estimator in all_estimators():
        yield Estimator(**FAST_PARAMS.get(name, {}))


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(list(_instances()), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_every_estimator_has_fast_params():
    assert {name for name, _ in all_estimators()} <= set(FAST_PARAMS)
