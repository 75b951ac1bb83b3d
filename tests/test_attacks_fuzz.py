"""Property-based tests (hypothesis) of the input contract of every attack, Saturate
and transfer_matrix.

Any input -- random shapes, dtypes (float32, float64, uint8, int64), magnitudes up
to float64's limit, label types, ``eps`` and ``clip`` at and beyond their bounds --
gives either a clear ``ValueError``/``TypeError`` naming the problem, or a valid
result: the right shape and dtype, finite, within ``eps`` of the input (up to the
rounding of its dtype) and inside ``clip``. No input is ever modified. Data outside a
declared range (an attack's ``clip``) must be refused, never clipped.

The models are tiny so that the default (CI) profile runs in seconds;
``pytest --hypothesis-profile=long`` runs many more examples.
"""

import functools
import re
import warnings

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC

from sk01loss import MLP01Classifier, SCD01Classifier, Saturate, transfer_matrix
from sk01loss.attacks import (
    BoundaryAttack,
    FGSMAttack,
    HopSkipJumpAttack,
    LinearSignAttack,
    MLP01Attack,
    SmoothedPGDAttack,
    SubstituteAttack,
)

FLOAT64_MAX = float(np.finfo(np.float64).max)
FLOAT32_MAX = float(np.finfo(np.float32).max)

DTYPES = [np.float64, np.float32, np.uint8, np.int64]
MAGNITUDES = [1.0, 16.0, 255.0, 1e-300, 1e30, 1e300, FLOAT64_MAX]
LABELS = {
    "int": np.array([0, 1, 2]),
    "str": np.array(["cat", "dog", "emu"]),
    "float": np.array([-1.0, 1.0, 3.0]),  # classifiers refuse non-integral floats
    "bool": np.array([False, True]),
}
VALID_EPS = [0.0, 5e-324, 1e-8, 0.1, 1.0, 1e30, 2 * FLOAT32_MAX, 1e300, FLOAT64_MAX]
BAD_EPS = [-0.1, -np.inf, np.nan, np.inf, "0.1", None]
VALID_CLIPS = [None, (0.0, 1.0), (0, 16), [0, 255], (-1.0, 1.0), (0.0, np.inf),
               (-np.inf, np.inf), (0.25, 0.75), (0.0, 1e300), (-FLOAT64_MAX, FLOAT64_MAX)]
BAD_CLIPS = [(1.0, 0.0), (0.5, 0.5), (np.nan, 1.0), (0.0, 1.0, 2.0), (0.0,), "unit",
             ("low", "high"), np.array([0.0, 1.0])]

# Errors an input that breaks no stated rule may still meet, each naming its cause:
# a step or a model's arithmetic that overflows ...
OVERFLOW = re.compile(r"overflows|not finite")
# ... and, in fit, a model that cannot be fitted on such data: scikit-learn's MLP at
# enormous inputs, the 0/1-loss models whose biases leave float64, a substitute whose
# target answers a single class
FIT_ERRORS = [OVERFLOW, "non-finite parameter weights", "too large in magnitude",
              "single class"]


# --- strategies ----------------------------------------------------------------------


def mostly(valid, bad):
    """A value of ``valid`` four times in five, else one of ``bad``."""
    return st.integers(0, 4).flatmap(
        lambda k: st.sampled_from(bad) if k == 0 else st.sampled_from(valid))


@st.composite
def arrays(draw, n_features=None, min_rows=1, within=None, magnitudes=MAGNITUDES):
    """A 2-D array of any of DTYPES, with values of a random magnitude of
    ``magnitudes``, signed or not, some at the ends of their range; or (half the
    time, when ``within`` holds bounds) spread over ``within``, its bounds included,
    and capped at the largest of ``magnitudes``. The dtype's conversion may still
    move values out of those bounds (uint8, say): the tests judge the array they get,
    not the intent."""
    rng = np.random.RandomState(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(min_rows, 12))
    d = n_features if n_features is not None else draw(st.integers(1, 4))
    dtype = draw(st.sampled_from(DTYPES))
    if isinstance(within, tuple) and draw(st.booleans()):
        low, high = np.clip(within, -FLOAT64_MAX, FLOAT64_MAX)
        u = rng.uniform(0, 1, size=(n, d))
        X = low * (1 - u) + high * u  # no overflow, unlike low + u * (high - low)
        X.flat[rng.randint(X.size)] = draw(st.sampled_from([low, high]))
    else:
        magnitude = draw(st.sampled_from(magnitudes))
        low = draw(st.sampled_from([0.0, -1.0]))
        X = rng.uniform(low, 1.0, size=(n, d)) * magnitude
        X.flat[rng.randint(X.size)] = magnitude if draw(st.booleans()) else low * magnitude
    X = np.clip(X, -max(magnitudes), max(magnitudes))
    if dtype == np.uint8:
        X = np.clip(np.round(X), 0, 255)
    elif dtype == np.int64:
        X = np.clip(np.round(X), -2.0**62, 2.0**62)
    elif dtype == np.float32:
        X = np.clip(X, -FLOAT32_MAX, FLOAT32_MAX)
    return X.astype(dtype)


