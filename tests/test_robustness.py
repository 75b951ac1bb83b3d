"""Certificates (sk01loss.robustness): the closed forms and the MILPs against slow,
obvious references on tiny problems, and against attacks."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog, minimize
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.attacks import LinearSignAttack, MLP01Attack
from sk01loss.robustness import certified_accuracy, certified_radius


def tiny(n=60, seed=0, d=2):
    rng = np.random.RandomState(seed)
    X = rng.uniform(0.1, 0.9, (n, d))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * np.sin(6 * X[:, 1]) > 0.9).astype(int)
    return X, y


@pytest.fixture(scope="module")
def data():
    return tiny()


@pytest.fixture(scope="module")
def scd01(data):
    return SCD01Classifier(n_estimators=5, max_iter=40, random_state=0).fit(*data)


@pytest.fixture(scope="module")
def mlp01(data):
    return MLP01Classifier(n_hidden=2, n_estimators=3, max_iter=40, random_state=0).fit(*data)


# --- references ----------------------------------------------------------------------


def _lp_radius(x, A_le, b_le, clip=(0.0, 1.0)):
    """min ||x' - x||_inf s.t. A_le x' <= b_le, x' in clip (linprog); inf if infeasible."""
    d = x.size
    c = np.r_[np.zeros(d), 1.0]
    A = [np.r_[row, 0.0] for row in A_le]
    b = list(b_le)
    for i in range(d):
        e = np.zeros(d + 1)
        e[i], e[d] = 1.0, -1.0
        A.append(e.copy())
        b.append(x[i])
        e[i] = -1.0
        A.append(e)
        b.append(-x[i])
    res = linprog(c, A_ub=np.array(A), b_ub=np.array(b),
                  bounds=[clip] * d + [(0, None)], method="highs")
    return res.fun if res.status == 0 else np.inf


def scd01_reference(model, x):
    """Every subset of votes large enough to flip the majority, one LP each."""
    W, b = model.coef_[0], model.intercept_[0]
    n = len(b)
    positive = 2 * np.sum(x @ W.T + b > 0) > n
    need = n - n // 2 if positive else n // 2 + 1
    best = np.inf
    for subset in itertools.combinations(range(n), need):
        rows = np.array([W[v] if positive else -W[v] for v in subset])
        rhs = np.array([-b[v] if positive else b[v] for v in subset])
        best = min(best, _lp_radius(x, rows, rhs))
    return best


def mlp01_reference(model, x):
    """Every pattern of hidden bits: those whose majority differs, one LP each."""
    W1, b1 = model.hidden_coef_[0], model.hidden_intercept_[0]  # (V, d, H), (V, H)
    w2, b2 = model.coef_[0], model.intercept_[0]
    n_votes, _, n_hidden = W1.shape
    prediction = model.predict(x[None])[0]
    best = np.inf
    for bits in itertools.product([0, 1], repeat=n_votes * n_hidden):
        h = np.array(bits).reshape(n_votes, n_hidden)
        votes = (h * w2).sum(axis=1) + b2 > 0
        if int(2 * votes.sum() > n_votes) == prediction:
            continue
        rows, rhs = [], []
        for v in range(n_votes):
            for j in range(n_hidden):
                sign = -1.0 if h[v, j] else 1.0  # on: -z <= 0; off: z <= 0
                rows.append(sign * W1[v, :, j])
                rhs.append(-sign * b1[v, j])
        best = min(best, _lp_radius(x, np.array(rows), np.array(rhs)))
    return best


def grid_radius(model, x, step=1 / 400):
    """Smallest L-inf distance from x to a grid point of [0, 1]^2 the model labels
    otherwise."""
    axis = np.arange(0, 1 + step / 2, step)
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    other = model.predict(grid) != model.predict(x[None])[0]
    if not other.any():
        return np.inf
    return np.abs(grid[other] - x).max(axis=1).min()


# --- the MILPs against the references ----------------------------------------------


def test_scd01_milp_radius_equals_the_subset_enumeration(data, scd01):
    X, _ = data
    cert = certified_radius(scd01, X[:12])
    assert cert.method == "milp"
    assert set(cert.status) == {"exact"}
    expected = np.array([scd01_reference(scd01, x) for x in X[:12]])
    np.testing.assert_allclose(cert.radius, expected, atol=1e-6)
    np.testing.assert_allclose(cert.upper_bound, expected, atol=2e-5)


