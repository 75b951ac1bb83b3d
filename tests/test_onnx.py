"""ONNX export (sk01loss.onnx, the ``onnx`` extra): ONNX Runtime's labels and
probabilities against ``predict`` and ``predict_proba``, value for value, on
MNIST-sized input, the digits data, pipelines and rows crafted to sit on a vote's
boundary; skipped where the extra is not installed."""

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sk01loss import MLP01Classifier, SCD01Classifier


@pytest.fixture(scope="module")
def ort():
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnx")
    return pytest.importorskip("onnxruntime")


def _run(ort, onx, X):
    import onnx

    onnx.checker.check_model(onx, full_check=True)  # valid, and its shapes infer
    session = ort.InferenceSession(onx.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["label", "probabilities"]
    return session.run(None, {session.get_inputs()[0].name: X})


def _assert_as_predict(model, label, proba, X):
    """Labels equal to predict's; probabilities bit for bit predict_proba's (rounded to
    the output's float32 where the input is not float64)."""
    np.testing.assert_array_equal(label, model.predict(X))
    expected = model.predict_proba(X)
    assert proba.dtype == (np.float32 if X.dtype == np.float32 else np.float64)
    np.testing.assert_array_equal(proba, expected.astype(proba.dtype))


def _digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _mnist_like(n_rows=10000, seed=0):
    """Synthetic uint8 images scaled to [0, 1] (MNIST's shape and sparsity), labelled
    by a fixed random linear model so that the classes are learnable."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(1, 256, size=(n_rows, 784)) * (rng.random((n_rows, 784)) < 0.2)
    X = pixels.astype(np.uint8) / 255.0
    scores = X @ rng.standard_normal((784, 10))
    return X, scores.argmax(axis=1)


# --- MNIST-sized input ------------------------------------------------------------------

@pytest.mark.parametrize("estimator, n_classes, dtype", [
    (SCD01Classifier(n_estimators=3, max_iter=30, random_state=0), 2, np.float64),
    (SCD01Classifier(n_estimators=3, max_iter=30, random_state=0), 10, np.float32),
    (MLP01Classifier(n_hidden=4, n_estimators=3, max_iter=30, random_state=0), 2, np.float32),
    (MLP01Classifier(n_hidden=4, n_estimators=3, max_iter=30, random_state=0), 10, np.float64),
], ids=["scd01-binary-f64", "scd01-10-f32", "mlp01-binary-f32", "mlp01-10-f64"])
def test_mnist_sized_input_as_predict(ort, estimator, n_classes, dtype):
    from sk01loss.onnx import to_onnx

    X, y = _mnist_like()
    if n_classes == 2:
        y = y % 2
    X = X.astype(dtype)  # exact: the pixels are k / 255 in float32 and float64 alike
    model = estimator.fit(X[:400], y[:400])
    label, proba = _run(ort, to_onnx(model, X[:1]), X)
    _assert_as_predict(model, label, proba, X)


# --- digits: both models, binary, multiclass, string labels, dtypes, summations ---------

_FITTED = {}


def _fitted_on_digits(name, labels):
    """One fit per (model, labels), shared by the tests of this module."""
    if (name, labels) not in _FITTED:
        X, y = _digits()
        y = {"binary": y % 2, "multiclass": y,
             "strings": np.array([f"digit {k}" for k in range(10)])[y]}[labels]
        estimator = {"SCD01": SCD01Classifier(n_estimators=3, max_iter=20, random_state=0),
                     "MLP01": MLP01Classifier(n_hidden=4, n_estimators=3, max_iter=20,
                                              random_state=0)}[name]
        _FITTED[name, labels] = estimator.fit(X, y)
    return _FITTED[name, labels]


@pytest.mark.parametrize("name", ["SCD01", "MLP01"])
@pytest.mark.parametrize("labels", ["binary", "multiclass", "strings"])
def test_digits_as_predict(ort, name, labels):
    from sk01loss.onnx import SUMMATIONS, to_onnx

    X, _ = _digits()
    model = _fitted_on_digits(name, labels)
    for summation in SUMMATIONS:
        for dtype in (np.float64, np.float32):
            Xd = X.astype(dtype)
            label, proba = _run(ort, to_onnx(model, Xd, summation=summation), Xd)
            if labels == "strings":
                assert label.dtype == object
            _assert_as_predict(model, label, proba, Xd)


def test_int64_input(ort):
    from sk01loss.onnx import to_onnx

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.int64)  # pixel counts 0..16 (load_digits gives them as float64)
    model = SCD01Classifier(n_estimators=2, max_iter=20, random_state=0).fit(X, y % 2)
    label, proba = _run(ort, to_onnx(model, X), X)
    _assert_as_predict(model, label, proba, X)


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler()],
                         ids=lambda s: type(s).__name__)
def test_pipeline_with_a_scaler(ort, scaler):
    from sk01loss.onnx import to_onnx

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float64)
    pipe = make_pipeline(scaler, MLP01Classifier(n_hidden=4, n_estimators=2, max_iter=20,
                                                 random_state=0)).fit(X, y % 3)
    label, proba = _run(ort, to_onnx(pipe, X), X)
    _assert_as_predict(pipe, label, proba, X)


def test_importing_registers_for_skl2onnx_to_onnx_with_zipmap(ort):
    import skl2onnx

    import sk01loss.onnx  # noqa: F401 (registers the converters)

    X, _ = _digits()
    X = X.astype(np.float32)  # ONNX's ZipMap takes float32 probabilities only
    model = _fitted_on_digits("SCD01", "multiclass")
    onx = skl2onnx.to_onnx(model, X[:1])  # skl2onnx's defaults: zipmap on
    with pytest.raises(ValueError, match="zipmap.*float32"):
        skl2onnx.to_onnx(model, X[:1].astype(np.float64))
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    label, proba = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_array_equal(label, model.predict(X))
    expected = model.predict_proba(X).astype(np.float32)
    got = np.array([[row[c] for c in model.classes_] for row in proba])
    np.testing.assert_array_equal(got, expected)


# --- rows on a boundary: the exact graph follows predict's rounding ---------------------

def _sequential_scores(X, W, b):
    """Scores summed feature by feature in index order (predict's order)."""
    scores = np.zeros((X.shape[0], W.shape[1]))
    for j in range(W.shape[0]):
        scores += X[:, j:j + 1] * W[j]
    return scores + b


@pytest.mark.parametrize("estimator", [
    SCD01Classifier(n_estimators=1, max_iter=20, random_state=0),
    MLP01Classifier(n_hidden=3, n_estimators=1, max_iter=20, random_state=0),
], ids=lambda e: type(e).__name__)
def test_rows_on_a_boundary(ort, estimator):
    """Rows projected onto the first (hidden) unit's hyperplane: their scores are zero
    up to rounding, so their labels depend on the order of the sums; the exact and
    sequential graphs give predict's labels on every one of them."""
    from sk01loss.onnx import to_onnx

    X, y = _digits()
    model = estimator.fit(X, y % 2)
    W, b = model._prediction_units(np.arange(1))[:2]
    w = W[:, 0]
    rng = np.random.default_rng(1)
    X0 = rng.random((2000, X.shape[1]))
    on_plane = X0 - np.outer((X0 @ w + b[0]) / (w @ w), w)
    seq = _sequential_scores(on_plane, W[:, :1], b[:1])[:, 0]
    # the crafted rows do sit within rounding of the boundary, on both sides of it
    bound = X.shape[1] * 2.0**-50 * (np.abs(on_plane) @ np.abs(w))
    assert (np.abs(seq) <= bound).all()
    assert (seq > 0).any() and (seq <= 0).any()
    for summation in ("exact", "sequential"):
        label, proba = _run(ort, to_onnx(model, on_plane, summation=summation), on_plane)
        _assert_as_predict(model, label, proba, on_plane)


@given(data=st.data())
def test_exact_graph_as_predict_property(ort, data):
    """Any small data set of any ordinary scale, with repeated rows, zeros and rows
    pushed onto a vote's boundary: the exact graph's labels and probabilities are
    predict's."""
    from sk01loss.onnx import to_onnx

    n_features = data.draw(st.integers(1, 5), label="n_features")
    scale = 2.0 ** data.draw(st.integers(-60, 60), label="log2 scale")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, n_features)) * (rng.random((40, n_features)) < 0.7)
    X[20:30] = X[:10]  # repeated rows
    X *= scale
    y = np.arange(40) % data.draw(st.integers(2, 3), label="n_classes")
    name = data.draw(st.sampled_from(["SCD01", "MLP01"]), label="model")
    estimator = (SCD01Classifier(n_estimators=3, max_iter=10, random_state=seed)
                 if name == "SCD01" else
                 MLP01Classifier(n_hidden=3, n_estimators=2, max_iter=10, random_state=seed))
    model = estimator.fit(X, y)
    W, b = model._prediction_units(np.arange(model.train_objective_.shape[1]))[:2]
    w = W[:, 0]
    rows = rng.standard_normal((60, n_features)) * scale
    if (w != 0).any():
        rows[30:] -= np.outer((rows[30:] @ w + b[0]) / (w @ w), w)  # on unit 0's boundary
    rows = np.vstack([X, rows])
    label, proba = _run(ort, to_onnx(model, rows), rows)
    _assert_as_predict(model, label, proba, rows)


