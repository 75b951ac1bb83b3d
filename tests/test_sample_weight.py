"""sample_weight and class_weight: the weighted objective in every kernel against the
slow reference, its exact invariants (equal weights = no weights, weight 0 = row
removed, integer weights = repeated rows in the objective), the Numba and batched
back-ends alike, class_weight composed with sample_weight, bad weights, and the
scikit-learn meta-estimators that pass weights (AdaBoost, metadata routing)."""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from sklearn import config_context
from sklearn.datasets import make_classification
from sklearn.ensemble import AdaBoostClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler
from sklearn.utils.class_weight import compute_sample_weight

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss._kernels import _threshold as th
from sk01loss._kernels import batched_mlp01, batched_scd01, cpu_mlp01, cpu_scd01, cpu_search
from sk01loss._kernels.core import class_totals
from sk01loss._plans import SearchParams, VotePlan

from .reference import mlp01 as ref_mlp01
from .reference import scd01 as ref
from .test_kernel_scd01 import draw_step, make_problem

ESTIMATORS = [
    (SCD01Classifier, dict(n_estimators=3, max_iter=30)),
    (SCD01Classifier, dict(n_estimators=3, max_iter=30, flip_orientation=True)),
    (MLP01Classifier, dict(n_hidden=4, n_estimators=2, max_iter=30)),
]
IDS = ["scd01", "scd01-flip", "mlp01"]