def test_mlp01_milp_radius_equals_the_pattern_enumeration(data, mlp01):
    X, _ = data
    cert = certified_radius(mlp01, X[:10])
    assert set(cert.status) == {"exact"}
    expected = np.array([mlp01_reference(mlp01, x) for x in X[:10]])
    np.testing.assert_allclose(cert.radius, expected, atol=1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("n_votes", [4, 5])  # even: ties go to classes_[0]
def test_milp_radius_equals_the_enumeration_on_more_models(seed, n_votes):
    from sk01loss.robustness._certify import _box, _vote_bound
    X, y = tiny(seed=seed)
    scd = SCD01Classifier(n_estimators=n_votes, max_iter=20, random_state=seed).fit(X, y)
    mlp = MLP01Classifier(n_hidden=2, n_estimators=n_votes - 2, max_iter=20,
                          random_state=seed).fit(X, y)
    for model, reference in ((scd, scd01_reference), (mlp, mlp01_reference)):
        cert = certified_radius(model, X[:8])
        expected = np.array([reference(model, x) for x in X[:8]])
        np.testing.assert_allclose(cert.radius, expected, atol=1e-6)
        for x, positive, radius in zip(X[:8], cert.prediction == 1, expected):
            low, high = _box(x, (0.0, 1.0), None)
            assert _vote_bound(model, x, positive, low, high) <= radius + 1e-12


def ovr_reference(model, x):
    """Every sign pattern of a one-vs-all SCD01 ensemble whose argmax (ties to the
    first class) is another class, one LP each."""
    W, b = model.coef_, model.intercept_  # (P, V, d), (P, V)
    n_problems, n_votes = b.shape
    predicted = np.flatnonzero(model.classes_ == model.predict(x[None])[0])[0]
    best = np.inf
    for bits in itertools.product([0, 1], repeat=n_problems * n_votes):
        s = np.array(bits).reshape(n_problems, n_votes)
        if np.argmax(s.sum(axis=1)) == predicted:
            continue
        sign = np.where(s == 1, -1.0, 1.0)  # on: -z <= 0; off: z <= 0
        rows = (sign[..., None] * W).reshape(-1, W.shape[2])
        best = min(best, _lp_radius(x, rows, (-sign * b).ravel()))
    return best


def test_one_vs_all_scd01_equals_the_pattern_enumeration():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    model = SCD01Classifier(n_estimators=2, max_iter=30, random_state=0).fit(X, y)
    rows = X[::25]
    cert = certified_radius(model, rows)
    expected = np.array([ovr_reference(model, x) for x in rows])
    np.testing.assert_allclose(cert.radius, expected, atol=1e-6)
    assert set(cert.status) <= {"exact", "robust"}
    finite = np.isfinite(expected)
    assert np.all(cert.upper_bound[finite] >= cert.radius[finite] - 1e-9)
    bounded = certified_radius(model, rows, eps=0.05)
    np.testing.assert_array_equal(bounded.certified(0.05), cert.certified(0.05))


@pytest.mark.parametrize("which", ["scd01", "mlp01"])
def test_no_grid_point_inside_the_certificate_changes_the_prediction(data, which, request):
    model = request.getfixturevalue(which)
    X, _ = data
    cert = certified_radius(model, X[:10])
    step = 1 / 400
    for x, radius in zip(X[:10], cert.radius):
        found = grid_radius(model, x, step)
        assert found >= radius - 1e-9  # no attack beats the certificate
        assert found <= radius + 3 * step  # and the grid finds the boundary near it


def test_three_features(data):
    X, y = tiny(d=3, seed=1)
    model = SCD01Classifier(n_estimators=4, max_iter=40, random_state=1).fit(X, y)
    cert = certified_radius(model, X[:8])
    expected = np.array([scd01_reference(model, x) for x in X[:8]])
    np.testing.assert_allclose(cert.radius, expected, atol=1e-6)
    assert set(cert.status) == {"exact"}


def test_points_at_the_upper_bound_change_the_prediction(data, scd01, mlp01):
    X, _ = data
    for model in (scd01, mlp01):
        cert = certified_radius(model, X[:10])
        assert np.all(np.isfinite(cert.upper_bound))
        assert np.all(cert.upper_bound >= cert.radius - 1e-9)


def test_eps_bounds_the_search(data, scd01):
    X, y = data
    full = certified_radius(scd01, X[:12])
    eps = float(np.median(full.radius))
    bounded = certified_radius(scd01, X[:12], eps=eps)
    beyond = full.radius > eps
    assert np.all(bounded.status[beyond] == "robust")
    np.testing.assert_array_equal(bounded.radius[beyond], eps)
    np.testing.assert_allclose(bounded.radius[~beyond], full.radius[~beyond], atol=1e-9)
    np.testing.assert_array_equal(bounded.certified(eps), full.certified(eps))
    np.testing.assert_array_equal(full.certified(eps), full.radius > eps)
    expected = np.mean((scd01.predict(X[:12]) == y[:12]) & (full.radius > eps))
    assert certified_accuracy(scd01, X[:12], y[:12], eps) == pytest.approx(expected)


def test_time_limit_gives_an_honest_unknown():
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, (300, 30))
    y = (X[:, :15].sum(1) > X[:, 15:].sum(1)).astype(int)
    model = MLP01Classifier(n_hidden=12, n_estimators=9, max_iter=30, random_state=0).fit(X, y)
    cert = certified_radius(model, X[:2], time_limit=0.05)
    assert set(cert.status) <= {"unknown", "exact"}
    assert "unknown" in set(cert.status)
    unknown = cert.status == "unknown"
    assert np.all(cert.radius[unknown] >= 0)
    assert np.all(cert.radius[unknown] <= cert.upper_bound[unknown])


