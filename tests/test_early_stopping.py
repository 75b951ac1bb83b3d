"""Early stopping (``tol``, ``n_iter_no_change``): the rule against a plain
re-statement of it on a full run's trajectory, and the same model on every back-end,
for any ``n_jobs`` and along a ``warm_start`` path."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import MinMaxScaler

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss._kernels import cpu_mlp01, cpu_scd01, cpu_search
from sk01loss._plans import SearchParams, VotePlan

ESTIMATORS = [
    pytest.param(SCD01Classifier, dict(n_estimators=4, max_iter=200), id="SCD01"),
    pytest.param(MLP01Classifier, dict(n_hidden=5, n_estimators=3, max_iter=150), id="MLP01"),
]


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y


def stop_of(trajectory, start, tol, patience):
    """Where the rule stops a vote whose best objective after iteration ``it`` is
    ``trajectory[it]``: the number of iterations it runs."""
    reference, count = None, 0
    for it, best in enumerate(trajectory):
        if it < start:
            continue
        if reference is None or best > reference + tol:
            reference, count = best, 0
        else:
            count += 1
            if count >= patience:
                return it + 1
    return len(trajectory)


@pytest.mark.parametrize("model", [cpu_scd01, cpu_mlp01])
@pytest.mark.parametrize("tol, patience", [(0.0, 1), (0.0, 7), (1e-3, 5), (0.05, 3), (5.0, 2)])
def test_a_vote_stops_where_the_rule_says_on_its_full_trajectory(cancer, model, tol, patience):
    X, y = cancer
    y = y.astype(np.int8)
    XT = np.ascontiguousarray(X.T)
    columns = cpu_search.describe_columns(XT)
    params = SearchParams(max_iter=120, step_size=0.17, n_coordinates=8, batch_fraction=0.75,
                          max_features=1.0, bias_window=10, balanced_fraction=0.2,
                          n_hidden=4, output_step_size=0.2)
    for seed in range(3):
        trajectory = []
        full = model.fit_vote(XT, y, VotePlan(np.random.SeedSequence(seed), y, 30, params),
                              params, columns, lambda it, best: trajectory.append(best))
        assert full.n_iter == params.max_iter and len(trajectory) == params.max_iter
        early = SearchParams(**{**vars(params), "tol": tol, "n_iter_no_change": patience})
        stopped = model.fit_vote(XT, y, VotePlan(np.random.SeedSequence(seed), y, 30, early),
                                 early, columns)
        n = stop_of(trajectory, int(params.max_iter * params.balanced_fraction), tol, patience)
        assert stopped.n_iter == n
        # the vote stopped is the full run's best vote up to that iteration
        assert stopped.objective == trajectory[n - 1]


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_early_stopping_gives_one_model_on_every_path(cancer, Estimator, params):
    X, y = cancer
    params = dict(params, tol=0.0, n_iter_no_change=15, random_state=0)
    cpu = Estimator(**params).fit(X, y)
    assert cpu.n_iter_.shape == cpu.train_objective_.shape
    assert np.all(cpu.n_iter_ <= params["max_iter"])
    assert np.any(cpu.n_iter_ < params["max_iter"])  # it did stop some votes early
    assert np.all(cpu.n_iter_ >= int(0.2 * params["max_iter"]) + 15)
    others = [Estimator(**params, n_jobs=2).fit(X, y),
              Estimator(**params, device="numpy").fit(X, y),
              Estimator(**{**params, "n_estimators": 1}, warm_start=True).fit(X, y)
              .set_params(n_estimators=params["n_estimators"]).fit(X, y)]
    for other in others:
        for name in cpu._per_vote_attributes():
            np.testing.assert_array_equal(getattr(other, name), getattr(cpu, name))
    # a vote of the early-stopped model is the single-vote model with the same seed
    single = Estimator(**{**params, "n_estimators": 1}).fit(X, y)
    np.testing.assert_array_equal(cpu.select_votes(1).n_iter_, single.n_iter_)


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_tol_none_runs_every_iteration(cancer, Estimator, params):
    X, y = cancer
    model = Estimator(**{**params, "max_iter": 30}, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.n_iter_, 30)
    assert model.n_iter_.shape == (1, params["n_estimators"])


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
@pytest.mark.parametrize("name, value, error", [("tol", -1e-3, ValueError),
                                                ("tol", True, TypeError),
                                                ("n_iter_no_change", 0, ValueError),
                                                ("n_iter_no_change", 2.5, TypeError)])
def test_stopping_parameters_are_validated(cancer, Estimator, params, name, value, error):
    X, y = cancer
    with pytest.raises(error, match=name):
        Estimator(**{**params, name: value}).fit(X, y)
