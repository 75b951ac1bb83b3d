"""``batch_fraction="auto"``: batches sized by the data, the same on every path."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss._plans import AUTO_FRACTION_RANGE, auto_batch_fraction


@given(rows_per_feature=st.integers(1, 50), d=st.integers(1, 10**6), n=st.integers(1, 10**7),
       more_d=st.integers(0, 1000), more_n=st.integers(0, 10**5))
def test_auto_fraction_is_rows_per_feature_within_bounds(rows_per_feature, d, n, more_d,
                                                         more_n):
    low, high = AUTO_FRACTION_RANGE
    fraction = auto_batch_fraction(rows_per_feature, d, n)
    assert low <= fraction <= high
    if low < rows_per_feature * d / n < high:
        assert fraction == rows_per_feature * d / n
    # more features: larger batches; more rows: a smaller share of them
    assert auto_batch_fraction(rows_per_feature, d + more_d, n) >= fraction
    assert auto_batch_fraction(rows_per_feature, d, n + more_n) <= fraction


def data(n=600, d=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    X[:, -1] = 0.5  # constant: not a feature of any vote
    y = (X[:, :3].sum(1) + 0.2 * rng.standard_normal(n) > 1.5).astype(int)
    return X, y


def settings(Estimator):
    if Estimator is MLP01Classifier:
        return dict(n_estimators=2, max_iter=15, n_hidden=3)
    return dict(n_estimators=2, max_iter=15)


def fitted_votes(model):
    return [getattr(model, name) for name in model._vote_attributes]


# a vote's features: max_features of the 11 non-constant ones; rows: those of positive
# weight
@pytest.mark.parametrize("max_features, n_features", [(1.0, 11), (0.5, 5), (7, 7)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("Estimator", [SCD01Classifier, MLP01Classifier])
def test_auto_fits_the_model_of_the_fraction_it_resolves_to(Estimator, max_features,
                                                            n_features, weighted):
    X, y = data(n=800 if Estimator is MLP01Classifier else 300)
    weight = None
    n_rows = X.shape[0]
    if weighted:
        weight = np.random.default_rng(1).random(X.shape[0])
        weight[::5] = 0.0
        n_rows -= X.shape[0] // 5
    fraction = auto_batch_fraction(Estimator._auto_rows_per_feature, n_features, n_rows)
    assert 0.1 < fraction < 0.75
    fits = [Estimator(batch_fraction=value, max_features=max_features, random_state=0,
                      **settings(Estimator)).fit(X, y, sample_weight=weight)
            for value in ("auto", fraction, 0.75)]
    for auto, explicit in zip(fitted_votes(fits[0]), fitted_votes(fits[1])):
        np.testing.assert_array_equal(auto, explicit)
    assert any(not np.array_equal(auto, paper)
               for auto, paper in zip(fitted_votes(fits[0]), fitted_votes(fits[2])))


def test_the_defaults_are_auto():
    assert SCD01Classifier().batch_fraction == MLP01Classifier().batch_fraction == "auto"


@pytest.mark.parametrize("Estimator", [SCD01Classifier, MLP01Classifier])
def test_small_data_keeps_the_papers_batches(Estimator):
    # too few rows per feature: 75 % of each class, as in the paper
    X, y = data(n=100)
    auto, paper = (Estimator(batch_fraction=value, random_state=0, **settings(Estimator))
                   .fit(X, y) for value in ("auto", 0.75))
    for got, want in zip(fitted_votes(auto), fitted_votes(paper)):
        np.testing.assert_array_equal(got, want)


def test_auto_is_the_same_on_the_batched_path():
    X, y = data()
    cpu = SCD01Classifier(n_estimators=3, max_iter=15, random_state=2).fit(X, y)
    batched = SCD01Classifier(n_estimators=3, max_iter=15, random_state=2,
                              device="numpy").fit(X, y)
    np.testing.assert_array_equal(cpu.coef_, batched.coef_)
    np.testing.assert_array_equal(cpu.intercept_, batched.intercept_)


@pytest.mark.parametrize("value", ["Auto", "full", "", 0, 1.5, -0.1, None])
@pytest.mark.parametrize("Estimator", [SCD01Classifier, MLP01Classifier])
def test_other_batch_fractions_are_rejected(Estimator, value):
    X, y = data(n=50)
    with pytest.raises(ValueError, match="batch_fraction"):
        Estimator(batch_fraction=value, n_estimators=1, max_iter=2).fit(X, y)