# --- errors --------------------------------------------------------------------------------

def test_bad_arguments(ort):
    from sk01loss.onnx import to_onnx

    X, y = _digits()
    model = SCD01Classifier(n_estimators=1, max_iter=5, random_state=0).fit(X, y % 2)
    with pytest.raises(ValueError, match="summation='fast'"):
        to_onnx(model, X, summation="fast")
    with pytest.raises(ValueError, match="zipmap"):
        to_onnx(model, X, zipmap="rows")
    with pytest.raises(ValueError, match="float32, float64 or int64"):
        to_onnx(model, X.astype(np.int32))
    with pytest.raises(NotFittedError):
        to_onnx(SCD01Classifier(), X)
    with pytest.raises(ValueError, match="opset 13"):
        to_onnx(model, X, target_opset=12)
    huge = np.where(y % 2 == 1, np.uint64(2**63 + 1), np.uint64(0))
    huge = SCD01Classifier(n_estimators=1, max_iter=5, random_state=0).fit(X, huge)
    with pytest.raises(ValueError, match="do not fit in int64.*LabelEncoder"):
        to_onnx(huge, X)


def test_missing_extra_names_the_install(monkeypatch):
    import sk01loss.onnx as export

    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # as if not installed
    with pytest.raises(ImportError, match=r"sk01loss\[onnx\]"):
        export.register_converters()
    with pytest.raises(ImportError, match=r"sk01loss\[onnx\]"):
        export.to_onnx(None, np.zeros((1, 2)))


def test_gallery_example_runs(ort, capsys):
    """The gallery's ONNX example (shown, not run, by the documentation build)."""
    import runpy
    from pathlib import Path

    example = Path(__file__).parent.parent / "docs" / "examples" / "run_onnx_export.py"
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out
    assert "labels as predict: True" in out
    assert "probabilities as predict_proba: True" in out
