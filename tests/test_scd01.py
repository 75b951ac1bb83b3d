"""Behaviour of SCD01Classifier as a user sees it."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_iris, make_blobs
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk01loss import SCD01Classifier

FAST = dict(n_estimators=5, max_iter=60, random_state=0)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


def test_multiclass_with_string_labels(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = SCD01Classifier(**FAST).fit(X, names)
    assert list(clf.classes_) == list(names[np.sort(np.unique(y, return_index=True)[1])])
    assert clf.coef_.shape == (3, 5, 4) and clf.intercept_.shape == (3, 5)
    assert clf.score(X, names) > 0.85
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_allclose(np.linalg.norm(clf.coef_, axis=2), 1.0)


def test_binary_vote_semantics():
    X, y = make_blobs(200, centers=2, random_state=1)
    clf = SCD01Classifier(n_estimators=4, max_iter=40, random_state=0).fit(X, y)
    votes = (X @ clf.coef_[0].T + clf.intercept_[0] > 0).sum(axis=1)
    # a 2-2 tie goes to classes_[0]
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(votes > 2).astype(int)])
    np.testing.assert_allclose(clf.decision_function(X), votes / 4 - 0.5)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], votes / 4)


def test_separable_problem_is_learned_exactly():
    rng = np.random.default_rng(0)
    X = rng.random((300, 6))
    y = (X @ np.array([1, -2, 0.5, 0, 0, 1.5]) > 0.2).astype(int)
    margin = np.abs(X @ np.array([1, -2, 0.5, 0, 0, 1.5]) - 0.2) > 0.05
    X, y = X[margin], y[margin]
    clf = SCD01Classifier(n_estimators=5, max_iter=300, n_coordinates=6, random_state=0)
    assert clf.fit(X, y).score(X, y) >= 0.99
    # a vote whose random start points away from the positives can stay stuck at
    # "all positive" (the window search never flips orientation); most do not
    assert np.sum(clf.train_objective_ == 2.0) >= 3


def test_same_model_for_any_n_jobs_and_single_vote_is_vote_zero(iris):
    X, y = iris
    one = SCD01Classifier(**FAST, n_jobs=1).fit(X, y)
    two = SCD01Classifier(**FAST, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    np.testing.assert_array_equal(one.intercept_, two.intercept_)
    single = SCD01Classifier(**{**FAST, "n_estimators": 1}).fit(X, y)
    np.testing.assert_array_equal(single.coef_[:, 0], one.coef_[:, 0])


def test_float32_and_float64_give_working_models_and_input_is_untouched(iris):
    X, y = iris
    X32 = np.asfortranarray(X, dtype=np.float32)
    before = X32.copy()
    clf32 = SCD01Classifier(**FAST).fit(X32, y)
    np.testing.assert_array_equal(X32, before)
    assert clf32.score(X32, y) > 0.85
    assert clf32.predict(X32).dtype == y.dtype


def test_pickle_clone_pipeline_gridsearch_cross_val(iris):
    X, y = iris
    clf = SCD01Classifier(**FAST).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    assert clone(clf).get_params() == clf.get_params()
    assert not hasattr(clone(clf), "coef_")
    pipe = make_pipeline(MinMaxScaler(), SCD01Classifier(**FAST))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.8
    search = GridSearchCV(SCD01Classifier(**FAST), {"step_size": [0.1, 0.17]}, cv=3).fit(X, y)
    assert search.best_params_["step_size"] in (0.1, 0.17)


def test_verbose_reports_progress(iris, capsys):
    X, y = iris
    SCD01Classifier(n_estimators=2, max_iter=50, random_state=0, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "problem 3/3 vote 2/2 done" in out and "iteration 50" in out and " s)" in out


@pytest.mark.parametrize("bad, message", [
    (np.nan, "NaN"),
    (np.inf, "infinity"),
])
def test_non_finite_input_is_refused(iris, bad, message):
    X, y = iris
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        SCD01Classifier(**FAST).fit(X, y)


def test_bad_inputs_get_clear_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="only one class"):
        SCD01Classifier(**FAST).fit(X, np.zeros(len(X)))
    with pytest.raises(TypeError, match="[Ss]parse"):
        SCD01Classifier(**FAST).fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="0 sample"):
        SCD01Classifier(**FAST).fit(np.empty((0, 4)), [])
    with pytest.raises(ValueError, match="Unknown label type"):
        SCD01Classifier(**FAST).fit(X, y + 0.5)
    clf = SCD01Classifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="n_estimators"):
        SCD01Classifier(n_estimators=0).fit(X, y)
    with pytest.raises(ValueError, match="batch_fraction"):
        SCD01Classifier(batch_fraction=1.5).fit(X, y)


def exact_linear_01_error(X, y):
    """Fewest training errors of any line in 2-D (points in general position):
    an optimal line can be moved to pass through two points, which it may then
    assign to either side."""
    n = len(y)
    best = min(np.sum(y == 0), np.sum(y == 1))
    for i in range(n):
        for j in range(i + 1, n):
            normal = np.array([X[i, 1] - X[j, 1], X[j, 0] - X[i, 0]])
            side = (X - X[i]) @ normal > 0
            others = np.ones(n, bool)
            others[[i, j]] = False
            errors = np.sum(side[others] != y[others])
            best = min(best, errors, n - 2 - errors)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_single_vote_approaches_but_never_beats_exact_optimum(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 2))
    y = (X @ rng.standard_normal(2) + 0.8 * rng.standard_normal(30) > 0).astype(int)
    optimum = exact_linear_01_error(X, y)
    # one vote is a linear classifier, so it cannot beat the optimum
    clf = SCD01Classifier(n_estimators=1, n_coordinates=2, random_state=seed)
    errors = np.sum(clf.fit(X, y).predict(X) != y)
    assert optimum <= errors <= optimum + 1
