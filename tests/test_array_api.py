"""Array API inputs (``sklearn.set_config(array_api_dispatch=True)``): PyTorch and
array-api-strict arrays go in, predictions come back in the input's namespace with
the values of the NumPy path, fitted attributes stay NumPy."""

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.utils.validation import has_fit_parameter

from sk01loss import MLP01Classifier, SCD01Classifier

torch = pytest.importorskip("torch")
xps = pytest.importorskip("array_api_strict")

ESTIMATORS = [
    SCD01Classifier(n_estimators=3, max_iter=20, random_state=0),
    MLP01Classifier(n_hidden=4, n_estimators=3, max_iter=20, random_state=0),
]
METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")


def _torch(a, dtype=None):
    return torch.asarray(a) if dtype is None else torch.asarray(a, dtype=getattr(torch, dtype))


def _strict(a, dtype=None):
    return xps.asarray(a) if dtype is None else xps.asarray(a, dtype=getattr(xps, dtype))


NAMESPACES = {"torch": (_torch, torch.Tensor), "array_api_strict": (_strict, type(xps.asarray(0)))}


@pytest.fixture
def dispatch(monkeypatch):
    """Array API dispatch on: scikit-learn checks SCIPY_ARRAY_API=1 when it is enabled
    (SciPy itself is not asked to dispatch here)."""
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with sklearn.config_context(array_api_dispatch=True):
        yield


def _data(n_classes, dtype="float64"):
    X, y = make_classification(n_samples=80, n_features=6, n_informative=4,
                               n_classes=n_classes, random_state=0)
    X = (X - X.min()) / (X.max() - X.min())
    return X.astype(dtype), y


def _numpy(result):
    return np.from_dlpack(result)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_outputs_in_input_namespace_with_numpy_values(dispatch, estimator, namespace,
                                                       n_classes, dtype):
    convert, array_type = NAMESPACES[namespace]
    X, y = _data(n_classes, dtype)
    reference = clone(estimator).fit(X, y)
    X_xp, y_xp = convert(X), convert(y)
    model = clone(estimator).fit(X_xp, y_xp)
    for name in reference._per_vote_attributes() + ("classes_",):
        fitted = getattr(model, name)
        assert type(fitted) is np.ndarray, name  # NumPy on every device
        np.testing.assert_array_equal(fitted, getattr(reference, name), err_msg=name)
    for method in METHODS:
        expected = getattr(reference, method)(X)
        result = getattr(model, method)(X_xp)
        assert isinstance(result, array_type), method
        assert result.device == X_xp.device, method
        got = _numpy(result)
        assert got.dtype == expected.dtype, method
        np.testing.assert_array_equal(got, expected, err_msg=method)
    # scikit-learn's accuracy_score counts in the namespace (PyTorch: in float32)
    assert model.score(X_xp, y_xp) == pytest.approx(reference.score(X, y), abs=1e-6)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_numpy_input_with_dispatch_is_the_numpy_path(dispatch, estimator):
    X, y = _data(3)
    model = clone(estimator).fit(X, y)
    with sklearn.config_context(array_api_dispatch=False):
        reference = clone(estimator).fit(X, y)
        expected = {method: getattr(reference, method)(X) for method in METHODS}
    for method in METHODS:
        result = getattr(model, method)(X)
        assert type(result) is np.ndarray
        np.testing.assert_array_equal(result, expected[method])


def test_string_labels_stay_numpy(dispatch):
    X, y = _data(3)
    labels = np.array(["cat", "dog", "emu"])[y]
    estimator = ESTIMATORS[0]
    reference = clone(estimator).fit(X, labels)
    X_t = _torch(X)
    model = clone(estimator).fit(X_t, list(labels))
    predicted = model.predict(X_t)
    assert type(predicted) is np.ndarray  # no namespace holds strings
    np.testing.assert_array_equal(predicted, reference.predict(X))
    proba = model.predict_proba(X_t)
    assert isinstance(proba, torch.Tensor)
    np.testing.assert_array_equal(_numpy(proba), reference.predict_proba(X))


def test_sample_weight_in_the_input_namespace(dispatch):
    estimator = ESTIMATORS[0]
    if not has_fit_parameter(estimator, "sample_weight"):
        pytest.skip("fit takes no sample_weight")
    X, y = _data(2)
    weight = np.arange(1.0, X.shape[0] + 1)
    reference = clone(estimator).fit(X, y, sample_weight=weight)
    model = clone(estimator).fit(_strict(X), _strict(y), sample_weight=_strict(weight))
    np.testing.assert_array_equal(model.coef_, reference.coef_)


