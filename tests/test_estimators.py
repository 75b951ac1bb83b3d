"""Behaviour every sk01loss classifier shares, as a user sees it."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import parallel_backend
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sk01loss import MLP01Classifier, SCD01Classifier

ESTIMATORS = [
    pytest.param(SCD01Classifier, dict(n_estimators=5, max_iter=60), id="SCD01"),
    pytest.param(MLP01Classifier, dict(n_hidden=6, n_estimators=5, max_iter=80), id="MLP01"),
]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_multiclass_with_string_labels(iris, Estimator, params):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = Estimator(**params, random_state=0).fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert clf.intercept_.shape == (3, 5)
    assert clf.score(X, names) > 0.85
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_array_equal(clf.classes_[clf.decision_function(X).argmax(axis=1)],
                                  clf.predict(X))


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_same_model_for_any_n_jobs_and_single_vote_is_vote_zero(iris, Estimator, params):
    X, y = iris
    one = Estimator(**params, random_state=0, n_jobs=1).fit(X, y)
    two = Estimator(**params, random_state=0, n_jobs=2).fit(X, y)
    with parallel_backend("loky", n_jobs=2):  # processes: what Dask and co. need
        loky = Estimator(**params, random_state=0, n_jobs=2).fit(X, y)
    single = Estimator(**{**params, "n_estimators": 1}, random_state=0).fit(X, y)
    for name in one._vote_attributes:
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))
        np.testing.assert_array_equal(getattr(one, name), getattr(loky, name))
        np.testing.assert_array_equal(getattr(single, name)[:, 0], getattr(one, name)[:, 0])


def test_votes_are_cut_into_tasks_that_keep_every_worker_busy():
    from sk01loss._base import _votes_per_task

    assert _votes_per_task(None, 10, 32, 2) == 32  # a batched kernel: a problem per task
    assert _votes_per_task(8, 10, 32, 2) == 8  # 40 tasks for 2 workers
    assert _votes_per_task(8, 10, 32, 64) == 1  # 320 tasks for 64 workers
    assert _votes_per_task(8, 1, 32, 2) == 4  # 8 tasks
    assert _votes_per_task(8, 1, 3, None) == 3  # one worker: as many as a call takes
    assert _votes_per_task(8, 1, 3, 2) == 1
    assert _votes_per_task(1, 10, 32, 1) == 1


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_warm_start_adds_the_votes_a_single_fit_would_have(iris, Estimator, params):
    X, y = iris
    whole = Estimator(**params, random_state=rng_state()).fit(X, y)
    grown = Estimator(**{**params, "n_estimators": 2}, random_state=rng_state(),
                      warm_start=True).fit(X, y)
    first_two = getattr(grown, Estimator._vote_attributes[0]).copy()
    grown.set_params(n_estimators=4).fit(X, y)
    grown.set_params(n_estimators=5).fit(X, y)
    for name in Estimator._vote_attributes + ("train_objective_",):
        np.testing.assert_array_equal(getattr(grown, name), getattr(whole, name), err_msg=name)
    assert np.array_equal(first_two, getattr(grown, Estimator._vote_attributes[0])[:, :2])
    with pytest.warns(UserWarning, match="no vote was added"):
        grown.fit(X, y)
    with pytest.raises(ValueError, match="n_estimators=3 must be at least the 5 votes"):
        grown.set_params(n_estimators=3).fit(X, y)
    with pytest.raises(ValueError, match="classes of the first fit"):
        grown.set_params(n_estimators=6).fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="features"):
        grown.fit(X[:, :3], y)
    # without warm_start a fit starts over
    cold = grown.set_params(warm_start=False, n_estimators=2).fit(X, y)
    assert cold.train_objective_.shape == (3, 2)


def rng_state():
    """A RandomState instance, which each fit advances: warm starts must not redraw."""
    return np.random.RandomState(7)


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_float32_input_works_and_is_untouched(iris, Estimator, params):
    X, y = iris
    X32 = np.asfortranarray(X, dtype=np.float32)
    before = X32.copy()
    clf = Estimator(**params, random_state=0).fit(X32, y)
    np.testing.assert_array_equal(X32, before)
    assert clf.score(X32, y) > 0.85
    assert clf.predict(X32).dtype == y.dtype


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_pickle_clone_pipeline_gridsearch_cross_val(iris, Estimator, params):
    X, y = iris
    clf = Estimator(**params, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    assert clone(clf).get_params() == clf.get_params()
    assert not hasattr(clone(clf), "intercept_")
    pipe = make_pipeline(MinMaxScaler(), Estimator(**params, random_state=0))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.8
    search = GridSearchCV(Estimator(**params, random_state=0), {"step_size": [0.1, 0.17]}, cv=3)
    assert search.fit(X, y).best_params_["step_size"] in (0.1, 0.17)


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_verbose_reports_progress(iris, capsys, Estimator, params):
    X, y = iris
    Estimator(**{**params, "n_estimators": 2, "max_iter": 50}, random_state=0, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "problem 3/3 vote 2/2 done" in out and "iteration 50" in out and " s)" in out


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
@pytest.mark.parametrize("bad, message", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_input_is_refused(iris, Estimator, params, bad, message):
    X, y = iris
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        Estimator(**params).fit(X, y)


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_bad_inputs_get_clear_errors(iris, Estimator, params):
    X, y = iris
    with pytest.raises(ValueError, match="only one class"):
        Estimator(**params).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="sparse X: sparse data is fitted on the CPU"):
        Estimator(**params, device="numpy").fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="0 sample"):
        Estimator(**params).fit(np.empty((0, 4)), [])
    with pytest.raises(ValueError, match="Unknown label type"):
        Estimator(**params).fit(X, y + 0.5)
    clf = Estimator(**params).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="n_estimators"):
        Estimator(n_estimators=0).fit(X, y)
    with pytest.raises(ValueError, match="batch_fraction"):
        Estimator(batch_fraction=1.5).fit(X, y)


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_predict_log_proba_is_the_log_of_predict_proba(iris, Estimator, params):
    X, y = iris
    for target in (y, y == 2):  # multiclass, and binary (where -inf occurs)
        clf = Estimator(**params, random_state=0).fit(X, target)
        proba = clf.predict_proba(X)
        with np.errstate(divide="ignore"):
            np.testing.assert_array_equal(clf.predict_log_proba(X), np.log(proba))
        np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-15)
        assert np.isneginf(clf.predict_log_proba(X)).any() == (proba == 0).any()


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_saved_models_record_the_version_and_warn_when_another_loads_them(
        iris, Estimator, params, monkeypatch):
    import warnings

    import sk01loss
    from sk01loss import _base

    X, y = iris
    clf = Estimator(**params, random_state=0).fit(X, y)
    before = dict(vars(clf))
    saved = pickle.dumps(clf)
    assert vars(clf).keys() == before.keys(), "pickling changed the estimator"
    assert clf.__getstate__()["_sk01loss_version"] == sk01loss.__version__
    assert "_sk01loss_version" not in vars(clf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same version loads silently
        same = pickle.loads(saved)
    assert "_sk01loss_version" not in vars(same)
    monkeypatch.setattr(_base, "__version__", "99.0")
    with pytest.warns(sk01loss.InconsistentVersionWarning, match=r"version 0\..* by sk01loss 99\.0"):
        other = pickle.loads(saved)
    np.testing.assert_array_equal(other.predict(X), clf.predict(X))
    state = clf.__getstate__()
    del state["_sk01loss_version"]  # saved before versions were recorded
    with pytest.warns(sk01loss.InconsistentVersionWarning, match="did not record"):
        Estimator().__setstate__(state)
    state["_sk01loss_version"] = "98.0"
    with pytest.warns(sk01loss.InconsistentVersionWarning):
        Estimator().__setstate__(state)
    assert state["_sk01loss_version"] == "98.0", "__setstate__ changed the state it was given"
