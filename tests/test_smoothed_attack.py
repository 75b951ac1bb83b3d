"""SmoothedPGDAttack: the surrogate and its gradient, judging on the real model,
certificates it cannot beat, budgets and inputs."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.attacks import SmoothedPGDAttack
from sk01loss.attacks._smoothed import surrogate_scores
from sk01loss.robustness import certified_radius


def tiny(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(0.1, 0.9, (n, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * np.sin(6 * X[:, 1]) > 0.9).astype(int)
    return X, y


def iris():
    X, y = load_iris(return_X_y=True)
    return X / X.max(axis=0), y


MODELS = {
    "scd01": lambda: SCD01Classifier(n_estimators=5, max_iter=40, random_state=0),
    "mlp01": lambda: MLP01Classifier(n_hidden=3, n_estimators=3, max_iter=40, random_state=0),
}


@pytest.mark.parametrize("multiclass", [False, True])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_surrogate_gradient_matches_finite_differences(name, multiclass):
    X, y = iris() if multiclass else tiny()
    model = MODELS[name]().fit(X, y)
    rng = np.random.RandomState(0)
    x = X[:5]
    scores, gradient = surrogate_scores(model, x, 0.5)
    G = rng.standard_normal(scores.shape)
    analytic = gradient(G)
    h = 1e-6
    numeric = np.empty_like(x)
    for j in range(x.shape[1]):
        e = np.zeros(x.shape[1])
        e[j] = h
        plus, _ = surrogate_scores(model, x + e, 0.5)
        minus, _ = surrogate_scores(model, x - e, 0.5)
        numeric[:, j] = np.sum(G * (plus - minus), axis=1) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cold_surrogate_is_the_vote(name):
    X, y = tiny()
    model = MODELS[name]().fit(X, y)
    scores, _ = surrogate_scores(model, X, 1e-9)
    fraction = model.predict_proba(X)[:, 1]
    np.testing.assert_allclose(scores[:, 0], 2 * fraction - 1, atol=1e-6)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_fools_where_the_radius_is_small_never_where_it_is_large(name):
    X, y = tiny()
    model = MODELS[name]().fit(X, y)
    eps = 0.1
    cert = certified_radius(model, X, eps=eps)
    attack = SmoothedPGDAttack(FrozenEstimator(model), eps=eps, n_restarts=2,
                               random_state=0).fit(X)
    X_adv = attack.transform(X)
    assert np.abs(X_adv - X).max() <= eps + 1e-12
    fooled = model.predict(X_adv) != cert.prediction
    assert not fooled[cert.certified(eps)].any()  # no attack beats a certificate
    easy = cert.radius < 0.5 * eps
    assert easy.sum() >= 5
    assert fooled[easy].mean() >= 0.8


def test_multiclass_ensemble_loses_accuracy():
    X, y = iris()
    model = SCD01Classifier(n_estimators=5, max_iter=60, random_state=0).fit(X, y)
    attack = SmoothedPGDAttack(FrozenEstimator(model), eps=0.1, random_state=0).fit(X)
    assert model.score(attack.generate(X, y), y) < model.score(X, y) - 0.2


def test_temperatures_and_restarts_are_runs():
    X, y = tiny()
    model = MODELS["mlp01"]().fit(X, y)
    one = SmoothedPGDAttack(FrozenEstimator(model), eps=0.05, temperature=0.1,
                            random_state=0).fit(X)
    many = SmoothedPGDAttack(FrozenEstimator(model), eps=0.05, temperature=[0.1, 1.0],
                             n_restarts=3, random_state=0).fit(X)
    # a row fooled by the first run stays fooled; later runs only add rows
    fooled_one = model.predict(one.transform(X)) != model.predict(X)
    fooled_many = model.predict(many.transform(X)) != model.predict(X)
    assert np.all(fooled_many[fooled_one])
    # a row alone gets what it gets in a batch
    np.testing.assert_array_equal(many.transform(X[[7]])[0], many.transform(X)[7])


def test_huge_eps():
    X, y = tiny()
    X32 = X.astype(np.float32)
    model = MODELS["scd01"]().fit(X, y)
    X_adv = SmoothedPGDAttack(FrozenEstimator(model), eps=1e300, random_state=0).fit(
        X32).generate(X32, y)
    assert X_adv.dtype == np.float32 and np.all((X_adv >= 0) & (X_adv <= 1))
    with pytest.raises(ValueError, match="overflows float32"):
        SmoothedPGDAttack(FrozenEstimator(model), eps=1e300, clip=None,
                          random_state=0).fit(X32).generate(X32, y)


@pytest.mark.parametrize("temperature", [0, -1.0, [], [0.1, 0], "cold", np.nan, True])
def test_bad_temperature(temperature):
    X, y = tiny()
    with pytest.raises(ValueError, match="temperature"):
        SmoothedPGDAttack(MODELS["scd01"](), temperature=temperature).fit(X, y)


@pytest.mark.parametrize("params", [dict(n_steps=0), dict(n_restarts=0), dict(step_size=0),
                                    dict(random_start="yes")])
def test_bad_parameters(params):
    X, y = tiny()
    with pytest.raises((ValueError, TypeError)):
        SmoothedPGDAttack(MODELS["scd01"](), **params).fit(X, y)


def test_needs_an_ensemble():
    X, y = tiny()
    with pytest.raises(TypeError, match="SmoothedPGDAttack attacks"):
        SmoothedPGDAttack(LogisticRegression()).fit(X, y)
