"""The estimators under hostile input: huge and tiny magnitudes, odd dtypes and
parameter types, parameters changed after fit, rows on vote boundaries.

Each numbered instance of the hardening report is a regression test with its right
value; property-based tests (hypothesis) cover each kind. Cases that could crash
the interpreter run in a worker process (``tests.isolation``).
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss._kernels.scores import positive

from .isolation import run_isolated

TINY = {SCD01Classifier: dict(n_estimators=2, max_iter=3),
        MLP01Classifier: dict(n_hidden=3, n_estimators=2, max_iter=3)}
ESTIMATORS = [SCD01Classifier, MLP01Classifier]


def fit_and_predict(Estimator, params, X, y, X_test):
    """The worker's job: fit, then every prediction method on ``X_test``, and the
    inputs afterwards (to check that nothing was mutated)."""
    X_before, y_before, test_before = np.copy(X), np.copy(y), np.copy(X_test)
    model = Estimator(**params).fit(X, y)
    single = [model.predict(X_test[i:i + 1])[0] for i in range(len(X_test))]
    return dict(
        classes=model.classes_, predict=model.predict(X_test), single=np.array(single),
        proba=model.predict_proba(X_test), decision=model.decision_function(X_test),
        attributes={name: getattr(model, name) for name in model._vote_attributes},
        unchanged=(np.array_equal(X, X_before) and np.array_equal(y, y_before)
                   and np.array_equal(X_test, test_before)))


def check_valid(outcome, Estimator, n_test):
    status, result = outcome
    if status == "raised":
        kind, message, trace = result
        assert issubclass(kind, (ValueError, TypeError)), trace
        return None
    classes = result["classes"]
    assert result["unchanged"], "an input was mutated"
    assert result["predict"].shape == (n_test,)
    assert np.isin(result["predict"], classes).all()
    np.testing.assert_array_equal(result["predict"], result["single"])
    proba = result["proba"]
    assert proba.shape == (n_test, classes.size)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    for name, value in result["attributes"].items():
        assert np.all(np.isfinite(value)), name
    return result


# --- 1. magnitudes: no crash, no overflow, no flip with scale -------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_huge_finite_data_fits_and_predicts_like_unit_data(Estimator):
    # the report's instance: a segfault from about |x| = 8e307
    X = np.array([[-1e308], [1e308]])
    params = dict(n_estimators=1, max_iter=1, random_state=0)
    status, huge = run_isolated(fit_and_predict, Estimator, params, X, [0, 1], X)
    assert status == "ok", huge
    exponent = 1023  # 1e308 = 1.11 * 2**1023: the same fit on data scaled into [1, 2)
    small = fit_and_predict(Estimator, params, np.ldexp(X, -exponent), [0, 1],
                            np.ldexp(X, -exponent))
    np.testing.assert_array_equal(huge["predict"], small["predict"])
    for name, value in small["attributes"].items():
        expected = np.ldexp(value, exponent) if "intercept" in name and (
            Estimator is SCD01Classifier or name == "hidden_intercept_") else value
        np.testing.assert_array_equal(huge["attributes"][name], expected)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_biases_that_overflow_float64_are_a_clear_error(Estimator):
    # every row far from the boundary at the top of float64's range: |bias| ~ 2**1024
    X = np.array([[1.7e308, 1.7e308], [1.6e308, 1.7e308], [1.7e308, 1.6e308],
                  [1.65e308, 1.65e308]])
    status, result = run_isolated(fit_and_predict, Estimator,
                                  dict(n_estimators=2, max_iter=5, random_state=0),
                                  X, [0, 1, 0, 1], X)
    if status == "raised":
        assert result[0] is ValueError and "MaxAbsScaler" in result[1]
    else:  # the biases happened to stay representable: then they are right
        check_valid((status, result), Estimator, 4)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_biases_that_would_lose_bits_as_subnormals_are_a_clear_error(Estimator):
    # found by fuzzing: data times 2**-1070 gave the same coef_ but intercepts rounded
    # in the subnormal range, which flipped a row's prediction
    rng = np.random.RandomState(9)
    X = rng.randint(0, 16, size=(40, 4)).astype(float)
    y = (X @ rng.randn(4) > 0).astype(int)
    tiny = np.ldexp(X, -1070)
    assert np.array_equal(np.ldexp(tiny, 1070), X)
    with pytest.raises(ValueError, match="too small in magnitude"):
        Estimator(**TINY[Estimator], random_state=0).fit(tiny, y)


def separated(seed, n=40, d=3):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d))
    y = (X @ rng.normal(size=d) > 0).astype(int)
    y[:2] = [0, 1]
    return X, y


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_scaling_by_a_power_of_two_gives_the_same_model(Estimator):
    X, y = separated(0)
    params = dict(TINY[Estimator], max_iter=20, random_state=0)
    base = Estimator(**params).fit(X, y)
    for k in (-1000, -60, -1, 1, 50, 1000, 1020):  # no value becomes subnormal
        scaled = Estimator(**params).fit(np.ldexp(X, k), y)
        np.testing.assert_array_equal(scaled.coef_, base.coef_)
        np.testing.assert_array_equal(scaled.predict(np.ldexp(X, k)), base.predict(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_predictions_do_not_flip_with_the_scale_of_the_data(Estimator):
    # the report: X * c for c from 1e-300 to 1e300 gives the same predictions (a fixed
    # 0.01 edge offset inverted a degenerate one-feature vote at about |x| = 2**50)
    X, y = separated(1, n=30, d=1)
    params = dict(TINY[Estimator], max_iter=10, random_state=3)
    expected = Estimator(**params).fit(X, y).predict(X)
    for c in (1e-300, 1e-100, 1e-10, 7.0, 2.0**50 + 1, 1e10, 1e100, 1e300):
        model = Estimator(**params).fit(X * c, y)
        np.testing.assert_array_equal(model.predict(X * c), expected, err_msg=f"c={c}")


finite_values = st.one_of(
    st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 5e-324, -5e-324, 1e-310, 1.7e308, -1.7e308, 1.0, 0.5]))
dtypes = st.sampled_from(["float64", "float32", "uint8", "int16", "int64", "bool"])


@st.composite
def training_sets(draw):
    n = draw(st.integers(2, 12))
    d = draw(st.integers(1, 4))
    dtype = np.dtype(draw(dtypes))
    if dtype.kind == "f":
        info = np.finfo(dtype)
        elements = st.floats(float(-info.max), float(info.max), allow_nan=False,
                             allow_infinity=False, width=dtype.itemsize * 8)
        elements = st.one_of(elements, st.sampled_from([0.0, float(info.smallest_subnormal),
                                                        float(info.max), 1.0]))
    else:
        elements = hnp.from_dtype(dtype)
    X = draw(hnp.arrays(dtype, (n, d), elements=elements))
    y = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    return X, np.array(y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@given(data=training_sets(), seed=st.integers(0, 2**32 - 1))
def test_any_finite_data_of_any_dtype_gives_an_error_or_a_valid_model(Estimator, data, seed):
    X, y = data
    outcome = run_isolated(fit_and_predict, Estimator, dict(TINY[Estimator], random_state=seed),
                           X, y, X)
    result = check_valid(outcome, Estimator, len(X))
    if result is None:  # only one class drawn, or biases beyond float64's exact range
        assert len(set(y)) < 2 or "magnitude" in outcome[1][1], outcome[1][1]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@settings(max_examples=5)
@given(data=training_sets(), seed=st.integers(0, 2**32 - 1))
def test_the_same_model_for_any_n_jobs(Estimator, data, seed):
    X, y = data
    if len(set(y)) < 2:
        return
    params = dict(TINY[Estimator], random_state=seed)
    outcomes = [run_isolated(fit_and_predict, Estimator, {**params, "n_jobs": n_jobs}, X, y, X)
                for n_jobs in (1, 2)]
    assert outcomes[0][0] == outcomes[1][0]
    if outcomes[0][0] == "ok":
        for name, value in outcomes[0][1]["attributes"].items():
            np.testing.assert_array_equal(outcomes[1][1]["attributes"][name], value)


count_values = st.one_of(st.integers(1, 5), st.sampled_from([2**31, 2**62, 2**63 - 1]))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@given(window=count_values, coordinates=count_values, features=count_values,
       step=st.one_of(st.floats(5e-324, 1e6), st.sampled_from([1e6, 1e-300])),
       output_step=st.floats(5e-324, 1e6), seed=st.integers(0, 10))
def test_parameters_at_their_bounds_never_crash(Estimator, window, coordinates, features,
                                                step, output_step, seed):
    X, y = separated(seed, n=12)
    params = dict(TINY[Estimator], bias_window=window, n_coordinates=coordinates,
                  max_features=features, step_size=step, random_state=seed)
    if Estimator is MLP01Classifier:
        params["output_step_size"] = output_step
    check_valid(run_isolated(fit_and_predict, Estimator, params, X, y, X), Estimator, len(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("name, value", [
    ("step_size", 1e7), ("step_size", 1e300), ("step_size", 0.0), ("bias_window", 0),
    ("n_estimators", 0), ("n_estimators", 2**63 - 1), ("max_iter", -1), ("max_features", 1.5),
    ("n_jobs", 0)])
def test_parameters_beyond_their_bounds_are_rejected(Estimator, name, value):
    X, y = separated(0, n=10)
    with pytest.raises(ValueError, match=name):
        Estimator(**{**TINY[Estimator], name: value}).fit(X, y)


# --- 2. predictions depend on fitted attributes only ----------------------------------


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, test_size=0.3,
                                                        random_state=0)
    scaler = MinMaxScaler().fit(X_train)
    return scaler.transform(X_train), y_train


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_changing_n_estimators_after_fit_changes_no_prediction(cancer, Estimator):
    X, y = cancer
    model = Estimator(**{**TINY[Estimator], "n_estimators": 4, "max_iter": 60},
                      random_state=0).fit(X, y)
    before = (model.predict(X), model.predict_proba(X), model.decision_function(X))
    assert model.score(X, y) > 0.9
    for n in (8, 1):
        model.set_params(n_estimators=n)
        np.testing.assert_array_equal(model.predict(X), before[0])
        np.testing.assert_array_equal(model.predict_proba(X), before[1])
        np.testing.assert_array_equal(model.decision_function(X), before[2])
        assert np.all((model.predict_proba(X) >= 0) & (model.predict_proba(X) <= 1))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_select_votes_is_the_model_of_those_votes(cancer, Estimator):
    X, y = cancer
    params = {**TINY[Estimator], "max_iter": 30}
    model = Estimator(**{**params, "n_estimators": 3}, random_state=0).fit(X, y)
    first = Estimator(**{**params, "n_estimators": 1}, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.select_votes(1).predict(X), first.predict(X))
    np.testing.assert_array_equal(model.select_votes([0]).predict_proba(X),
                                  first.predict_proba(X))
    pair = model.select_votes([2, 0])
    assert pair.n_estimators == 2 and model.n_estimators == 3
    np.testing.assert_array_equal(pair.coef_, model.coef_[:, [2, 0]])
    for votes in (0, 4, [], [3], [-4], [-1], [0, 0], [1, 2, 1]):
        with pytest.raises(ValueError, match="votes"):
            model.select_votes(votes)
    for votes in ([0.5], True, [True], "0", [[0]]):
        with pytest.raises(TypeError, match="votes"):
            model.select_votes(votes)


# --- 3. parameter types ---------------------------------------------------------------

COUNTS = ["n_estimators", "max_iter", "n_coordinates", "bias_window", "max_features"]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("name", COUNTS + ["n_jobs"])
def test_booleans_are_not_counts(Estimator, name):
    X, y = separated(0, n=10)
    for value in (True, np.bool_(True)):
        with pytest.raises(TypeError, match=f"'{name}'.*not a bool"):
            Estimator(**{**TINY[Estimator], name: value}).fit(X, y)


def test_mlp01_rejects_a_boolean_hidden_layer():
    X, y = separated(0, n=10)
    with pytest.raises(TypeError, match="n_hidden"):
        MLP01Classifier(n_hidden=True, n_estimators=1, max_iter=2).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@given(integer=st.sampled_from([np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
                                np.int64, np.uint64, np.intp]),
       name=st.sampled_from(COUNTS + ["n_hidden"]))
def test_every_numpy_integer_type_is_a_count(Estimator, integer, name):
    if name == "n_hidden" and Estimator is SCD01Classifier:
        name = "n_estimators"
    X, y = separated(0, n=10)
    value = 3
    plain = Estimator(**{**TINY[Estimator], name: value}, random_state=0).fit(X, y)
    typed = Estimator(**{**TINY[Estimator], name: integer(value)}, random_state=0).fit(X, y)
    for attribute in plain._vote_attributes:
        np.testing.assert_array_equal(getattr(typed, attribute), getattr(plain, attribute))
    np.testing.assert_array_equal(typed.predict(X), plain.predict(X))


# --- 4. a row's prediction depends on that row alone ----------------------------------


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_identical_rows_on_vote_boundaries_get_one_label(Estimator):
    # the report: nine identical rows predicted [0 0 0 0 0 0 0 0 1], each alone 1
    X = np.full((9, 50), 0.37)
    model = Estimator(random_state=2, max_iter=100).fit(X, [0, 1, 2] * 3)
    together = model.predict(X)
    alone = np.array([model.predict(X[i:i + 1])[0] for i in range(9)])
    np.testing.assert_array_equal(together, alone)
    assert len(set(together)) == 1


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@given(seed=st.integers(0, 1000), n_rows=st.integers(1, 40), duplicate=st.booleans())
def test_predictions_do_not_depend_on_the_other_rows(Estimator, seed, n_rows, duplicate):
    X, y = separated(seed % 5, n=20, d=6)
    model = Estimator(**TINY[Estimator], random_state=seed % 5).fit(X, y)
    rng = np.random.default_rng(seed)
    rows = X[rng.integers(0, len(X), n_rows)] if duplicate else rng.uniform(-1, 1, (n_rows, 6))
    order = rng.permutation(n_rows)
    together = model.predict_proba(rows)
    np.testing.assert_array_equal(model.predict_proba(rows[order]), together[order])
    np.testing.assert_array_equal(model.predict_proba(np.asfortranarray(rows)), together)
    np.testing.assert_array_equal(model.predict_proba(rows.astype(np.float32)),
                                  model.predict_proba(rows.astype(np.float32).astype(float)))


@given(X=hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)),
                    elements=finite_values),
       W=hnp.arrays(np.float64, st.tuples(st.just(6), st.integers(1, 4)),
                    elements=st.floats(-1, 1)),
       b=hnp.arrays(np.float64, 4, elements=finite_values))
def test_positive_agrees_with_exact_arithmetic_away_from_rounding(X, W, b):
    W = W[:X.shape[1]]
    b = b[:W.shape[1]]
    out = positive(X, W, b, np.empty((X.shape[0], W.shape[1]), dtype=bool))
    used = np.any(W != 0, axis=1)
    for i, x in enumerate(X):
        largest = np.max(np.abs(x[used]), initial=0.0)
        exponent = np.frexp(largest)[1] - 1 if largest > 0 else 0
        for c in range(W.shape[1]):
            exact = sum(Fraction(float(a)) * Fraction(float(w)) for a, w in zip(x, W[:, c]))
            score = exact + Fraction(float(b[c]))
            # what summing in float64 may get wrong: a few ulps of the largest terms
            size = sum(abs(Fraction(float(a)) * Fraction(float(w))) for a, w in zip(x, W[:, c]))
            error = (size + abs(Fraction(float(b[c])))) * Fraction(2) ** -50 * (len(x) + 2)
            # terms more than 2**1074 times smaller than the row's largest underflow
            error += (len(x) + 1) * Fraction(2) ** int(exponent - 1073)
            if abs(score) > error:
                assert out[i, c] == (score > 0), (x, W[:, c], b[c])


def test_positive_on_rows_spanning_float64s_range():
    # found by the exact-arithmetic property: a huge value the unit does not weigh must
    # neither set the row's scale (losing the small term that decides) nor overflow
    W = np.array([[-1.0], [0.0]])
    for x in ([-8.03706613e-69, 1.7e308], [-5e-324, 1.0]):
        out = positive(np.array([x]), W, np.zeros(1), np.empty((1, 1), dtype=bool))
        assert out[0, 0]
    # the bias decides when the weighed values sum to 0
    out = positive(np.array([[1e308, -1e308]]), np.array([[1.0], [1.0]]), np.array([5e-324]),
                   np.empty((1, 1), dtype=bool))
    assert out[0, 0]


# --- 5. memory ------------------------------------------------------------------------


def traced_peak(func, *args):
    """Peak bytes NumPy allocated during ``func(*args)`` (tracemalloc sees NumPy's
    arrays, not Numba's scratch memory, which is O(n_samples) per vote)."""
    import tracemalloc

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        func(*args)
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_fit_holds_uint8_data_once_in_float32(Estimator):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (3000, 300), dtype=np.uint8)
    y = (X[:, 0] > 127).astype(int)
    model = Estimator(**{**TINY[Estimator], "n_estimators": 1, "max_iter": 1})
    model.fit(X[:50], y[:50])  # compile first
    peak = traced_peak(model.fit, X, y)
    # the float32 copy (4 bytes per value), plus O(n) per vote and the fitted model
    assert peak < 4 * X.size + 2_000_000, peak / X.nbytes


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_predict_reads_rows_in_chunks_without_copying_x(Estimator, dtype):
    from sk01loss._kernels.scores import CHUNK_BYTES

    rng = np.random.default_rng(0)
    X = (rng.random((20000, 200)) * 255).astype(dtype)
    model = Estimator(**TINY[Estimator], random_state=0).fit(X[:100], np.arange(100) % 2)
    model.predict(X[:10])
    peak = traced_peak(model.predict, X)
    assert peak < CHUNK_BYTES + 40 * X.shape[0] + 1_000_000, peak / X.nbytes