def integer_problem(seed, n=160, d=6, n_classes=2):
    """Integer-valued features (no rounding differences between back-ends) with the
    largest |value| on row 0 (so that leaving rows out does not rescale the data)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, (n, d)).astype(np.float64) * (rng.random((n, d)) < 0.7)
    X[0, 0] = 4.0
    score = (X[:, 0] - 1.5) * (X[:, 1] - 1.5) + rng.integers(-1, 2, n)
    if n_classes == 2:
        y = (score > 0).astype(np.int64)
    else:
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    y[:n_classes] = np.arange(n_classes)
    return X, y


def dyadic_weights(rng, n, zeros=True):
    """Weights that are multiples of 1/4 (sums exact in float64), some 0."""
    w = rng.integers(1, 13, n) / 4
    if zeros:
        w[rng.random(n) < 0.2] = 0.0
    return w


def fitted(model):
    return {name: getattr(model, name) for name in model._per_vote_attributes()}


def assert_same_model(a, b):
    for name, value in fitted(a).items():
        np.testing.assert_array_equal(value, getattr(b, name), err_msg=name)


# --- the kernels against the slow reference ------------------------------------------


@given(seed=st.integers(0, 2**32 - 1),
       data=st.sampled_from(["gaussian", "sparse", "ties", "shifted"]),
       kind=st.sampled_from([ref.BALANCED, ref.PLUS]),
       window=st.sampled_from([1, 3, 20, 1000]),
       max_density=st.sampled_from([0.0, 1.0]),
       ranked=st.booleans())
def test_weighted_search_step_matches_reference(seed, data, kind, window, max_density, ranked):
    rng = np.random.default_rng(seed)
    X, y = make_problem(rng, data)
    batch, coords, w = draw_step(rng, X, y)
    weight = dyadic_weights(rng, len(y))
    weight[batch[y[batch] == 1][0]] = 1.5  # each class keeps weight in the batch
    weight[batch[y[batch] == 0][0]] = 0.75
    step = float(rng.choice([0.17, 0.5, 2.0]))
    XT = np.ascontiguousarray(X.T)
    P = cpu_search.project(XT, w)
    columns = cpu_search.describe_columns(XT, max_density)
    ranking = cpu_search.rank_rows(P) if ranked else cpu_search.NOT_RANKED
    got = cpu_search.search_step(XT, P, w, y, 0 * y, 1 + 0 * y, batch, coords, step, window,
                                 kind, columns, ranking, True, weight)
    want = ref.search_step(X, w, y, batch, coords, step, window, kind, weight)
    t0, obj0, bias0, c, t, obj, bias = got[:7]
    assert (t0, obj0) == want[:2]
    assert bias0 == pytest.approx(want[2], rel=1e-9, abs=1e-12)
    constant = X.min(0)[coords] == X.max(0)[coords]
    if not constant.any() or want[5] > want[1]:
        assert (c, t, obj) == want[3:6]
        assert bias == pytest.approx(want[6], rel=1e-9, abs=1e-12)
    else:  # constant columns are skipped: only a non-improving "best" can differ
        assert obj <= obj0
    flip_t, flip_obj, flip_bias = ref.flipped_search(X, w, y, batch, kind, weight)
    assert (got.flip_t, got.flip_obj) == (flip_t, flip_obj)
    assert got.flip_bias == pytest.approx(flip_bias, rel=1e-9, abs=1e-12)


@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from([ref.BALANCED, ref.PLUS]))
def test_weighted_score_rows_matches_reference(seed, kind):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    y = (rng.random(n) < 0.5).astype(np.int8)
    y[:2] = [0, 1]
    scores = rng.integers(-3, 4, n).astype(np.float64)
    weight = dyadic_weights(rng, n)
    weight[:2] = [0.5, 2.0]
    n_pos, n_neg = class_totals(y, weight)
    got = th.score_rows(scores, y, weight, n_pos, n_neg, kind)
    assert got == ref.objective(*ref.counts(scores > 0, y, weight), kind)


@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from([ref.BALANCED, ref.PLUS]))
def test_integer_weights_count_like_repeated_rows(seed, kind):
    """The weighted threshold scan and full-data score equal those of the data with
    each row repeated ``weight`` times (rows of weight 0 left out)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    values = rng.permutation(n).astype(np.float64)  # distinct, so copies stay together
    y = (rng.random(n) < 0.5).astype(np.int8)
    y[:2] = [0, 1]
    weight = rng.integers(0, 4, n).astype(np.float64)
    weight[:2] = [1.0, 2.0]
    # a last row of weight 1 above all: a scan never puts every row below, so without
    # it the copies of the last row could be split where its weighted row cannot
    values, y, weight = np.r_[values, n], np.r_[y, np.int8(0)], np.r_[weight, 1.0]
    repeat = weight.astype(int)
    v_rep, y_rep = np.repeat(values, repeat), np.repeat(y, repeat)
    n_pos, n_neg = class_totals(y, weight)
    assert (n_pos, n_neg) == (y_rep.sum(), (1 - y_rep).sum())
    assert th.score_rows(values - 0.5 * n, y, weight, n_pos, n_neg, kind) == th.score_rows(
        v_rep - 0.5 * n, y_rep, cpu_search.UNWEIGHTED, int(n_pos), int(n_neg), kind)
    # full scans: the weighted rows, and the copies (in ascending order of value)
    order = np.argsort(values, kind="stable")
    yo, wo = y[order].astype(np.float64), weight[order]
    _, best = th.full_scan(yo * wo, (1 - yo) * wo, n_pos, 0.0, n_pos, n_neg, kind)
    order_rep = np.argsort(v_rep, kind="stable")
    yr = y_rep[order_rep].astype(np.float64)
    _, best_rep = th.full_scan(yr, 1 - yr, n_pos, 0.0, n_pos, n_neg, kind)
    # thresholds between copies of one row are the only extra ones, and the objective
    # is linear along a run of copies (one label): the best is the same
    assert best == best_rep


