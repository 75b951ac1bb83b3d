"""Sparse input: scipy.sparse matrices and arrays are fitted and predicted without
being made dense, and give the model and the predictions of the same dense data."""

import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.memory import peak_added
from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss._kernels import cpu_search

FORMATS = [sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.csc_array,
           sp.coo_array, sp.lil_matrix, sp.dok_matrix]
ESTIMATORS = [
    pytest.param(SCD01Classifier, dict(n_estimators=3, max_iter=25), id="SCD01"),
    pytest.param(MLP01Classifier, dict(n_hidden=4, n_estimators=2, max_iter=25), id="MLP01"),
]


def sparse_problem(rng, n, d, density, n_classes=2, dtype=np.float64):
    X = rng.random((n, d)) * (rng.random((n, d)) < density)
    if np.dtype(dtype).kind in "iu":
        X = np.round(X * 9)
    X = X.astype(dtype)
    score = X[:, : max(1, d // 4)].sum(axis=1) - X[:, d // 2:].sum(axis=1) * 0.5
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


def assert_same_model(a, b):
    for name in a._vote_attributes + ("train_objective_", "n_iter_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.__name__)
def test_every_sparse_format_fits_the_dense_model(Estimator, params, fmt):
    X, y = sparse_problem(np.random.default_rng(0), 120, 30, 0.15, n_classes=3)
    dense = Estimator(**params, random_state=0).fit(X, y)
    sparse = Estimator(**params, random_state=0).fit(fmt(X), y)
    assert_same_model(dense, sparse)
    for method in ("predict", "predict_proba", "decision_function"):
        np.testing.assert_array_equal(getattr(dense, method)(X),
                                      getattr(sparse, method)(fmt(X)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 60), d=st.integers(1, 12),
       density=st.sampled_from([0.0, 0.05, 0.3, 1.0]),
       dtype=st.sampled_from([np.float64, np.float32, np.uint8, np.int16]),
       exponent=st.integers(-30, 30), mlp=st.booleans(), n_classes=st.sampled_from([2, 3]))
def test_sparse_and_dense_give_the_same_model(seed, n, d, density, dtype, exponent, mlp,
                                              n_classes):
    rng = np.random.default_rng(seed)
    X, y = sparse_problem(rng, n, d, density, n_classes, dtype)
    if np.dtype(dtype).kind == "f":
        X = np.ldexp(X, exponent).astype(dtype)
    if np.unique(y).size < 2:
        y[0] = 1 - y[0] if y[0] <= 1 else 0
    params = dict(n_estimators=2, max_iter=8, random_state=seed % 1000)
    Estimator = MLP01Classifier if mlp else SCD01Classifier
    if mlp:
        params["n_hidden"] = 3
    dense = Estimator(**params).fit(X, y)
    sparse = Estimator(**params).fit(sp.csr_matrix(X), y)
    assert_same_model(dense, sparse)
    np.testing.assert_array_equal(dense.predict_proba(X), sparse.predict_proba(sp.csc_array(X)))


def test_explicit_zeros_duplicates_and_unsorted_indices_are_the_dense_values():
    rng = np.random.default_rng(1)
    X, y = sparse_problem(rng, 80, 10, 0.3)
    coo = sp.coo_matrix(X)
    # split every value in two duplicate entries and add explicit zeros, shuffled
    half = coo.data / 2
    rows = np.concatenate([coo.row, coo.row, [0, 5, 7]])
    cols = np.concatenate([coo.col, coo.col, [1, 2, 3]])
    data = np.concatenate([half, coo.data - half, [0.0, 0.0, 0.0]])
    perm = rng.permutation(rows.size)
    messy = sp.coo_matrix((data[perm], (rows[perm], cols[perm])), shape=X.shape)
    csr = sp.csr_matrix((messy.data.copy(), messy.col.copy(),
                         np.searchsorted(np.sort(messy.row), np.arange(81))), shape=X.shape)
    csr = sp.csr_matrix(messy)  # canonical conversion keeps explicit zeros
    csr.has_sorted_indices = False
    before = (messy.data.copy(), messy.row.copy(), messy.col.copy())
    dense = SCD01Classifier(n_estimators=2, max_iter=20, random_state=0).fit(X, y)
    for M in (messy, csr):
        model = SCD01Classifier(n_estimators=2, max_iter=20, random_state=0).fit(M, y)
        np.testing.assert_allclose(model.coef_, dense.coef_, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(model.predict(M), dense.predict(X))
    for got, want in zip((messy.data, messy.row, messy.col), before):
        np.testing.assert_array_equal(got, want)  # the input is not modified


def test_describe_columns_of_sparse_data_lists_every_column_with_its_values():
    X, _ = sparse_problem(np.random.default_rng(2), 50, 9, 0.4)
    X[:, 3] = 0.0  # an empty column
    X[:, 4] = 1.0 + np.arange(50)  # a column without a zero
    dense = cpu_search.describe_columns(np.ascontiguousarray(X.T), max_density=1.0)
    sparse = cpu_search.describe_columns(sp.csr_matrix(X.T))
    for field in ("min", "max", "nonzero_start", "nonzero_rows"):
        np.testing.assert_array_equal(getattr(sparse, field), getattr(dense, field))
    np.testing.assert_array_equal(sparse.nonzero_values, X.T[X.T != 0])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_wide_sparse_data_is_never_made_dense(Estimator, params):
    # 2**20 features: a dense copy of these 400 rows would take 3.4 GB in float64
    rng = np.random.default_rng(3)
    n, d = 400, 1 << 20
    nnz = 20 * n
    X = sp.csr_matrix((1.0 + rng.random(nnz), (rng.integers(0, n, nnz),
                                               rng.integers(0, d, nnz))), shape=(n, d))
    y = np.asarray(X[:, : d // 2].sum(axis=1)).ravel()
    y = y > np.median(y)
    Estimator(**params, random_state=0).fit(X[:50, :64], y[:50]).predict(X[:2, :64])  # compile

    def fit_and_predict():
        return Estimator(**params, random_state=0).fit(X, y).predict_proba(X)

    added, _, proba = peak_added(fit_and_predict)  # resident bytes added at the peak
    # what a fit may hold: the model's dense (features x units) weights and their
    # copies, a few (n_features,) arrays and the data; far from the dense n * d
    n_units = params["n_estimators"] * params.get("n_hidden", 1)
    assert added < 8 * d * (4 * n_units + 16) + 100 * X.nnz < 8 * n * d / 2, added
    assert proba.shape == (n, 2)


@pytest.mark.parametrize("device", ["numpy", "cuda"])
def test_sparse_data_needs_the_cpu(device):
    X, y = sparse_problem(np.random.default_rng(4), 40, 6, 0.3)
    with pytest.raises(ValueError, match="device='cpu'"):
        SCD01Classifier(n_estimators=1, max_iter=5, device=device).fit(sp.csr_matrix(X), y)
    model = SCD01Classifier(n_estimators=1, max_iter=5, device="auto", random_state=0)
    assert_same_model(model.fit(sp.csr_matrix(X), y),
                      SCD01Classifier(n_estimators=1, max_iter=5, device="cpu",
                                      random_state=0).fit(X, y))


def test_hidden_activations_of_sparse_rows_are_those_of_dense_rows():
    X, y = sparse_problem(np.random.default_rng(5), 90, 14, 0.2, n_classes=3)
    model = MLP01Classifier(n_hidden=5, n_estimators=2, max_iter=20, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.hidden_activations(sp.coo_array(X)),
                                  model.hidden_activations(X))


def test_informative_features_are_the_non_constant_columns_dense_or_sparse():
    from sk01loss._base import _feature_major, _informative_features

    rng = np.random.default_rng(6)
    X = rng.random((30, 12)) * (rng.random((30, 12)) < 0.4)
    X[:, 2] = 0.0  # empty
    X[:, 5] = 3.5  # constant, no zero
    X[:, 7] = 1.0 + np.arange(30)  # no zero, varies
    X[0, 9], X[1:, 9] = 2.0, 0.0  # one non-zero
    X[:, 11] = -1.0
    X[4, 11] = 0.0  # an implicit zero among constants
    want = np.flatnonzero(X.min(axis=0) != X.max(axis=0))
    assert 2 not in want and 5 not in want and {7, 9, 11} <= set(want)
    for data in (X, sp.csr_matrix(X), sp.coo_array(X)):
        np.testing.assert_array_equal(_informative_features(_feature_major(data)[0]), want)


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_votes_start_on_and_move_only_non_constant_features(Estimator, params):
    X, y = sparse_problem(np.random.default_rng(7), 150, 20, 0.3)
    X[:, [0, 4, 13]] = 0.0
    X[:, 6] = 0.25
    model = Estimator(**params, random_state=0).fit(sp.csr_matrix(X), y)
    weights = model.coef_ if Estimator is SCD01Classifier else model.hidden_coef_
    constant = [0, 4, 6, 13]
    assert np.all(weights[..., constant, :] == 0.0) if weights.ndim == 4 else np.all(
        weights[..., constant] == 0.0)
    assert np.any(weights != 0.0)


@pytest.mark.parametrize("Estimator, params", ESTIMATORS)
def test_data_with_every_feature_constant_still_fits(Estimator, params):
    X = np.ones((20, 3))
    y = np.r_[np.zeros(12), np.ones(8)].astype(int)
    model = Estimator(**params, random_state=0).fit(X, y)
    assert np.unique(model.predict(X)).size == 1  # nothing separates the rows


def test_the_attacks_refuse_sparse_input_with_a_type_error():
    from sklearn.linear_model import LogisticRegression

    from sk01loss import attacks, transfer_matrix

    X, y = sparse_problem(np.random.default_rng(8), 60, 8, 0.5)
    scd = SCD01Classifier(n_estimators=2, max_iter=10, random_state=0).fit(X, y)
    mlp = MLP01Classifier(n_hidden=3, n_estimators=2, max_iter=10, random_state=0).fit(X, y)
    logistic = LogisticRegression().fit(X, y)
    made = {
        "LinearSignAttack": attacks.LinearSignAttack(scd),
        "MLP01Attack": attacks.MLP01Attack(mlp),
        "FGSMAttack": attacks.FGSMAttack(logistic),
        "SmoothedPGDAttack": attacks.SmoothedPGDAttack(mlp),
        "HopSkipJumpAttack": attacks.HopSkipJumpAttack(scd),
        "BoundaryAttack": attacks.BoundaryAttack(scd),
    }
    for name, attack in made.items():
        with pytest.raises(TypeError, match="[Ss]parse data"):
            attack.fit(sp.csr_matrix(X), y)
        attack.fit(X, y)
        with pytest.raises(TypeError, match="[Ss]parse data"):
            attack.transform(sp.csr_matrix(X))
    with pytest.raises(TypeError, match="[Ss]parse data"):  # (its fit trains substitutes)
        attacks.SubstituteAttack(scd).fit(sp.csr_matrix(X), y)
    with pytest.raises(TypeError, match="[Ss]parse data"):
        transfer_matrix({"scd": scd, "lr": logistic}, {"scd": scd}, sp.csr_matrix(X), y,
                        eps=0.1)


def test_columns_the_scaling_takes_to_zero_vanish_in_sparse_data_as_in_dense():
    # one power of two scales all of X: 1e-300 next to 1e300 underflows to 0
    rng = np.random.default_rng(9)
    X = np.zeros((60, 3))
    X[:30, 0] = rng.normal(size=30) * 1e300
    X[30:, 1] = rng.normal(size=30) * 1e-300
    X[:, 2] = rng.random(60)
    y = np.r_[X[:30, 0] > 0, X[30:, 1] > 0].astype(int)
    for Estimator in (SCD01Classifier, MLP01Classifier):
        dense = Estimator(n_estimators=2, max_iter=15, random_state=0).fit(X, y)
        sparse = Estimator(n_estimators=2, max_iter=15, random_state=0).fit(sp.csr_matrix(X), y)
        assert_same_model(dense, sparse)