# --- parameters and indices checked wherever they are used -------------------------


@pytest.fixture(scope="module")
def small_model():
    X = np.random.default_rng(0).random((40, 3))
    y = (X[:, 0] > 0.5).astype(int)
    return X, y, SCD01Classifier(n_estimators=3, max_iter=5, random_state=0).fit(X, y)


@pytest.mark.parametrize("params,match", [
    (dict(eps=-0.5), "eps"), (dict(eps="x"), "eps"), (dict(clip=(1.0, 0.0)), "clip")])
def test_attack_parameters_set_after_fit_are_checked(small_model, params, match):
    """A negative eps set after fit would move rows away from the attack's direction
    and report it as an attack: it is refused as fit refuses it."""
    from sklearn.frozen import FrozenEstimator

    from sk01loss.attacks import LinearSignAttack

    X, _, model = small_model
    attack = LinearSignAttack(FrozenEstimator(model), eps=0.1).fit(X).set_params(**params)
    with pytest.raises(ValueError, match=match):
        attack.transform(X)


@given(votes=st.lists(st.integers(-2**80, 2**80) | st.integers(0, 4), max_size=4))
def test_any_list_of_ints_selects_votes_or_is_a_value_error(small_model, votes):
    """Integers of any size are indices: in range, a model of those votes; else a
    ValueError naming the range (an index too large for int64 once gave a TypeError
    saying it was not an int)."""
    X, _, model = small_model
    try:
        part = model.select_votes(votes)
    except ValueError as error:
        assert "range(3)" in str(error) or "repeats" in str(error)
        assert not (votes and len(set(votes)) == len(votes) and 0 <= min(votes)
                    and max(votes) < 3)
    else:
        assert part.n_estimators == len(votes)
        np.testing.assert_array_equal(part.coef_, model.coef_[:, votes])


def test_overflowing_weights_name_sample_weight(small_model):
    X, y, _ = small_model
    with pytest.raises(ValueError, match="sample_weight times class_weight.*overflows"):
        SCD01Classifier(n_estimators=1, max_iter=2, class_weight={0: 10, 1: 1}).fit(
            X, y, sample_weight=np.full(y.size, 1e308))