PARAMS = dict(step_size=0.17, n_coordinates=3, batch_fraction=0.75, max_features=1.0,
              bias_window=6, balanced_fraction=0.2)


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_weighted_scd01_vote_matches_reference(seed, flip):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] + 0.5 * rng.standard_normal(60) > 0).astype(np.int8)
    weight = dyadic_weights(rng, 60)
    params = SearchParams(max_iter=15, flip_orientation=flip, **PARAMS)
    XT = np.ascontiguousarray(X.T)

    def plan():
        return VotePlan(np.random.SeedSequence(seed), y, 4, params, weight)

    (w, b), obj, _ = cpu_scd01.fit_vote(XT, y, plan(), params, cpu_search.describe_columns(XT))
    w_ref, b_ref, obj_ref = ref.fit_vote(X, y, plan(), 15, 0.17, 6, 0.2, flip)
    assert obj == obj_ref
    np.testing.assert_allclose(w, w_ref, rtol=1e-9, atol=1e-12)
    assert b == pytest.approx(b_ref, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("bias_init", ["median", "authors"])
@pytest.mark.parametrize("seed", range(3))
def test_weighted_mlp01_vote_matches_reference(seed, bias_init):
    rng = np.random.default_rng(seed)
    X = rng.random((60, 4))
    y = ((X[:, 0] - 0.5) * (X[:, 1] - 0.5) > 0).astype(np.int8)  # XOR
    weight = dyadic_weights(rng, 60)
    params = SearchParams(max_iter=12, n_hidden=3, output_step_size=0.2, bias_init=bias_init,
                          **PARAMS)
    XT = np.ascontiguousarray(X.T)

    def plan():
        return VotePlan(np.random.SeedSequence(seed), y, 4, params, weight)

    got, obj, _ = cpu_mlp01.fit_vote(XT, y, plan(), params, cpu_search.describe_columns(XT))
    want, obj_ref = ref_mlp01.fit_vote(X, y, plan(), params)
    assert obj == obj_ref
    for got_part, want_part in zip(got, want):
        np.testing.assert_allclose(got_part, want_part, rtol=1e-9, atol=1e-12)


def test_rows_of_weight_zero_are_never_drawn():
    y = np.array([0, 1] * 50, dtype=np.int8)
    weight = np.ones(100)
    weight[:40] = 0.0
    params = SearchParams(max_iter=1, **PARAMS)
    plan = VotePlan(np.random.SeedSequence(0), y, 3, params, weight)
    assert (plan.n_batch_pos, plan.n_batch_neg) == (int(0.75 * 30), int(0.75 * 30))
    for _ in range(50):
        batch = plan.draw_batch()
        assert (weight[batch] > 0).all()
        assert np.unique(batch).size == batch.size


# --- Numba and the batched NumPy path: the same decisions with integer weights ---------


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("seed", range(2))
def test_batched_scd01_equals_numba_with_integer_weights(seed, flip):
    X, y = integer_problem(seed, n=200, d=8)
    y = y.astype(np.int8)
    weight = np.random.default_rng(seed).integers(0, 5, y.size).astype(np.float64)
    weight[:2] = 1.0
    params = SearchParams(max_iter=40, flip_orientation=flip, **PARAMS)
    XT = np.ascontiguousarray(X.T)
    seeds = np.random.SeedSequence(seed).spawn(3)
    got = batched_scd01.fit_votes(XT, y, [VotePlan(s, y, 8, params, weight) for s in seeds],
                                  params, max_bytes=1)
    for s, ((w, b), obj, _) in zip(seeds, got):
        (w_ref, b_ref), obj_ref, _ = cpu_scd01.fit_vote(
            XT, y, VotePlan(s, y, 8, params, weight), params, cpu_search.describe_columns(XT))
        assert obj == obj_ref and b == b_ref
        np.testing.assert_array_equal(w, w_ref)


@pytest.mark.parametrize("seed", range(2))
def test_batched_mlp01_equals_numba_with_integer_weights(seed):
    X, y = integer_problem(seed, n=200, d=8)
    y = y.astype(np.int8)
    weight = np.random.default_rng(seed).integers(0, 5, y.size).astype(np.float64)
    weight[:2] = 1.0
    params = SearchParams(max_iter=30, n_hidden=4, output_step_size=0.2, **PARAMS)
    XT = np.ascontiguousarray(X.T)
    seeds = np.random.SeedSequence(seed).spawn(2)
    got = batched_mlp01.fit_votes(XT, y, [VotePlan(s, y, 8, params, weight) for s in seeds],
                                  params)
    for s, (parts, obj, _) in zip(seeds, got):
        ref_parts, obj_ref, _ = cpu_mlp01.fit_vote(
            XT, y, VotePlan(s, y, 8, params, weight), params, cpu_search.describe_columns(XT))
        assert obj == obj_ref
        for part, ref_part in zip(parts, ref_parts):
            np.testing.assert_array_equal(part, ref_part)


@pytest.mark.parametrize("device", ["numpy", pytest.param("cuda", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("Estimator,kwargs", ESTIMATORS[::2], ids=IDS[::2])
def test_batched_estimator_equals_cpu_with_integer_weights(Estimator, kwargs, device):
    X, y = integer_problem(1, n=150, n_classes=3)
    weight = np.random.default_rng(1).integers(0, 4, y.size).astype(np.float64)
    weight[:3] = 1.0
    cpu = Estimator(**kwargs, random_state=0).fit(X, y, sample_weight=weight)
    batched = Estimator(**kwargs, random_state=0, device=device).fit(X, y,
                                                                     sample_weight=weight)
    assert_same_model(cpu, batched)


@pytest.mark.gpu
@pytest.mark.parametrize("Estimator,kwargs", ESTIMATORS[::2], ids=IDS[::2])
def test_cuda_fits_float_weights_like_numpy_and_reproducibly(Estimator, kwargs):
    """Weights whose sums round: CUDA and NumPy add them in other orders, so their
    models may take other paths, but each gives the same model on every run and both
    learn (on this data NumPy and the CPU differ by 0.05 in training accuracy; both
    are over 0.7, the majority class 0.38)."""
    X, y = integer_problem(1, n=150, n_classes=3)
    weight = np.random.default_rng(2).uniform(0.1, 3.0, y.size)
    fits = [Estimator(**kwargs, random_state=0, device=device).fit(X, y, sample_weight=weight)
            for device in ("cuda", "cuda", "numpy")]
    assert_same_model(fits[0], fits[1])
    majority = np.bincount(y, weights=weight).max() / weight.sum()
    for fit in fits:
        assert fit.score(X, y, sample_weight=weight) > majority + 0.2


# --- the estimators: exact invariants ------------------------------------------------


@pytest.mark.parametrize("c", [0.1, 3, 7.5, 1e-300])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("Estimator,kwargs", ESTIMATORS, ids=IDS)
def test_equal_weights_fit_the_unweighted_model(Estimator, kwargs, n_classes, c):
    X, y = integer_problem(2, n_classes=n_classes)
    plain = Estimator(**kwargs, random_state=0).fit(X, y)
    weighted = Estimator(**kwargs, random_state=0).fit(X, y, sample_weight=np.full(y.size, c))
    assert_same_model(plain, weighted)
    # a uniform class_weight too, and a list of Python ints
    balanced = Estimator(**kwargs, random_state=0, class_weight={k: 2.5 for k in range(n_classes)})
    assert_same_model(plain, balanced.fit(X, y, sample_weight=[1] * y.size))


@pytest.mark.parametrize("device", ["cpu", "numpy", "sparse"])
@pytest.mark.parametrize("Estimator,kwargs", ESTIMATORS, ids=IDS)
def test_zero_weight_removes_the_row(Estimator, kwargs, device):
    """Rows of weight 0 are never drawn and count nothing: the model of the data
    without them (the rows kept in their order, every other weight equal), also where
    a feature is constant on the rows kept only (votes draw among the features that
    vary on the rows that count)."""
    X, y = integer_problem(3, n_classes=3)
    keep = np.random.default_rng(3).random(y.size) < 0.7
    keep[:3] = True  # every class, and the row of the largest |value|
    X[keep, 2] = 1.0  # constant where it counts
    X[~keep, 2] = np.arange((~keep).sum()) % 3
    model = dict(kwargs, random_state=0, device="cpu" if device == "sparse" else device)
    data = sp.csr_matrix(X) if device == "sparse" else X
    weighted = Estimator(**model).fit(data, y, sample_weight=np.where(keep, 2.0, 0.0))
    removed = Estimator(**model).fit(data[keep], y[keep])
    assert_same_model(weighted, removed)


@pytest.mark.parametrize("Estimator,kwargs", ESTIMATORS[::2], ids=IDS[::2])
def test_integer_weights_equal_repeated_rows_in_the_full_objective(Estimator, kwargs):
    """A vote's train_objective_ is its weighted objective on the full data: the
    objective of its parameters on the data with rows repeated ``weight`` times."""
    X, y = integer_problem(4)
    weight = np.random.default_rng(4).integers(0, 4, y.size).astype(np.float64)
    weight[:2] = 1.0
    model = Estimator(**kwargs, random_state=0).fit(X, y, sample_weight=weight)
    repeat = weight.astype(int)
    X_rep, y_rep = np.repeat(X, repeat, axis=0), np.repeat(y, repeat)
    for v in range(model.train_objective_.shape[1]):
        vote = model.select_votes([v])
        predicted = vote.predict(X_rep) == 1
        tp = int((predicted & (y_rep == 1)).sum())
        tn = int((~predicted & (y_rep == 0)).sum())
        n_pos = int((y_rep == 1).sum())
        expected = ref.objective(tp, tn, n_pos, y_rep.size - n_pos, ref.PLUS)
        assert model.train_objective_[0, v] == pytest.approx(expected, rel=1e-12)


def test_weights_change_the_model():
    """Not a no-op: down-weighting the minority class predicts it less often."""
    X, y = make_classification(400, 5, weights=[0.85], class_sep=0.6, flip_y=0.05,
                               random_state=1)
    kwargs = dict(n_estimators=5, max_iter=100, tol=None, random_state=0)
    plain = SCD01Classifier(**kwargs).fit(X, y)
    light = SCD01Classifier(**kwargs).fit(X, y, sample_weight=np.where(y == 1, 0.05, 1.0))
    assert (light.predict(X) == 1).sum() < (plain.predict(X) == 1).sum()


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 3.0, 2: 0.5}, {1: 4}])
@pytest.mark.parametrize("Estimator,kwargs", ESTIMATORS[::2], ids=IDS[::2])
def test_class_weight_is_the_product_with_sample_weight(Estimator, kwargs, class_weight):
    X, y = integer_problem(5, n_classes=3)
    sample_weight = dyadic_weights(np.random.default_rng(5), y.size, zeros=False)
    product = sample_weight * compute_sample_weight(class_weight, y)
    composed = Estimator(**kwargs, random_state=0, class_weight=class_weight).fit(
        X, y, sample_weight=sample_weight)
    direct = Estimator(**kwargs, random_state=0).fit(X, y, sample_weight=product)
    assert_same_model(composed, direct)
    alone = Estimator(**kwargs, random_state=0, class_weight=class_weight).fit(X, y)
    assert_same_model(alone, Estimator(**kwargs, random_state=0).fit(
        X, y, sample_weight=compute_sample_weight(class_weight, y)))


def test_balanced_class_weight_makes_the_plus_phase_balanced():
    """Binary, class_weight="balanced": plain accuracy becomes balanced accuracy, so
    the objective of the plus phase is twice the balanced accuracy."""
    X, y = integer_problem(6)
    model = SCD01Classifier(n_estimators=2, max_iter=20, random_state=0,
                            class_weight="balanced").fit(X, y)
    for v in range(2):
        predicted = model.select_votes([v]).predict(X)
        recall = [np.mean(predicted[y == k] == k) for k in (0, 1)]
        assert model.train_objective_[0, v] == pytest.approx(2 * np.mean(recall), rel=1e-12)


# --- bad weights -------------------------------------------------------------------------


BAD_WEIGHTS = {
    "negative": (lambda n: np.r_[-1.0, np.ones(n - 1)], "[Nn]egative"),
    "nan": (lambda n: np.r_[np.nan, np.ones(n - 1)], "NaN"),
    "inf": (lambda n: np.r_[np.inf, np.ones(n - 1)], "infinity"),
    "short": (lambda n: np.ones(n - 1), r"shape|samples"),
    "2d": (lambda n: np.ones((n, 2)), r"1D|shape"),
    "all zero": (lambda n: np.zeros(n), "positive weight|zero"),
    "one class zero": (lambda n: np.r_[0.0, 1.0, np.ones(n - 2)] * (np.arange(n) % 2 == 1),
                       "class 0 with no positive weight"),
    "huge range": (lambda n: np.r_[1e-300, 1e300, np.ones(n - 2)], "too wide a range"),
}


@pytest.mark.parametrize("case", list(BAD_WEIGHTS))
def test_bad_sample_weight_is_a_clear_value_error(case):
    X = np.random.default_rng(0).random((20, 3))
    y = np.arange(20) % 2
    make, match = BAD_WEIGHTS[case]
    with pytest.raises(ValueError, match=match):
        SCD01Classifier(n_estimators=1, max_iter=2).fit(X, y, sample_weight=make(20))


@pytest.mark.parametrize("class_weight,match", [
    ({0: -1.0}, "negative or non-finite"),
    ({0: 0.0}, "class 0 with no positive weight"),
    ("heavy", "class_weight"),
])
def test_bad_class_weight_is_a_clear_error(class_weight, match):
    X = np.random.default_rng(0).random((20, 3))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match=match):
        SCD01Classifier(n_estimators=1, max_iter=2, class_weight=class_weight).fit(X, y)