def test_far_points_are_robust_in_the_whole_domain():
    X = np.array([[0.1, 0.1], [0.9, 0.9], [0.2, 0.8], [0.8, 0.2]])
    y = np.array([0, 1, 0, 1])
    model = SCD01Classifier(n_estimators=3, max_iter=20, random_state=0).fit(X, y)
    model.intercept_[:] = -10.0  # every vote negative everywhere in [0, 1]^2
    cert = certified_radius(model, X)
    assert np.all(cert.status == "robust") and np.all(np.isinf(cert.radius))
    assert np.all(cert.certified(1.0))


# --- closed forms --------------------------------------------------------------------


# moderate weights: the LP solver drops coefficients below about 1e-9
WEIGHT = st.one_of(st.just(0.0), st.floats(1e-3, 2), st.floats(-2, -1e-3))
BIAS = st.one_of(st.just(0.0), st.floats(1e-3, 1), st.floats(-1, -1e-3))


def _linear(w, b):
    model = LinearSVC()
    model.coef_ = np.asarray(w, dtype=float)[None]
    model.intercept_ = np.array([float(b)])
    model.classes_ = np.array([0, 1])
    model.n_features_in_ = len(w)
    return model


@given(w=st.lists(WEIGHT, min_size=1, max_size=4),
       b=BIAS, seed=st.integers(0, 2**31 - 1),
       clip=st.sampled_from([(0.0, 1.0), None]))
def test_linear_linf_closed_form_equals_an_lp(w, b, seed, clip):
    w = np.array(w)
    x = np.random.RandomState(seed).uniform(0, 1, w.size)
    model = _linear(w, b)
    radius = certified_radius(model, x[None], clip=clip).radius[0]
    z = x @ w + b
    if z > 0:  # reach z <= 0
        expected = _lp_radius(x, w[None], [-b], clip or (None, None))
    else:  # reach z >= 0 (the infimum of z > 0), which the far corner must pass
        expected = _lp_radius(x, -w[None], [b], clip or (None, None))
        corner = np.where(w > 0, 1.0, 0.0) if clip else None
        if clip and corner @ w + b <= 0:
            expected = np.inf
        if not clip and not np.any(w):
            expected = np.inf
    if np.isinf(expected):
        assert np.isinf(radius)
    else:
        assert radius == pytest.approx(expected, abs=1e-7)