@st.composite
def labelled(draw, n_features=None, min_rows=4, within=None, magnitudes=MAGNITUDES):
    """``(X, y, kind)``: an array and labels of one of LABELS, every row's class
    drawn but at least two classes present."""
    X = draw(arrays(n_features=n_features, min_rows=min_rows, within=within,
                    magnitudes=magnitudes))
    kind = draw(st.sampled_from(sorted(LABELS)))
    classes = LABELS[kind][:draw(st.integers(2, len(LABELS[kind])))]
    index = np.array(draw(st.lists(st.integers(0, len(classes) - 1),
                                   min_size=len(X), max_size=len(X))))
    index[:2] = [0, 1]
    return X, classes[index], kind


def _other_kind(kind, n):
    """Labels no model fitted on ``kind`` labels can know, of another dtype kind."""
    return np.resize(LABELS["int" if kind == "str" else "str"], n)


# --- what must happen ------------------------------------------------------------------


def _clip_bounds(clip):
    """The bounds of a valid clip, None for none, or "bad"."""
    if clip is None:
        return None
    if not isinstance(clip, (tuple, list)) or len(clip) != 2:
        return "bad"
    try:
        low, high = float(clip[0]), float(clip[1])
    except (TypeError, ValueError):
        return "bad"
    return (low, high) if low < high else "bad"


def _eps_ok(eps):
    return isinstance(eps, float) and np.isfinite(eps) and eps >= 0


def _in_clip(X, bounds):
    """Whether X (as the attack converts it) lies in ``bounds``, compared in the
    dtype the attack computes in."""
    if bounds is None:
        return True
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    with np.errstate(over="ignore"):
        low, high = np.array(bounds).astype(dtype)
    X = X.astype(dtype)
    return bool(X.min() >= low and X.max() <= high)


def _check_adversaries(X_adv, X, eps, bounds):
    """The output contract: shape, dtype, finite, within eps (up to the rounding of the
    dtype) and inside clip, a new array."""
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    assert X_adv.shape == X.shape and X_adv.dtype == dtype
    assert not np.shares_memory(X_adv, X)
    assert np.all(np.isfinite(X_adv))
    x, x_adv = X.astype(np.float64), X_adv.astype(np.float64)
    # halves: the distance itself could round past float64's largest number
    half_distance = np.abs(x_adv / 2 - x / 2)
    larger = np.maximum(np.abs(x), np.abs(x_adv)).astype(dtype)
    rounding = eps * 4 * np.finfo(dtype).eps + 2 * np.spacing(larger).astype(np.float64)
    assert np.all(half_distance <= eps / 2 + rounding / 2), (half_distance.max() * 2, eps)
    if bounds is not None:
        with np.errstate(over="ignore"):
            low, high = np.array(bounds).astype(dtype)
        assert X_adv.min() >= low and X_adv.max() <= high


def _expect_error(error, reasons):
    """``error`` is a ValueError/TypeError naming one of the ``reasons`` (regexes)."""
    assert isinstance(error, (ValueError, TypeError)), repr(error)
    message = str(error)
    assert any(re.search(reason, message) for reason in reasons), (message, reasons)


# --- attacks -------------------------------------------------------------------------