@given(weight=st.lists(st.floats(0, 10, allow_nan=False), min_size=12, max_size=12))
def test_inputs_are_not_modified(weight):
    X, y = integer_problem(7, n=12, d=3)
    weight = np.array(weight)
    weight[:2] = [1.0, 2.0]
    copies = (X.copy(), y.copy(), weight.copy())
    try:
        SCD01Classifier(n_estimators=1, max_iter=3, random_state=0,
                        class_weight="balanced").fit(X, y, sample_weight=weight)
    except ValueError as error:  # a class without weight, weights 2**1000 apart
        assert "class" in str(error) or "range" in str(error)
    for before, after in zip(copies, (X, y, weight)):
        np.testing.assert_array_equal(before, after)


# --- meta-estimators that pass weights -------------------------------------------------------


def test_adaboost_boosts_zero_one_votes():
    X, y = make_classification(300, 6, random_state=0)
    base = SCD01Classifier(n_estimators=1, max_iter=40, random_state=0)
    # SAMME (the only algorithm from scikit-learn 1.8; SAMME.R was the default before)
    samme = {"algorithm": "SAMME"} if "algorithm" in AdaBoostClassifier().get_params() else {}
    boost = AdaBoostClassifier(base, n_estimators=5, random_state=0, **samme).fit(X, y)
    assert len(boost.estimators_) >= 2
    # each round fits on its own weights: the votes differ
    coefs = [est.coef_.ravel() for est in boost.estimators_]
    assert not all(np.array_equal(coefs[0], c) for c in coefs[1:])
    assert boost.score(X, y) >= 0.8