@given(w=st.lists(WEIGHT, min_size=2, max_size=4), b=BIAS, seed=st.integers(0, 2**31 - 1))
def test_linear_l2_closed_form_equals_a_qp(w, b, seed):
    w = np.array(w)
    x = np.random.RandomState(seed).uniform(0, 1, w.size)
    radius = certified_radius(_linear(w, b), x[None], norm=2).radius[0]
    sign = 1.0 if x @ w + b > 0 else -1.0  # the side to leave
    corner = np.where(sign * w > 0, 0.0, 1.0)  # the point of [0, 1]^d furthest across
    corner[w == 0] = x[w == 0]
    if (corner @ w + b <= 0) if sign > 0 else (corner @ w + b > 0):
        res = minimize(lambda d: d @ d, corner - x, jac=lambda d: 2 * d, method="SLSQP",
                       bounds=list(zip(-x, 1 - x)),
                       constraints=[{"type": "ineq", "fun": lambda d: -sign * ((x + d) @ w + b),
                                     "jac": lambda d: -sign * w}],
                       options={"ftol": 1e-15, "maxiter": 500})
        assert radius == pytest.approx(np.sqrt(res.fun), abs=1e-5)
    else:
        assert np.isinf(radius)


def test_linear_without_clip_is_the_distance_to_the_hyperplane():
    X, y = tiny()
    model = LogisticRegression().fit(X, y)
    w, b = model.coef_[0], model.intercept_[0]
    z = np.abs(X @ w + b)
    np.testing.assert_allclose(certified_radius(model, X, clip=None).radius,
                               z / np.abs(w).sum())
    np.testing.assert_allclose(certified_radius(model, X, norm=2, clip=None).radius,
                               z / np.linalg.norm(w))


@pytest.mark.parametrize("clip", [(0.0, 1.0), None])
@pytest.mark.parametrize("norm", [np.inf, 2])
@pytest.mark.parametrize("weights", [2.0 ** 530, 2.0 ** -530])
def test_linear_closed_form_is_scale_safe(weights, norm, clip):
    # the same hyperplane with weights scaled by a power of two: the same radius
    # (no overflow or underflow of sum(w * w))
    import copy
    X, y = tiny()
    model = LinearSVC().fit(X, y)
    expected = certified_radius(model, X, norm=norm, clip=clip)
    scaled = copy.deepcopy(model)
    scaled.coef_ = model.coef_ * weights
    scaled.intercept_ = model.intercept_ * weights
    cert = certified_radius(scaled, X, norm=norm, clip=clip)
    np.testing.assert_allclose(cert.radius, expected.radius, rtol=1e-12)
    assert cert.status.tolist() == expected.status.tolist()


@pytest.mark.parametrize("norm", [np.inf, 2])
@pytest.mark.parametrize("features", [2.0 ** 530, 2.0 ** -560])
def test_linear_closed_form_with_rescaled_features(features, norm):
    # features scaled by s and weights by 1/s: radii scale by s
    import copy
    X, y = tiny()
    model = LinearSVC().fit(X, y)
    expected = certified_radius(model, X, norm=norm, clip=None).radius
    scaled = copy.deepcopy(model)
    scaled.coef_ = model.coef_ / features
    cert = certified_radius(scaled, X * features, norm=norm, clip=None)
    np.testing.assert_allclose(cert.radius / features, expected, rtol=1e-12)
    assert set(cert.status) == {"exact"}


def test_linear_radius_beyond_float64_raises():
    import copy
    X, y = tiny()
    model = copy.deepcopy(LinearSVC().fit(X, y))
    model.coef_ = model.coef_ * 2.0 ** -1060  # subnormal weights, intercept kept
    with pytest.raises(ValueError, match="cannot be represented"):
        certified_radius(model, X[:3], norm=2, clip=None)


def test_single_vote_scd01_closed_form_matches_its_milp(data):
    X, y = data
    model = SCD01Classifier(n_estimators=1, max_iter=40, random_state=0).fit(X, y)
    closed = certified_radius(model, X[:10])
    assert closed.method == "closed-form"
    three = SCD01Classifier(n_estimators=3, max_iter=40, random_state=0).fit(X, y)
    three.coef_ = np.repeat(model.coef_, 3, axis=1)  # three copies of the vote
    three.intercept_ = np.repeat(model.intercept_, 3, axis=1)
    three.train_objective_ = np.repeat(model.train_objective_, 3, axis=1)
    milp = certified_radius(three, X[:10])
    assert milp.method == "milp"
    np.testing.assert_allclose(milp.radius, closed.radius, atol=1e-7)


# --- attacks never beat a certificate ------------------------------------------------