def test_inputs_not_modified(dispatch):
    X, y = _data(2)
    X_t, y_t = _torch(X), _torch(y)
    model = clone(ESTIMATORS[1]).fit(X_t, y_t)
    for method in METHODS:
        getattr(model, method)(X_t)
    np.testing.assert_array_equal(X_t.numpy(), X)
    np.testing.assert_array_equal(y_t.numpy(), y)


def test_dispatch_off_torch_goes_through_numpy():
    """scikit-learn's rule without dispatch: np.asarray, NumPy outputs."""
    X, y = _data(2)
    reference = clone(ESTIMATORS[0]).fit(X, y)
    model = clone(ESTIMATORS[0]).fit(_torch(X), _torch(y))
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    predicted = model.predict(_torch(X))
    assert type(predicted) is np.ndarray
    np.testing.assert_array_equal(predicted, reference.predict(X))


def test_dispatch_off_unconvertible_array_names_the_fix():
    X, y = _data(2)
    with pytest.raises(TypeError, match="array_api_dispatch=True"):
        clone(ESTIMATORS[0]).fit(_strict(X), y)
    model = clone(ESTIMATORS[0]).fit(X, y)
    for method in METHODS:
        with pytest.raises(TypeError, match="array_api_dispatch=True.*convert X to a NumPy"):
            getattr(model, method)(_strict(X))


def test_tensor_that_requires_grad_names_the_fix(dispatch):
    X, y = _data(2)
    model = clone(ESTIMATORS[0]).fit(X, y)
    X_t = torch.asarray(X).requires_grad_(True)
    with pytest.raises(TypeError, match=r"could not be copied to NumPy.*detach\(\)"):
        model.predict(X_t)
    np.testing.assert_array_equal(model.predict(X_t.detach()), model.predict(X))


def test_no_array_api_support_tag():
    """Fitted attributes stay NumPy, which scikit-learn's array API checks (fitted
    attributes in the namespace of X) would refuse: the tag stays off."""
    for estimator in ESTIMATORS:
        assert not sklearn.utils.get_tags(estimator).array_api_support


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_hidden_activations_in_input_namespace(dispatch, namespace):
    convert, array_type = NAMESPACES[namespace]
    X, y = _data(3)
    model = clone(ESTIMATORS[1]).fit(X, y)
    hidden = model.hidden_activations(convert(X))
    assert isinstance(hidden, array_type)
    np.testing.assert_array_equal(_numpy(hidden), model.hidden_activations(X))


def test_dlpack_fallback(dispatch, monkeypatch):
    """Where scikit-learn's converter fails (array-api-strict under scikit-learn < 1.8
    calls numpy.asarray, which it refuses), CPU arrays are copied through DLPack."""
    import sk01loss._array_api as array_api

    def refuse(array, xp):
        raise RuntimeError("no conversion here")

    monkeypatch.setattr(array_api, "_convert_to_numpy", refuse)
    X, y = _data(2)
    model = clone(ESTIMATORS[0]).fit(_strict(X), _strict(y))
    reference = clone(ESTIMATORS[0]).fit(X, y)
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    np.testing.assert_array_equal(_numpy(model.predict_proba(_strict(X))),
                                  reference.predict_proba(X))


def test_the_attacks_refuse_other_array_libraries_with_a_clear_error(monkeypatch):
    from sk01loss.attacks import LinearSignAttack, SmoothedPGDAttack

    monkeypatch.setenv("SCIPY_ARRAY_API", "1")

    rng = np.random.default_rng(0)
    X = rng.random((40, 4))
    y = (X[:, 0] > 0.5).astype(int)
    model = SCD01Classifier(n_estimators=2, max_iter=10, random_state=0).fit(X, y)
    for attack in (LinearSignAttack(model), SmoothedPGDAttack(model, n_steps=2)):
        attack.fit(X, y)
        with sklearn.config_context(array_api_dispatch=True):
            with pytest.raises(TypeError, match="computes on NumPy arrays.*torch"):
                attack.transform(torch.asarray(X))
            with pytest.raises(TypeError, match="computes on NumPy arrays.*torch"):
                attack.generate(X, torch.asarray(y))
            with pytest.raises(TypeError, match="computes on NumPy arrays.*torch"):
                attack.fit(torch.asarray(X), y)
            assert attack.fit(X, y).transform(X).shape == X.shape  # NumPy still works