def test_metadata_routing_sends_sample_weight_to_fit():
    X, y = integer_problem(8)
    weight = np.random.default_rng(8).integers(0, 4, y.size).astype(np.float64)
    weight[:2] = 1.0
    kwargs = dict(n_estimators=2, max_iter=20, random_state=0)
    with config_context(enable_metadata_routing=True):
        clf = SCD01Classifier(**kwargs).set_fit_request(sample_weight=True)
        clf = clf.set_score_request(sample_weight=True)
        pipe = make_pipeline(MaxAbsScaler(), clf).fit(X, y, sample_weight=weight)
        direct = SCD01Classifier(**kwargs).fit(MaxAbsScaler().fit_transform(X), y,
                                               sample_weight=weight)
        assert_same_model(pipe[-1], direct)
        search = GridSearchCV(make_pipeline(MaxAbsScaler(), clf), {"scd01classifier__max_iter":
                                                                   [5, 10]}, cv=2)
        search.fit(X, y, sample_weight=weight)
        assert search.best_params_["scd01classifier__max_iter"] in (5, 10)


@given(weight=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                 st.integers(-3, 3)), min_size=10, max_size=10),
       class_weight=st.sampled_from([None, "balanced", {"a": 2.0}, {"a": 0.5, "b": 3}]))