ATTACKS = {
    "LinearSignAttack-LinearSVC": lambda **kw: LinearSignAttack(LinearSVC(), **kw),
    "LinearSignAttack-SCD01": lambda **kw: LinearSignAttack(
        SCD01Classifier(n_estimators=2, max_iter=5, random_state=0), **kw),
    "FGSMAttack-LogisticRegression": lambda **kw: FGSMAttack(LogisticRegression(), **kw),
    "FGSMAttack-MLPClassifier": lambda **kw: FGSMAttack(
        MLPClassifier((3,), max_iter=20, random_state=0), **kw),
    "MLP01Attack": lambda **kw: MLP01Attack(
        MLP01Classifier(n_hidden=3, n_estimators=2, max_iter=5, random_state=0),
        random_state=0, **kw),
    "SmoothedPGDAttack-SCD01": lambda **kw: SmoothedPGDAttack(
        SCD01Classifier(n_estimators=2, max_iter=5, random_state=0), n_steps=3,
        random_state=0, **kw),
    "SmoothedPGDAttack-MLP01": lambda **kw: SmoothedPGDAttack(
        MLP01Classifier(n_hidden=3, n_estimators=2, max_iter=5, random_state=0), n_steps=3,
        random_state=0, **kw),
    "HopSkipJumpAttack-linf": lambda **kw: HopSkipJumpAttack(
        LogisticRegression(), max_steps=3, init_evals=5, max_evals=10, random_state=0, **kw),
    "HopSkipJumpAttack-l2": lambda **kw: HopSkipJumpAttack(
        KNeighborsClassifier(n_neighbors=1), constraint="l2", max_steps=3, init_evals=5,
        max_evals=10, random_state=0, **kw),
    "BoundaryAttack": lambda **kw: BoundaryAttack(
        KNeighborsClassifier(n_neighbors=1), max_steps=5, random_state=0, **kw),
    # a target that answers its training labels (so that the seeds, all the rows, see
    # two classes), at any magnitude
    "SubstituteAttack": lambda **kw: SubstituteAttack(
        KNeighborsClassifier(n_neighbors=1), substitute=LogisticRegression(), n_rounds=2,
        n_initial=12, max_set_size=24, random_state=0, **kw),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
@given(data=st.data())
def test_attack_gives_a_clear_error_or_a_valid_result(name, data):
    eps = data.draw(mostly(VALID_EPS, BAD_EPS), label="eps")
    clip = data.draw(mostly(VALID_CLIPS, BAD_CLIPS), label="clip")
    bounds = _clip_bounds(clip)
    # liblinear does not return on data of about 1e-300 or beyond about 1e100 (its
    # squares underflow or overflow), so LinearSVC is fitted on moderate values; it
    # predicts on any
    magnitudes = [m for m in MAGNITUDES if 1 <= m <= 1e30] if "LinearSVC" in name else MAGNITUDES
    X_fit, y_fit, kind = data.draw(labelled(within=bounds, magnitudes=magnitudes),
                                   label="fit data")
    X = data.draw(arrays(n_features=X_fit.shape[1], within=bounds), label="attacked points")
    labels = data.draw(mostly(["known"], ["other kind"]), label="labels")
    y = (np.resize(y_fit, len(X)) if labels == "known" else _other_kind(kind, len(X)))
    extra = {}
    if name == "SubstituteAttack":
        extra = dict(lmbda=data.draw(st.sampled_from(VALID_EPS), label="lmbda"),
                     clip_augmented=data.draw(st.booleans(), label="clip_augmented"))
    copies = [a.copy() for a in (X_fit, y_fit, X, y)]

    fit_reasons = []
    if not _eps_ok(eps):
        fit_reasons.append("'eps' parameter")
    if bounds == "bad":
        fit_reasons += ["'clip' parameter", "clip"]
    elif not _in_clip(X_fit, bounds):
        fit_reasons.append(r"X has values in \[.*\] outside clip=.*Scale X into clip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence of the tiny models, and the like
        try:
            attack = ATTACKS[name](eps=eps, clip=clip, **extra).fit(X_fit, y_fit)
        except Exception as error:  # noqa: BLE001 - the assertion names what it was
            event(f"fit refused: {str(error)[:40]}")
            _expect_error(error, fit_reasons or FIT_ERRORS)
        else:
            assert not fit_reasons, f"fit accepted what it must refuse: {fit_reasons}"
            outside = [] if _in_clip(X, bounds) else [r"X has values in .* outside clip="]
            unknown = ["labels the model does not know", "y has labels of dtype"]
            for call, reasons in [
                (lambda: attack.transform(X), outside),
                (lambda: attack.generate(X, y), outside + (unknown if labels != "known" else [])),
            ]:
                try:
                    X_adv = call()
                except Exception as error:  # noqa: BLE001
                    event(f"attack refused: {str(error)[:40]}")
                    _expect_error(error, reasons or [OVERFLOW])
                else:
                    event("adversaries checked")
                    assert not reasons, f"the attack accepted what it must refuse: {reasons}"
                    _check_adversaries(X_adv, X, eps, bounds)
    for array, copy in zip((X_fit, y_fit, X, y), copies):
        np.testing.assert_array_equal(array, copy)


# --- Saturate ------------------------------------------------------------------------

VALID_P = [1e-3, 0.5, 1.0, 2.0, 3.0, 4.0, 64.0, 1e6, np.inf]
BAD_P = [0.0, -1.0, -np.inf, np.nan, "inf", None]


def _saturate_reference(X, p):
    """The formula in float64, one number at a time."""
    z = X.astype(np.float64) * 2 - 1
    if p == np.inf:
        return np.sign(z) / 2 + 0.5
    with np.errstate(over="ignore"):
        return np.sign(z) * np.abs(z) ** (2 / p) / 2 + 0.5


@given(X=arrays(within=(0.0, 1.0)), p=mostly(VALID_P, BAD_P))
def test_saturate_gives_a_clear_error_or_the_formula_with_a_range_warning(X, p):
    copy = X.copy()
    outside = bool(X.min() < 0 or X.max() > 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            X_p = Saturate(p=p).fit(X).transform(X)
        except Exception as error:  # noqa: BLE001
            event(f"refused: {str(error)[:40]}")
            _expect_error(error, ["'p' parameter"] if p in BAD_P or p != p else ["overflows"])
            assert p not in VALID_P or outside  # only far outside [0, 1] can overflow
        else:
            event("checked, outside [0, 1]" if outside else "checked, in [0, 1]")
            assert p in VALID_P
            dtype = np.float32 if X.dtype == np.float32 else np.float64
            assert X_p.shape == X.shape and X_p.dtype == dtype
            assert np.all(np.isfinite(X_p)) and not np.shares_memory(X_p, X)
            range_warnings = [w for w in caught if "outside [0, 1]" in str(w.message)]
            assert len(range_warnings) == (1 if outside else 0)  # transform warns, once
            if not outside:
                assert X_p.min() >= 0 and X_p.max() <= 1
            expected = _saturate_reference(X, p)
            rtol = (1e-5 if dtype == np.float32 else 1e-12) * max(1.0, 2 / p)
            np.testing.assert_allclose(X_p, expected, rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(X, copy)


# --- transfer_matrix -----------------------------------------------------------------


@functools.cache
def _models(kind):
    """Small fitted models, on [0, 1] data with three features and ``kind`` labels."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, size=(60, 3))
    y = LABELS[kind][(X[:, 0] + X[:, 1] > 1).astype(int)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "svm": LinearSVC().fit(X, y),
            "mlp": MLPClassifier((3,), max_iter=50, random_state=0).fit(X, y),
            "scd01": SCD01Classifier(n_estimators=2, max_iter=5, random_state=0).fit(X, y),
            "mlp01": MLP01Classifier(n_hidden=3, n_estimators=2, max_iter=5,
                                     random_state=0).fit(X, y),
        }


@given(data=st.data())
def test_transfer_matrix_gives_a_clear_error_or_accuracies(data):
    kind = data.draw(st.sampled_from(["int", "str"]), label="label kind")
    models = _models(kind)
    names = data.draw(st.lists(st.sampled_from(sorted(models)), min_size=1, max_size=4,
                               unique=True), label="sources")
    eps = data.draw(mostly(VALID_EPS, BAD_EPS), label="eps")
    clip = data.draw(mostly(VALID_CLIPS, BAD_CLIPS), label="clip")
    X = data.draw(arrays(n_features=3, within=_clip_bounds(clip)), label="X")
    labels = data.draw(mostly(["known"], ["other kind"]), label="y")
    mode = data.draw(st.sampled_from(["true", "predicted"]), label="labels")
    y = np.resize(LABELS[kind][:2], len(X)) if labels == "known" else _other_kind(kind, len(X))
    copies, coef = (X.copy(), y.copy()), models["svm"].coef_.copy()
    bounds = _clip_bounds(clip)
    reasons = []
    if bounds == "bad":
        reasons += ["clip"]
    elif not _in_clip(X, bounds):
        reasons.append(r"X has values in \[.*\] outside clip=")
    if not _eps_ok(eps):
        reasons.append("'eps' parameter")
    if labels == "other kind":
        reasons.append("y has labels of dtype")
    sources = {name: models[name] for name in names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            table = transfer_matrix(sources, models, X, y, eps=eps, clip=clip, labels=mode,
                                    random_state=0, as_frame=False)
        except Exception as error:  # noqa: BLE001
            event(f"refused: {str(error)[:40]}")
            _expect_error(error, reasons or [OVERFLOW])
        else:
            event("table checked")
            assert not reasons, f"transfer_matrix accepted what it must refuse: {reasons}"
            assert list(table) == ["clean", *names]
            for row in table.values():
                assert list(row) == list(models)
                assert all(0.0 <= value <= 1.0 for value in row.values())
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(y, copies[1])
    np.testing.assert_array_equal(models["svm"].coef_, coef)
