"""HopSkipJumpAttack and BoundaryAttack beyond the attack check suite: the
minimum-distortion mode against exact radii, budgets, Pipelines, per-row
independence."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.attacks import BoundaryAttack, HopSkipJumpAttack, MinimumDistortion
from sk01loss.robustness import certified_radius

from .test_attacks import separable

ATTACKS = {
    "hsj-linf": lambda model, **kw: HopSkipJumpAttack(
        model, constraint="linf", **{"max_steps": 30, "random_state": 0, **kw}),
    "hsj-l2": lambda model, **kw: HopSkipJumpAttack(
        model, constraint="l2", **{"max_steps": 30, "random_state": 0, **kw}),
    "boundary": lambda model, **kw: BoundaryAttack(
        model, **{"max_steps": 300, "random_state": 0, **kw}),
}
NORM = {"hsj-linf": np.inf, "hsj-l2": 2, "boundary": 2}


@pytest.fixture(scope="module")
def data():
    return separable()


@pytest.fixture(scope="module")
def linear(data):
    return LogisticRegression(C=100.0).fit(*data)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_minimum_distortion_of_a_linear_model_is_near_the_exact_radius(name, data, linear):
    X, y = data
    X, y = X[:20], y[:20]
    attack = ATTACKS[name](FrozenEstimator(linear)).fit(X)
    result = attack.minimize(X, y)
    assert isinstance(result, MinimumDistortion)
    assert result.success.all()
    exact = certified_radius(linear, X, norm=NORM[name]).radius
    # never below the exact radius (up to the binary search landing on the boundary)
    assert np.all(result.distortion >= exact * (1 - 1e-9) - 1e-12)
    assert np.median(result.distortion / exact) < 1.05
    assert np.all(result.distortion / exact < 1.5)
    np.testing.assert_array_equal(linear.predict(result.X_adv), 1 - y)
    measured = (np.abs(result.X_adv - X).max(axis=1) if NORM[name] == np.inf
                else np.linalg.norm(result.X_adv - X, axis=1))
    np.testing.assert_allclose(measured, result.distortion)
    assert np.all(result.n_queries > 0)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_no_attack_beats_the_milp_certificate(name):
    rng = np.random.RandomState(0)
    X = rng.uniform(0.1, 0.9, (60, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * np.sin(6 * X[:, 1]) > 0.9).astype(int)
    for model in (SCD01Classifier(n_estimators=5, max_iter=40, random_state=0).fit(X, y),
                  MLP01Classifier(n_hidden=2, n_estimators=3, max_iter=40,
                                  random_state=0).fit(X, y)):
        cert = certified_radius(model, X[:12])
        result = ATTACKS[name](FrozenEstimator(model), max_steps=30 if "hsj" in name else 100
                               ).fit(X).minimize(X[:12])
        linf = np.abs(result.X_adv - X[:12]).max(axis=1)
        assert np.all(linf[result.success] >= cert.radius[result.success] - 1e-9)
        assert np.all(model.predict(result.X_adv)[result.success]
                      != cert.prediction[result.success])


def test_eps_mode_fools_exactly_the_rows_found_within_eps(data, linear):
    X, y = data
    attack = HopSkipJumpAttack(FrozenEstimator(linear), eps=0.08, random_state=0).fit(X)
    X_adv = attack.generate(X, y)
    assert np.abs(X_adv - X).max() <= 0.08 + 1e-12
    exact = certified_radius(linear, X).radius
    fooled = linear.predict(X_adv) != y
    assert not fooled[exact > 0.08].any()  # impossible there
    assert fooled[exact < 0.07].all()  # found easily
    # the bounded mode spends the whole budget where it stays adversarial
    np.testing.assert_allclose(np.abs(X_adv - X).max(axis=1)[exact < 0.07], 0.08)


def test_query_budget_is_respected(data, linear):
    X, y = data
    for attack in (HopSkipJumpAttack(FrozenEstimator(linear), max_queries=150, random_state=0),
                   BoundaryAttack(FrozenEstimator(linear), max_queries=150, random_state=0)):
        result = attack.fit(X).minimize(X[:10], y[:10])
        assert np.all(result.n_queries <= 150)
        assert np.all(result.n_queries >= 100)
    unlimited = HopSkipJumpAttack(FrozenEstimator(linear), max_steps=5, init_evals=10,
                                  max_evals=10, random_state=0).fit(X).minimize(X[:3], y[:3])
    assert np.all(unlimited.n_queries < 500)


def test_misclassified_rows_cost_one_query(data, linear):
    X, y = data
    result = HopSkipJumpAttack(FrozenEstimator(linear), random_state=0).fit(X).minimize(
        X[:5], 1 - y[:5])
    np.testing.assert_array_equal(result.distortion, 0.0)
    np.testing.assert_array_equal(result.n_queries, 1)
    np.testing.assert_array_equal(result.X_adv, X[:5])


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_row_alone_gets_the_adversary_it_gets_in_a_batch(name, data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier((6,), max_iter=300, random_state=0).fit(X, y)
    attack = ATTACKS[name](FrozenEstimator(model), max_steps=5).fit(X)
    batch = attack.minimize(X[:6], y[:6])
    for i in (0, 3, 5):
        alone = attack.minimize(X[[i]], y[[i]])
        np.testing.assert_array_equal(alone.X_adv[0], batch.X_adv[i])
        assert alone.n_queries[0] == batch.n_queries[i]
    if name == "hsj-linf":
        return  # its sign steps end on the same vertices from any seed here
    other = ATTACKS[name](FrozenEstimator(model), max_steps=5, random_state=1).fit(X)
    assert not np.array_equal(other.minimize(X[:6], y[:6]).X_adv, batch.X_adv)


def test_a_pipeline_and_a_multiclass_model():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(StandardScaler(), SCD01Classifier(n_estimators=3, max_iter=30,
                                                               random_state=0)).fit(X, y)
    for attack in (HopSkipJumpAttack(FrozenEstimator(pipe), max_steps=10, random_state=0),
                   BoundaryAttack(FrozenEstimator(pipe), max_steps=50, random_state=0)):
        result = attack.fit(X).minimize(X[::10], y[::10])
        assert result.success.all()
        assert np.all(pipe.predict(result.X_adv) != y[::10])
        assert result.X_adv.min() >= 0 and result.X_adv.max() <= 1


def test_float32_and_huge_eps(data, linear):
    X, y = data
    X32 = X.astype(np.float32)
    attack = HopSkipJumpAttack(FrozenEstimator(linear), eps=1e300, max_steps=3,
                               random_state=0).fit(X32)
    X_adv = attack.generate(X32, y)
    assert X_adv.dtype == np.float32 and np.all((X_adv >= 0) & (X_adv <= 1))
    result = attack.minimize(X32, y)
    assert result.X_adv.dtype == np.float32
    assert np.all(linear.predict(result.X_adv) != y)  # judged in float32
    unclipped = HopSkipJumpAttack(FrozenEstimator(linear), eps=1e300, clip=None, max_steps=3,
                                  random_state=0).fit(X32)
    with pytest.raises(ValueError, match="overflows float32"):
        unclipped.generate(X32, y)


def test_no_start_found_leaves_the_row():
    # a model that labels everything in clip one class: no adversary exists
    X = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]])
    model = LogisticRegression().fit(X, [0, 0, 1, 1])
    model.coef_[:] = 0.0
    model.intercept_[:] = 1.0
    for attack in (HopSkipJumpAttack(FrozenEstimator(model), random_state=0),
                   BoundaryAttack(FrozenEstimator(model), random_state=0)):
        result = attack.fit(X).minimize(X)
        assert not result.success.any() and np.all(np.isinf(result.distortion))
        np.testing.assert_array_equal(result.X_adv, X)
        np.testing.assert_array_equal(attack.transform(X), X)


@pytest.mark.parametrize("params", [
    dict(constraint="l1"), dict(max_steps=0), dict(max_queries=0), dict(max_queries=True),
    dict(init_evals=0), dict(gamma=0.0),
])
def test_bad_parameters(params, data):
    X, y = data
    with pytest.raises((ValueError, TypeError)):
        HopSkipJumpAttack(LogisticRegression(), **params).fit(X, y)


@pytest.mark.parametrize("params", [
    dict(source_step=1.0), dict(spherical_step=0), dict(n_candidates=0), dict(max_steps=1.5),
])
def test_bad_boundary_parameters(params, data):
    X, y = data
    with pytest.raises((ValueError, TypeError)):
        BoundaryAttack(LogisticRegression(), **params).fit(X, y)


@pytest.mark.parametrize("scale", [2.0 ** 520, 2.0 ** -600, 2.0 ** -1000])
@pytest.mark.parametrize("name", ["hsj-l2", "boundary"])
def test_l2_attacks_work_at_extreme_float64_scales(name, scale, data, linear):
    # the same problem with features (and weights inversely) rescaled by a power of
    # two: the L2 norms must neither overflow (squares beyond 1e308) nor underflow
    import copy
    X, y = data
    X, y = X[:8], y[:8]
    exact = certified_radius(linear, X, norm=2, clip=None).radius
    model = copy.deepcopy(linear)
    model.coef_ = linear.coef_ / scale
    attack = ATTACKS[name](FrozenEstimator(model), clip=None).fit(X * scale)
    result = attack.minimize(X * scale, y)
    assert result.success.all()
    assert np.all(np.isfinite(result.distortion))
    ratio = result.distortion / scale / exact
    assert np.all(ratio >= 1 - 1e-6) and np.all(ratio < 1.5)
    np.testing.assert_array_equal(model.predict(result.X_adv), 1 - y)
    measured = np.linalg.norm(result.X_adv / scale - X, axis=1) * scale
    np.testing.assert_allclose(measured, result.distortion, rtol=1e-9)
    # the bounded mode: adversaries found by the minimum run, moved within eps
    eps = 1.2 * float(exact.max())
    bounded = ATTACKS[name](FrozenEstimator(model), clip=None, eps=eps * scale).fit(X * scale)
    X_adv = bounded.generate(X * scale, y)
    assert np.all(np.isfinite(X_adv))
    moved = np.linalg.norm(X_adv / scale - X, axis=1)
    assert np.all(moved <= eps * (1 + 1e-9))
    assert np.mean(model.predict(X_adv) != y) >= 0.75