def test_any_weights_fit_or_raise_a_value_error(weight, class_weight):
    """Whatever the weights, fit succeeds with a model whose objective is finite, or
    raises a ValueError that names sample_weight or class_weight."""
    X, _ = integer_problem(9, n=10, d=3)
    y = np.array(["a", "b"] * 5)
    model = SCD01Classifier(n_estimators=1, max_iter=3, random_state=0,
                            class_weight=class_weight)
    try:
        model.fit(X, y, sample_weight=weight)
    except ValueError as error:
        assert re.search(r"sample[_ ]weight|class_weight|Input", str(error), re.IGNORECASE)
        return
    assert np.isfinite(model.train_objective_).all()
    assert set(model.predict(X)) <= {"a", "b"}


def test_class_weight_dict_with_string_labels():
    X, y = integer_problem(10, n_classes=3)
    labels = np.array(["cat", "dog", "emu"])[y]
    class_weight = {"cat": 0.5, "emu": 4.0}
    composed = SCD01Classifier(n_estimators=2, max_iter=20, random_state=0,
                               class_weight=class_weight).fit(X, labels)
    direct = SCD01Classifier(n_estimators=2, max_iter=20, random_state=0).fit(
        X, labels, sample_weight=compute_sample_weight(class_weight, labels))
    assert_same_model(composed, direct)