def test_attacks_never_beat_the_certificate(data, scd01, mlp01):
    X, y = data
    X = X[:30]
    rng = np.random.RandomState(0)
    certs = {}
    for model in (scd01, mlp01):
        cert = certs[id(model)] = certified_radius(model, X)
        # random points strictly inside the certified ball
        for x, radius in zip(X, cert.radius):
            points = np.clip(x + 0.999 * radius * rng.uniform(-1, 1, (200, 2)), 0, 1)
            corners = np.clip(x + 0.999 * radius * np.array(
                list(itertools.product([-1, 1], repeat=2))), 0, 1)
            labels = model.predict(np.vstack([points, corners]))
            assert np.all(labels == model.predict(x[None])[0])
    # the white-box attacks at eps just below each row's radius
    cert = certs[id(scd01)]
    for row in np.flatnonzero(cert.radius > 0)[:15]:
        eps = 0.999 * cert.radius[row]
        attack = LinearSignAttack(FrozenEstimator(scd01), eps=eps).fit(X)
        assert scd01.predict(attack.transform(X[[row]]))[0] == cert.prediction[row]
    cert = certs[id(mlp01)]
    for row in np.flatnonzero(cert.radius > 0)[:15]:
        eps = 0.999 * cert.radius[row]
        attack = MLP01Attack(FrozenEstimator(mlp01), eps=eps, random_state=0).fit(X)
        assert mlp01.predict(attack.transform(X[[row]]))[0] == cert.prediction[row]


# --- input checks --------------------------------------------------------------------


def test_bad_input(data, scd01):
    X, y = data
    X_in = X.copy()
    with pytest.raises(TypeError, match="certified_radius needs"):
        certified_radius(DecisionTreeClassifier().fit(X, y), X)
    with pytest.raises(ValueError, match="norm"):
        certified_radius(scd01, X, norm=1)
    with pytest.raises(ValueError, match="norm=2 is exact only"):
        certified_radius(scd01, X, norm=2)
    with pytest.raises(ValueError, match="eps"):
        certified_radius(scd01, X, eps=-1.0)
    with pytest.raises(ValueError, match="eps"):
        certified_radius(scd01, X, eps=True)
    with pytest.raises(ValueError, match="time_limit"):
        certified_radius(scd01, X, time_limit=0)
    with pytest.raises(ValueError, match="outside clip"):
        certified_radius(scd01, X + 1.0)
    with pytest.raises(ValueError, match="features"):
        certified_radius(scd01, X[:, :1])
    with pytest.raises(ValueError, match="bounded search"):
        certified_radius(scd01, X, clip=None)
    with pytest.raises(ValueError, match="binary MLP01"):
        Xm = np.vstack([X, X + 0.0])
        ym = np.r_[y, np.full(len(y), 2)]
        certified_radius(MLP01Classifier(n_hidden=2, n_estimators=2, max_iter=5).fit(Xm, ym),
                         X)
    with pytest.raises(NotFittedError):
        certified_radius(SCD01Classifier(), X)
    with pytest.raises(ValueError, match="rows"):
        certified_accuracy(scd01, X, y[:-1], 0.1)
    np.testing.assert_array_equal(X, X_in)


def test_messages_are_consistent_and_early(data, scd01, monkeypatch):
    X, y = data
    # one rule for time_limit, whatever the bad value
    for bad in (0, -1, 0.0, float("inf"), float("nan"), True):
        with pytest.raises(ValueError, match=r"time_limit must be a finite number > 0 "
                                             r"or None"):
            certified_radius(scd01, X[:2], time_limit=bad)
    # outside clip: the message speaks of the certificate, not of an attack
    with pytest.raises(ValueError, match="outside clip") as info:
        certified_radius(scd01, X + 1.0)
    assert "attack" not in str(info.value) and "certificate" in str(info.value)
    # the length of y is checked before any certificate is computed
    import sk01loss.robustness._certify as certify

    def never(*args, **kwargs):
        raise AssertionError("certificates computed before checking y")
    monkeypatch.setattr(certify, "certified_radius", never)
    with pytest.raises(ValueError, match="rows"):
        certify.certified_accuracy(scd01, X, y[:-1], 0.1)


def test_frozen_and_dataframe_models(data, scd01):
    import pandas as pd
    X, y = data
    frame = pd.DataFrame(X, columns=["a", "b"])
    model = SCD01Classifier(n_estimators=3, max_iter=20, random_state=0).fit(frame, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*feature names")
        cert = certified_radius(FrozenEstimator(model), X[:4])
    assert cert.radius.shape == (4,)
